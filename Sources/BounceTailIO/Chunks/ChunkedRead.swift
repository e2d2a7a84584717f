import BounceTailCore
import CBytes
import Foundation

/// Where reading one input stands: lines and bytes consumed, the bytes just before that position, and what
/// turning its lines into outcomes in order needs (the stamp resolver, the format once settled).
public struct InputPosition {
    public var lineNumber: Int
    public var offset: UInt64
    public var tail: [UInt8]
    public var resolver: StampResolver
    /// `.auto` until the first recognised line settles it.
    public var format: LogFormat

    public init(lineNumber: Int, offset: UInt64, tail: [UInt8], resolver: StampResolver, format: LogFormat) {
        self.lineNumber = lineNumber
        self.offset = offset
        self.tail = tail
        self.resolver = resolver
        self.format = format
    }
}

/// Reads one opened input from a position to its end as scanned chunks, on the threads that pay, and hands
/// the outcomes over in input order (the `track` and `scan` pipelines).
///
/// A plain file is read up to its size now in pieces scanned on every core (`ParallelFileChunks`); the rest
/// (all of a gzip file or a pipe, what a plain file gained meanwhile, a last partial line) as a stream
/// (`StreamChunks`): read, or inflated, in order on one thread, and scanned by whichever thread is free.
final class ChunkedRead {
    let settings: ScanSettings
    let reader: OutcomeReader
    /// Threads that scan a plain file besides the applying one: one per further core (at most 7).
    static let scanHelpers = max(1, min(7, ProcessInfo.processInfo.activeProcessorCount - 1))
    /// How many records ahead of the one being applied its line is asked for.
    static let prefetchDistance = 4
    /// Scans a chunk again in a settled format (on the consumer's thread).
    private lazy var rescanner = LineScanner(classify: settings.classify,
                                             findsRejectedAtRCPT: settings.findsRejectedAtRCPT)

    init(settings: ScanSettings, reader: OutcomeReader) {
        self.settings = settings
        self.reader = reader
    }

    /// Reads `opened` (its bytes from `source`, which starts at `position.offset`) to the end. `onOutcome`
    /// gets the outcomes in order, `onTooLong` the numbers of skipped lines, `afterChunk` the position after
    /// each chunk, its bytes and whether it is the last (for commits and progress), `onRejectedAtRCPT` the
    /// refusals counted in it (with `findsRejectedAtRCPT`). A read error is thrown after every line before it was handed out, with
    /// `position` where those lines end.
    func read(
        _ opened: OpenedInput, from source: ByteSource, position: inout InputPosition, flushPartialLineAtEnd: Bool,
        chunkBytes: Int, onOutcome: (inout DeliveryOutcome) throws -> Void, onTooLong: (Int) -> Void,
        onRejectedAtRCPT: (Int) -> Void = { _ in },
        onServerLine: (UnsafeBufferPointer<UInt8>) -> Void = { _ in },
        afterChunk: (_ position: InputPosition, _ bytes: UInt64, _ last: Bool) throws -> Void
    ) throws {
        var source = source
        if !opened.isGzip, !opened.isStdin, let size = opened.size, size >= position.offset + 2 * UInt64(chunkBytes) {
            let helpers = Self.scanHelpers
            let chunks = ParallelFileChunks(
                fd: opened.raw.fd, path: opened.path, from: position.offset, to: size, format: position.format,
                classify: settings.classify, findsRejectedAtRCPT: settings.findsRejectedAtRCPT,
                maxLineBytes: settings.maxLineBytes, helpers: helpers,
                chunkBytes: chunkBytes, ahead: 3 * (helpers + 1))
            try apply(chunks.next, chunks.recycle, &position, onOutcome, onTooLong, onRejectedAtRCPT, onServerLine, afterChunk)
            guard opened.raw.seek(to: position.offset) else {
                throw InputError.readFailed(path: opened.path, reason: "cannot seek")
            }
            source = opened.raw
        }
        let stream = StreamChunks(
            source: source, offset: position.offset, tail: position.tail, flushPartialLineAtEnd: flushPartialLineAtEnd,
            format: position.format, classify: settings.classify, findsRejectedAtRCPT: settings.findsRejectedAtRCPT,
            maxLineBytes: settings.maxLineBytes,
            chunkBytes: chunkBytes)
        try apply(stream.next, stream.recycle, &position, onOutcome, onTooLong, onRejectedAtRCPT, onServerLine, afterChunk)
    }

    /// Applies chunks in input order until the last. Stops early where a chunk does not start where the one
    /// before ended (the file changed under the readers, or a piece could not be read): the caller reads on
    /// from `position.offset`.
    private func apply(
        _ next: () -> ScannedChunk?, _ recycle: (ScannedChunk) -> Void, _ position: inout InputPosition,
        _ onOutcome: (inout DeliveryOutcome) throws -> Void, _ onTooLong: (Int) -> Void,
        _ onRejectedAtRCPT: (Int) -> Void, _ onServerLine: (UnsafeBufferPointer<UInt8>) -> Void,
        _ afterChunk: (InputPosition, UInt64, Bool) throws -> Void
    ) throws {
        let reader = self.reader
        while let c = next() {
            defer { recycle(c) }
            if c.startOffset != position.offset {
                // A piece in which no line starts (a long line runs through it) is passed over.
                if c.lineCount == 0 && c.records.isEmpty && c.error == nil && !c.last { continue }
                return
            }
            if c.startFormat == .auto, position.format != .auto, c.format != position.format {
                // Scanned as `.auto` ahead of knowing the format, and took the other one: scan again as settled.
                c.rescan(as: position.format, maxLineBytes: settings.maxLineBytes, with: rescanner)
            }
            if position.format == .auto { position.format = c.format }
            let base = position.lineNumber
            for n in c.tooLong { onTooLong(base + n) }
            if c.rejectedAtRCPT > 0 { onRejectedAtRCPT(c.rejectedAtRCPT) }
            for r in c.serverLines { onServerLine(UnsafeBufferPointer(rebasing: UnsafeBufferPointer(c.storage)[r])) }
            // In place: a record is a few hundred bytes, not worth copying out.
            try c.records.withUnsafeMutableBufferPointer { records in
                for i in records.indices {
                    // The chunk was scanned on another core: ask for a record's line a few records before it is
                    // applied, so the lookups that hash its recipient do not wait for it.
                    if i + Self.prefetchDistance < records.count {
                        let o = records.baseAddress! + i + Self.prefetchDistance
                        bouncetail_prefetch(o.pointee.outcome.bytes.baseAddress! + o.pointee.outcome.recipient.lowerBound)
                    }
                    records[i].outcome.line = base + records[i].line
                    if records[i].kind.hasTime { records[i].outcome.time = position.resolver.instant(for: records[i].stamp) }
                    try reader.apply(records[i].kind, &records[i].outcome, emit: onOutcome)
                }
            }
            position.lineNumber += c.lineCount
            position.offset = c.endOffset
            if !c.tail.isEmpty {
                // Copied, not shared: the chunk's array is refilled in place next time.
                position.tail.removeAll(keepingCapacity: true)
                position.tail.append(contentsOf: c.tail)
            }
            if let e = c.error { throw e }
            try afterChunk(position, c.endOffset - c.startOffset, c.last)
            if c.last { return }
        }
    }
}
