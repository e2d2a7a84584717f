import BounceTailCore
import Foundation

/// Settings shared by every command that reads logs.
public struct ScanSettings: Sendable {
    public var format: LogFormat = .auto
    public var zone: any LocalZone = FixedZone.utc
    public var fixedYear: Int? = nil
    public var maxLineBytes: Int = 64 * 1024
    public var classify = true
    public var inFlightMaxAgeSeconds: Int64 = 10 * 86400
    /// Count lines where the MTA refused a suppressed address at RCPT (`report`; see `SuppressedReject`).
    public var findsRejectedAtRCPT = false

    public init() {}
}

/// Reads inputs one after the other into outcomes: opener → chunks scanned on every core → outcomes in order.
public final class LogScan {
    public let settings: ScanSettings
    public let reader: OutcomeReader
    /// A line reader for what is read line by line (`track --events`, `follow`).
    public let lines: LineReader
    public private(set) var outcomes = 0
    public private(set) var skippedLines = 0

    public init(settings: ScanSettings) {
        self.settings = settings
        reader = OutcomeReader(classify: settings.classify, inFlightMaxAgeSeconds: settings.inFlightMaxAgeSeconds)
        lines = LineReader(maxLineBytes: settings.maxLineBytes)
    }

    /// The stamp resolver for an input: its year reference is the file's mtime, or now for stdin.
    public func inputState(for input: OpenedInput) -> OutcomeReader.InputState {
        let reference = Instant(seconds: input.modificationTime ?? Int64(Date().timeIntervalSince1970))
        return OutcomeReader.InputState(
            resolver: StampResolver(zone: settings.zone, reference: reference, fixedYear: settings.fixedYear),
            format: settings.format)
    }

    /// Reads the whole input as scanned chunks (on every core for a plain file). Outcomes go to `onOutcome`;
    /// over-long lines and gzip notes to `onWarning`; with `findsRejectedAtRCPT` set, the refusals at RCPT of
    /// suppressed addresses are counted to `onRejectedAtRCPT`. Throws the input's error after everything
    /// before the damage was handed out. `onProgress` gets the lines read and the position in the file
    /// (compressed for gzip).
    public func scan(
        _ input: OpenedInput,
        onOutcome: (inout DeliveryOutcome) throws -> Void,
        onRejectedAtRCPT: (Int) -> Void = { _ in },
        onServerLine: (UnsafeBufferPointer<UInt8>) -> Void = { _ in },
        onWarning: (String) -> Void,
        onProgress: ((_ lines: Int, _ position: UInt64) -> Void)? = nil
    ) throws {
        let state = inputState(for: input)
        defer { for w in input.warnings { onWarning(w) } }
        let maxLine = settings.maxLineBytes
        let path = input.path
        var position = InputPosition(lineNumber: 0, offset: 0, tail: [], resolver: state.resolver, format: state.format)
        let outcomesBefore = outcomes
        defer {
            if let note = Self.nothingRecognised(path, lines: position.lineNumber, outcomes: outcomes - outcomesBefore,
                                                 asked: settings.format, found: position.format) {
                onWarning(note)
            }
        }
        try chunks.read(
            input, from: input.source, position: &position, flushPartialLineAtEnd: true, chunkBytes: 1 << 20,
            onOutcome: { o in
                outcomes += 1
                try onOutcome(&o)
            },
            onTooLong: { number in
                skippedLines += 1
                onWarning("\(path):\(number): line longer than \(maxLine) bytes skipped")
            },
            onRejectedAtRCPT: onRejectedAtRCPT, onServerLine: onServerLine,
            afterChunk: { now, _, _ in onProgress?(now.lineNumber, input.isGzip ? input.raw.position : now.offset) })
    }

    /// The note for an input with lines but none the scanners recognised (not a mail log, or the wrong
    /// --format): said once per input, so a mistaken file is not read in silence.
    public static func nothingRecognised(_ path: String, lines: Int, outcomes: Int, asked: LogFormat, found: LogFormat)
        -> String?
    {
        guard lines > 0, outcomes == 0 else { return nil }
        switch asked {
        case .auto:
            guard found == .auto else { return nil }
            return "\(path): no Postfix or Exim lines recognised in \(lines) line\(lines == 1 ? "" : "s") (not a mail log?)"
        case .postfix: return "\(path): no Postfix delivery lines recognised in \(lines) line\(lines == 1 ? "" : "s") (an Exim log? --format auto)"
        case .exim: return "\(path): no Exim delivery lines recognised in \(lines) line\(lines == 1 ? "" : "s") (a Postfix log? --format auto)"
        }
    }

    /// Reads inputs as scanned chunks.
    private lazy var chunks = ChunkedRead(settings: settings, reader: reader)
}
