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

    public init() {}
}

/// Reads inputs one after the other into outcomes: opener → line reader → scanners → classifier.
public final class LogScan {
    public let settings: ScanSettings
    public let reader: OutcomeReader
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

    /// Reads the whole input. Outcomes go to `onOutcome`; over-long lines and gzip notes to `onWarning`.
    /// Throws the input's error after everything before the damage was handed out.
    /// `onLine`, when given, sees every line first (for what is not a delivery outcome, such as refusals at RCPT);
    /// without it the input is read as scanned chunks, on every core for a plain file.
    /// `onProgress` gets the lines read and the position in the file (compressed for gzip).
    public func scan(
        _ input: OpenedInput,
        onLine: ((UnsafeBufferPointer<UInt8>) -> Void)? = nil,
        onOutcome: (inout DeliveryOutcome) throws -> Void,
        onWarning: (String) -> Void,
        onProgress: ((_ lines: Int, _ position: UInt64) -> Void)? = nil
    ) throws {
        var state = inputState(for: input)
        defer { for w in input.warnings { onWarning(w) } }
        let maxLine = settings.maxLineBytes
        let path = input.path
        if onLine == nil {
            var position = InputPosition(lineNumber: 0, offset: 0, tail: [], resolver: state.resolver, format: state.format)
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
                afterChunk: { now, _ in onProgress?(now.lineNumber, input.isGzip ? input.raw.position : now.offset) })
            return
        }
        lines.resume(lineNumber: 0, offset: 0)
        _ = try lines.run(
            from: input.source,
            onLine: { line, number in
                onLine?(line)
                if number & 0xFFFF == 0 { onProgress?(number, input.raw.position) }
                try reader.scan(line, line: number, state: &state) { o in
                    outcomes += 1
                    try onOutcome(&o)
                }
            },
            onTooLong: { number in
                skippedLines += 1
                onWarning("\(path):\(number): line longer than \(maxLine) bytes skipped")
            })
    }

    /// Reads inputs as scanned chunks.
    private lazy var chunks = ChunkedRead(settings: settings, reader: reader)
}
