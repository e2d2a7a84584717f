import BounceTailCore
import Foundation

/// Reads any byte source (a gzip stream, a pipe, the rest of a file) into chunks of lines, scanned by whichever
/// thread is free and handed out in input order.
///
/// Reading must go in order, so one reader thread does it (for gzip, that thread inflates). Scanning need not:
/// the reader scans a chunk it has read when no chunk is free to read into, and the consumer scans one when the
/// next in order is not ready yet. So two threads keep two cores busy whatever the balance between inflating,
/// scanning and applying (a read-ahead thread of its own would make three threads share two cores). The pool of
/// chunks is fixed: memory does not grow with the input.
///
/// The source is read straight into the chunk's buffer, and the outcomes point into it; the partial line at
/// the end of a chunk moves to the front of the next one. Lines follow `LineReader`'s rules: a line longer
/// than `maxLineBytes` is dropped as it comes and counted at its newline; a last line without newline is
/// handed out only with `flushPartialLineAtEnd`.
final class StreamChunks: @unchecked Sendable {
    /// What reading found in a chunk, for whichever thread scans it.
    private struct Plan {
        /// The lines to scan: storage[from..<to], each ending in a newline (a flushed last line is given one).
        var from = 0
        var to = 0
        var firstLine = 1
        /// The chunk ends with the rest of an over-long line and no newline (flushed at the end): one more line.
        var tooLongAtEnd = false
    }

    private let source: ByteSource
    private let flush: Bool
    private let maxLineBytes: Int
    private let chunkBytes: Int
    private let ahead: Int
    private let consumerScanner: LineScanner

    // Shared between the reader and the consumer, under `condition`.
    private let condition = NSCondition()
    private var free: [ScannedChunk]
    /// Read and not yet scanned, in input order.
    private var unscanned: [(index: Int, chunk: ScannedChunk, plan: Plan)] = []
    /// Scanned, by index modulo `ahead`, waiting to be handed out.
    private var ready: [ScannedChunk?]
    private var nextRead = 0
    private var nextApply = 0
    /// The index of the last chunk, once it has been read.
    private var lastIndex = Int.max
    /// The format the chunks scanned so far settled on (new chunks start from it).
    private var settledFormat: LogFormat
    private var stopping = false
    private var readerRunning = true

    // The reader's own: where reading stands.
    private var offset: UInt64  // input offset of the next chunk's first byte
    private var recent: [UInt8]  // up to 64 bytes before `offset`
    private var discarding = false  // inside an over-long line: its bytes are dropped up to its newline
    private var ended = false
    private var failure: (any Error)? = nil
    /// The partial line left at the end of the last chunk read: where it is and how long.
    private var carry: (chunk: ScannedChunk, at: Int, count: Int)? = nil

    init(source: ByteSource, offset: UInt64, tail: [UInt8], flushPartialLineAtEnd: Bool, format: LogFormat,
         classify: Bool, findsRejectedAtRCPT: Bool = false, maxLineBytes: Int, chunkBytes: Int = 1 << 20,
         ahead: Int = 4)
    {
        self.source = source
        self.offset = offset
        recent = tail
        flush = flushPartialLineAtEnd
        settledFormat = format
        self.maxLineBytes = maxLineBytes
        self.chunkBytes = chunkBytes
        self.ahead = ahead
        consumerScanner = LineScanner(classify: classify, findsRejectedAtRCPT: findsRejectedAtRCPT)
        // One byte more than a chunk and a line: room for the newline a flushed last line is given.
        free = (0..<ahead).map { _ in ScannedChunk(capacity: chunkBytes + maxLineBytes + 2) }
        ready = Array(repeating: nil, count: ahead)
        let thread = Thread { [unowned(unsafe) self] in
            runReader(scanner: LineScanner(classify: classify, findsRejectedAtRCPT: findsRejectedAtRCPT))
        }
        thread.name = "bouncetail-read"
        thread.start()
    }

    deinit {
        condition.lock()
        stopping = true
        condition.broadcast()
        while readerRunning { condition.wait() }
        condition.unlock()
    }

    /// The next chunk in input order, scanning chunks on this thread while it is not ready; nil after the last.
    func next() -> ScannedChunk? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if nextApply > lastIndex { return nil }
            if let c = ready[nextApply % ahead] {
                ready[nextApply % ahead] = nil
                nextApply += 1
                condition.broadcast()  // the reader may wait for room ahead
                return c
            }
            if !unscanned.isEmpty {
                scanOne(with: consumerScanner)
                continue
            }
            condition.wait()
        }
    }

    /// Gives a chunk back once its outcomes are applied.
    func recycle(_ c: ScannedChunk) {
        condition.lock()
        free.append(c)
        condition.broadcast()
        condition.unlock()
    }

    /// The reader thread: reads the next chunk while one is free, else scans one that is read.
    private func runReader(scanner: LineScanner) {
        condition.lock()
        while !stopping {
            if !ended, !free.isEmpty, nextRead < nextApply + ahead {
                let c = free.removeLast()
                let index = nextRead
                nextRead += 1
                let format = settledFormat
                condition.unlock()
                let plan = read(into: c, format: format)
                condition.lock()
                if c.last { lastIndex = index }
                unscanned.append((index, c, plan))
                condition.broadcast()
            } else if !unscanned.isEmpty {
                scanOne(with: scanner)
            } else if ended {
                break
            } else {
                condition.wait()
            }
        }
        readerRunning = false
        condition.broadcast()
        condition.unlock()
    }

    /// Scans the first chunk waiting to be (called and returning with the lock held; scans without it).
    private func scanOne(with scanner: LineScanner) {
        let (index, c, plan) = unscanned.removeFirst()
        condition.unlock()
        var lines = plan.firstLine - 1
        if plan.from < plan.to {
            lines += c.scanLines(from: plan.from, ownLimit: plan.to, end: plan.to, firstLine: plan.firstLine,
                                 maxLineBytes: maxLineBytes, with: scanner).lines
        }
        c.storedLines = plan.from..<plan.to
        c.storedFirstLine = plan.firstLine
        if plan.tooLongAtEnd {
            lines += 1
            c.tooLong.append(lines)
        }
        c.lineCount = lines
        condition.lock()
        if settledFormat == .auto { settledFormat = c.format }
        ready[index % ahead] = c
        condition.broadcast()
    }

    /// Reads the next chunk's bytes and finds its lines (on the reader thread, in input order).
    private func read(into c: ScannedChunk, format: LogFormat) -> Plan {
        // The partial line left by the chunk before moves to the front (within one chunk: memmove).
        var used = 0
        if let (from, at, count) = carry {
            UnsafeMutableRawPointer(c.storage.baseAddress!).copyMemory(from: from.storage.baseAddress! + at, byteCount: count)
            used = count
            carry = nil
        }
        c.reset(format: format)
        c.startOffset = offset
        let room = c.storage.count - 1
        // At least one read per chunk, then on until the chunk is full.
        while !ended {
            do {
                let space = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(c.storage)[used..<room])
                switch try source.read(into: space) {
                case .bytes(let n): used += n
                case .idle, .end: ended = true
                }
            } catch {
                failure = error
                ended = true
            }
            if used >= chunkBytes { break }
        }
        let bytes = UnsafeBufferPointer(c.storage)
        var plan = Plan()
        var pos = 0
        if discarding {
            if let nl = ByteSearch.first(ASCII.newline, in: bytes, 0..<used) {
                plan.firstLine = 2
                c.tooLong.append(1)
                pos = nl + 1
                discarding = false
            } else {
                pos = used
            }
        }
        plan.from = pos
        plan.to = pos
        if !discarding, let nl = ByteSearch.last(ASCII.newline, in: bytes, pos..<used) { plan.to = nl + 1 }
        var after = plan.to
        if ended {
            // The last line without newline, when wanted (not after a read error, as `LineReader`).
            if flush && failure == nil && (plan.to < used || discarding) {
                if discarding {
                    plan.tooLongAtEnd = true
                } else {
                    c.storage[used] = ASCII.newline
                    plan.to = used + 1
                }
                after = used
                discarding = false
            }
        } else if used - after > maxLineBytes {
            // Already too long without its newline: drop what there is of it.
            after = used
            discarding = true
        }
        c.endOffset = offset + UInt64(after)
        appendTail(before: after, in: bytes, to: &c.tail)
        c.last = ended
        c.error = failure
        recent.removeAll(keepingCapacity: true)
        recent.append(contentsOf: c.tail)
        offset += UInt64(after)
        if !ended && used > after { carry = (c, after, used - after) }
        return plan
    }

    /// Appends the (up to) 64 bytes of the input before `at` in this chunk to `out`.
    private func appendTail(before at: Int, in bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        if at >= 64 {
            out.append(contentsOf: bytes[(at - 64)..<at])  // into a kept array: no allocation
        } else {
            out.append(contentsOf: (recent + bytes[0..<at]).suffix(64))
        }
    }
}
