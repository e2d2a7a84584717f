/// Why an input could not be read (whole or in part). Every case names the file.
public enum InputError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case readFailed(path: String, reason: String)
    case gzipTruncated(path: String, offset: UInt64)
    case gzipCorrupt(path: String, offset: UInt64, detail: String)
    /// `--events` given something that is not JSON Lines of outcome events (a mail log, most likely).
    case notEvents(path: String, lines: Int)

    public var path: String {
        switch self {
        case .cannotOpen(let p, _), .readFailed(let p, _), .gzipTruncated(let p, _), .gzipCorrupt(let p, _, _),
             .notEvents(let p, _): p
        }
    }

    public var description: String {
        switch self {
        case .cannotOpen(let p, let r): "\(p): cannot open: \(r)"
        case .readFailed(let p, let r): "\(p): read failed: \(r)"
        case .gzipTruncated(let p, let off):
            "\(p): gzip data ends early at compressed offset \(off) (truncated archive); lines before it were read"
        case .gzipCorrupt(let p, let off, let d):
            "\(p): gzip data is corrupt at compressed offset \(off) (\(d)); lines before it were read"
        case .notEvents(let p, let n):
            "\(p): the first \(n) lines are not outcome events (JSON Lines from bouncetail scan); a mail log is read without --events"
        }
    }
}
