import BounceTailCore

/// A journal read to its current end as a byte stream of lines, for the commands that read inputs as bytes
/// (`scan`, `report`): each entry is the line `JournalReader` makes, handed out in as many reads as it takes.
public final class JournalSource: ByteSource {
    public let reader: JournalReader
    /// Said for each entry whose message is too long to read (the time names it: journal entries have no line
    /// numbers).
    public var onWarning: (String) -> Void = { _ in }
    private var pending = 0

    public init(_ reader: JournalReader) { self.reader = reader }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> ReadResult {
        var filled = 0
        while filled < buffer.count {
            if pending == 0 {
                guard try reader.next() else { break }
                if reader.tooLong {
                    onWarning(reader.tooLongWarning)
                    continue
                }
                pending = reader.line.count
            }
            // The rest of the current line, as much as fits.
            let start = reader.line.count - pending
            let n = min(pending, buffer.count - filled)
            reader.line.withUnsafeBytes { line in
                UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<(filled + n)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: line[start..<(start + n)]))
            }
            filled += n
            pending -= n
        }
        return filled > 0 ? .bytes(filled) : .end
    }
}

extension InputOpener {
    /// A journal, from its oldest entry, as an input of `scan` and `report`.
    public static func journal(_ location: JournalLocation, filter: JournalFilter, maxLineBytes: Int,
                               onWarning: @escaping (String) -> Void) throws -> OpenedInput {
        let reader = try JournalReader(location, filter: filter, maxLineBytes: maxLineBytes)
        reader.seekHead()
        let source = JournalSource(reader)
        source.onWarning = onWarning
        let path = location.description
        return OpenedInput(
            path: path, source: source, isGzip: false, isStdin: true, modificationTime: nil, size: nil,
            raw: FileSource(path: path, fd: -1, ownsDescriptor: false, prefix: []))
    }
}
