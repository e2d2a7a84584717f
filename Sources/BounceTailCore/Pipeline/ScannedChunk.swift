import CBytes

/// A run of consecutive lines of one input, scanned away from the thread that applies them: the bytes the
/// outcomes point into and the scanned lines in order. Producers fill chunks on their own threads; the
/// consumer applies them in input order and hands them back to be filled again, so a chunk's memory is
/// allocated once.
///
/// Lines are numbered from 1 within the chunk; the consumer adds the number of lines before it.
public final class ScannedChunk: @unchecked Sendable {
    public struct Record {
        public var kind: ScannedKind
        /// Line number within the chunk (from 1).
        public var line: Int
        /// The line's stamp, still to be resolved (in input order) when `kind.hasTime`.
        public var stamp: LogStamp
        /// The outcome, its bytes inside `storage`.
        public var outcome: DeliveryOutcome
    }

    /// The chunk's bytes: its lines, as read.
    public let storage: UnsafeMutableBufferPointer<UInt8>
    @exclusivity(unchecked) public var records: [Record] = []
    /// Chunk line numbers of lines skipped as too long.
    @exclusivity(unchecked) public var tooLong: [Int] = []
    /// Lines that were refusals at RCPT of a suppressed address (counted only when the scanner looks for them).
    public var rejectedAtRCPT = 0
    /// Where the lines `report` counts besides outcomes lie in `storage` (refusals at RCPT among them).
    @exclusivity(unchecked) public var serverLines: [Range<Int>] = []
    /// Complete lines the chunk covers (scanned or skipped).
    public var lineCount = 0
    /// Input offsets of the first line and just past the last line.
    public var startOffset: UInt64 = 0
    public var endOffset: UInt64 = 0
    /// Up to 64 bytes just before `endOffset` (for the position check of the next run).
    public var tail: [UInt8] = []
    /// The format the chunk was scanned with, and the format after it (set by the first line recognised when
    /// the chunk started as `.auto`).
    public var startFormat: LogFormat = .auto
    @exclusivity(unchecked) public var format: LogFormat = .auto
    /// No chunk of this input follows: the end, or what could be read of it.
    public var last = false
    /// The input failed after this chunk's lines (they are still good).
    public var error: (any Error)?
    /// Which producer's pool the chunk goes back to.
    public let owner: Int

    public init(capacity: Int, owner: Int = 0) {
        storage = .allocate(capacity: capacity)
        self.owner = owner
        records.reserveCapacity(4096)
    }

    deinit {
        storage.deallocate()
        ends.deallocate()
        marks.deallocate()
    }

    /// Empties the chunk for refilling (keeps its memory).
    public func reset(format: LogFormat) {
        records.removeAll(keepingCapacity: true)
        tooLong.removeAll(keepingCapacity: true)
        rejectedAtRCPT = 0
        serverLines.removeAll(keepingCapacity: true)
        lineCount = 0
        startOffset = 0
        endOffset = 0
        tail.removeAll(keepingCapacity: true)
        startFormat = format
        self.format = format
        last = false
        error = nil
        storedLines = nil
        storedFirstLine = 1
    }

    /// Where the chunk's complete lines lie in `storage`, when it holds all of them (not only the lines that
    /// yielded records), so they can be scanned again.
    public var storedLines: Range<Int>? = nil
    /// The number in the chunk of the first stored line (2 when the chunk starts with the end of an over-long line).
    public var storedFirstLine = 1

    /// Line ends and `: to=` marks of the batch being scanned (see `scanLines`).
    private let ends = UnsafeMutableBufferPointer<Int32>.allocate(capacity: 512)
    private let marks = UnsafeMutableBufferPointer<Int32>.allocate(capacity: 512)

    /// Scans the complete lines of `storage[from..<end]` that start before `ownLimit` (the last may run on past
    /// it), numbering them from `firstLine`. Returns the index after the last line taken and the number of
    /// lines. Lines are found a batch at a time by a vector scan that also marks each line's `: to=`, so the
    /// Postfix scanner does not search for it.
    public func scanLines(from: Int, ownLimit: Int, end: Int, firstLine: Int, maxLineBytes: Int,
                          with scanner: LineScanner) -> (next: Int, lines: Int)
    {
        var pos = from
        var line = firstLine - 1
        // Lines that end before `ownLimit` are all the chunk's.
        let indexLimit = min(end, ownLimit)
        let base = UnsafePointer(storage.baseAddress!)
        while pos < indexLimit {
            let n = bouncetail_index_lines(base, indexLimit, pos, ends.baseAddress!, marks.baseAddress!, ends.count)
            if n == 0 { break }
            for k in 0..<n {
                line += 1
                take(at: &pos, newline: Int(ends[k]), mark: Int(marks[k]), line: line, maxLineBytes, scanner)
            }
        }
        // One more that starts before `ownLimit` and ends after it.
        if pos < ownLimit, pos < end, let nl = ByteSearch.first(ASCII.newline, in: UnsafeBufferPointer(storage), indexLimit..<end) {
            line += 1
            take(at: &pos, newline: nl, mark: Int.min, line: line, maxLineBytes, scanner)
        }
        return (pos, line - firstLine + 1)
    }

    /// Scans the line from `pos` to `newline` and moves `pos` past it. `mark`: the index of its first `: to=`,
    /// negative for none, `Int.min` when not known.
    @inline(__always)
    private func take(at pos: inout Int, newline nl: Int, mark: Int, line: Int, _ maxLineBytes: Int,
                      _ scanner: LineScanner)
    {
        let start = pos
        pos = nl + 1
        if nl - start > maxLineBytes {
            tooLong.append(line)
            return
        }
        let bytes = UnsafeBufferPointer(storage)
        var stop = nl
        if stop > start && bytes[stop - 1] == ASCII.carriageReturn { stop -= 1 }
        let m = mark == Int.min ? LineScanner.unknownMark : mark < 0 || mark >= stop ? -1 : mark - start
        scan(UnsafeBufferPointer(rebasing: bytes[start..<stop]), line: line, toMark: m, with: scanner)
    }

    /// Scans the stored lines again in `format`, replacing the records (lines too long stay skipped).
    public func rescan(as format: LogFormat, maxLineBytes: Int, with scanner: LineScanner) {
        guard let range = storedLines else { return }
        records.removeAll(keepingCapacity: true)
        rejectedAtRCPT = 0
        serverLines.removeAll(keepingCapacity: true)
        self.format = format
        let bytes = UnsafeBufferPointer(storage)
        var pos = range.lowerBound
        var line = storedFirstLine - 1
        while pos < range.upperBound, let nl = ByteSearch.first(ASCII.newline, in: bytes, pos..<range.upperBound) {
            line += 1
            if nl - pos <= maxLineBytes {
                var stop = nl
                if stop > pos && bytes[stop - 1] == ASCII.carriageReturn { stop -= 1 }
                scan(UnsafeBufferPointer(rebasing: bytes[pos..<stop]), line: line, with: scanner)
            }
            pos = nl + 1
        }
    }

    /// Scans line `l` (number `line` in the chunk, its bytes in `storage`) and keeps what it yields.
    @inline(__always)
    public func scan(_ l: UnsafeBufferPointer<UInt8>, line: Int, toMark: Int = LineScanner.unknownMark,
                     with scanner: LineScanner)
    {
        var o = DeliveryOutcome(bytes: l, mta: .postfix)
        var stamp = LogStamp.placeholder
        let kind = scanner.scan(l, toMark: toMark, format: &format, stamp: &stamp, into: &o)
        if kind == .none || kind == .recognised { return }
        if kind == .rejectedAtRCPT || kind == .serverLine {
            if kind == .rejectedAtRCPT { rejectedAtRCPT += 1 }
            let start = l.baseAddress! - UnsafePointer(storage.baseAddress!)
            serverLines.append(start..<(start + l.count))
            return
        }
        records.append(Record(kind: kind, line: line, stamp: stamp, outcome: o))
    }
}
