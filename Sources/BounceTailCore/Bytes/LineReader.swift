/// Splits a byte stream into lines without copying them, with a hard cap on line length.
///
/// One buffer is allocated up front and never grows, so memory stays the same whatever the input:
///
///     0        start                 end               capacity
///     | (spent) | partial line so far | free space ... |
///
/// Each read goes into the free space; every complete line found is handed to the caller as a view into the
/// buffer (terminator and a trailing `\r` removed); what is left of a partial line moves to the front before
/// the next read. A line longer than `maxLineBytes` is dropped up to its newline and reported once.
public final class LineReader {
    public let maxLineBytes: Int
    private let storage: UnsafeMutableBufferPointer<UInt8>
    private var start = 0
    private var end = 0
    /// Inside a line that is already known to be too long: its bytes are dropped until the next newline.
    private var discarding = false

    /// Lines completed so far, including skipped ones (the number of the last line handed out).
    public private(set) var lineNumber = 0
    /// Bytes of the source consumed by complete lines (the position to resume from).
    public private(set) var offset: UInt64 = 0

    public init(maxLineBytes: Int = 64 * 1024, readSize: Int = 256 * 1024) {
        precondition(maxLineBytes > 0 && readSize > 0)
        self.maxLineBytes = maxLineBytes
        storage = .allocate(capacity: maxLineBytes + readSize + 1)
    }

    deinit { storage.deallocate() }

    /// Starts counting from a saved position (lines and offset already consumed by an earlier run). `tail`
    /// holds the bytes just before `offset` as far as known, so `tail(_:)` is whole even before 64 new bytes.
    public func resume(lineNumber: Int, offset: UInt64, tail: [UInt8] = []) {
        self.lineNumber = lineNumber
        self.offset = offset
        savedTail = Array(tail.suffix(64))
        paused = false
        start = 0
        end = 0
        discarding = false
    }

    /// Bytes held for a line whose newline has not arrived yet.
    public var pendingBytes: Int { end - start }

    /// Whether a last line without newline is handed out at the end of the source. True for archives and
    /// scans; false where the writer may still be writing it (it then stays pending for the next run).
    public var flushPartialLineAtEnd = true

    /// When set, `run` returns `.bytes(0)` ("paused") after a read once `offset` has reached it, so the caller
    /// can commit progress; calling `run` again goes on where it stopped.
    public var pauseAt: UInt64? = nil

    /// Up to `count` bytes just before `offset` (the end of the last complete line), as far as the buffer
    /// still holds them: used to recognise the same content at a saved position.
    public func tail(_ count: Int) -> [UInt8] {
        let n = min(count, start)
        var t = savedTail.suffix(count - n) + Array(UnsafeBufferPointer(rebasing: UnsafeBufferPointer(storage)[(start - n)..<start]))
        if t.count > count { t.removeFirst(t.count - count) }
        return Array(t)
    }

    /// `run` stopped at `pauseAt` with complete lines possibly still in the buffer.
    private var paused = false

    /// The last bytes consumed before the buffer was last compacted (for `tail`), at most 64.
    private var savedTail: [UInt8] = []

    /// Reads from `source` and calls `onLine(line, number)` for each complete line, until the source is idle
    /// or ends. At the end, a last line without newline is handed out too. `onTooLong(number)` reports a
    /// skipped line.
    @inline(__always)
    public func run(
        from source: ByteSource,
        onLine: (UnsafeBufferPointer<UInt8>, Int) throws -> Void,
        onTooLong: (Int) throws -> Void
    ) throws -> ReadResult {
        // Lines left in the buffer by a pause come first.
        if paused {
            paused = false
            try emitCompleteLines(onLine: onLine, onTooLong: onTooLong)
            if paused { return .bytes(0) }
        }
        while true {
            compact()
            if end == storage.count - 1 {
                // The partial line fills the whole buffer: it is too long; drop what we have of it.
                offset += UInt64(end - start)
                start = 0
                end = 0
                discarding = true
            }
            let free = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(storage)[end..<(storage.count - 1)])
            let result = try source.read(into: free)
            switch result {
            case .bytes(let n):
                end += n
                try emitCompleteLines(onLine: onLine, onTooLong: onTooLong)
                if paused { return .bytes(0) }
            case .idle:
                return .idle
            case .end:
                if !flushPartialLineAtEnd { return .end }
                if end > start || discarding {
                    lineNumber += 1
                    let length = end - start
                    if discarding || length > maxLineBytes {
                        try onTooLong(lineNumber)
                    } else {
                        var stop = end
                        if storage[stop - 1] == ASCII.carriageReturn { stop -= 1 }
                        try onLine(UnsafeBufferPointer(rebasing: UnsafeBufferPointer(storage)[start..<stop]), lineNumber)
                    }
                    offset += UInt64(length)
                    start = end
                    discarding = false
                }
                return .end
            }
        }
    }

    @inline(__always)
    private func emitCompleteLines(
        onLine: (UnsafeBufferPointer<UInt8>, Int) throws -> Void,
        onTooLong: (Int) throws -> Void
    ) throws {
        let view = UnsafeBufferPointer(storage)
        while let nl = ByteSearch.first(ASCII.newline, in: view, start..<end) {
            lineNumber += 1
            let length = nl - start
            if discarding || length > maxLineBytes {
                discarding = false
                try onTooLong(lineNumber)
            } else {
                var stop = nl
                if stop > start && view[stop - 1] == ASCII.carriageReturn { stop -= 1 }
                try onLine(UnsafeBufferPointer(rebasing: view[start..<stop]), lineNumber)
            }
            offset += UInt64(length + 1)
            start = nl + 1
            if let p = pauseAt, offset >= p {
                paused = true
                return
            }
        }
        if end - start > maxLineBytes {
            // Already too long and no newline yet: stop holding it.
            offset += UInt64(end - start)
            start = end
            discarding = true
        }
    }

    private func compact() {
        if start > 0 {
            // Keep the last bytes of consumed lines for `tail` (one small copy per read, not per line).
            let n = min(64, start)
            savedTail = Array((savedTail + UnsafeBufferPointer(rebasing: UnsafeBufferPointer(storage)[(start - n)..<start])).suffix(64))
        }
        if start == end {
            start = 0
            end = 0
        } else if start > 0 {
            let base = storage.baseAddress!
            UnsafeMutableRawPointer(base).copyMemory(from: base + start, byteCount: end - start)  // regions may overlap: memmove
            end -= start
            start = 0
        }
    }
}
