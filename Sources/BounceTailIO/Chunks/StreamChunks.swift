import BounceTailCore

/// Reads and scans any byte source (a gzip stream, a pipe, the rest of a file) into chunks of scanned lines.
///
/// Threaded, a worker scans while the consumer applies. Inline, the consumer's own thread fills the chunk
/// when it asks for the next one: for gzip, whose inflating already keeps one core busy on its own thread, a
/// third busy thread would only take CPU time from it.
///
/// The source is read straight into the chunk's buffer, and the outcomes point into it; the partial line at
/// the end of a chunk moves to the front of the next one. Lines follow `LineReader`'s rules: a line longer
/// than `maxLineBytes` is dropped as it comes and counted at its newline; a last line without newline is
/// handed out only with `flushPartialLineAtEnd`.
final class StreamChunks: @unchecked Sendable {
    private let source: ByteSource
    private let queue: PieceQueue?
    private let inline: ScannedChunk?
    private let scanner: LineScanner
    private let flush: Bool
    private let maxLineBytes: Int
    private let chunkBytes: Int

    // The reading position, used by whichever thread fills chunks.
    private var offset: UInt64  // input offset of the next chunk's first byte
    private var recent: [UInt8]  // up to 64 bytes before `offset`
    private var format: LogFormat
    private var discarding = false  // inside an over-long line: its bytes are dropped up to its newline
    private var ended = false
    private var failure: (any Error)? = nil
    /// The partial line left at the end of the last chunk filled: where it is and how long.
    private var carry: (chunk: ScannedChunk, at: Int, count: Int)? = nil

    init(source: ByteSource, offset: UInt64, tail: [UInt8], flushPartialLineAtEnd: Bool, format: LogFormat,
         classify: Bool, findsRejectedAtRCPT: Bool = false, maxLineBytes: Int, chunkBytes: Int = 1 << 20,
         threaded: Bool = true, depth: Int = 3)
    {
        self.source = source
        self.offset = offset
        recent = tail
        flush = flushPartialLineAtEnd
        self.format = format
        self.maxLineBytes = maxLineBytes
        self.chunkBytes = chunkBytes
        scanner = LineScanner(classify: classify, findsRejectedAtRCPT: findsRejectedAtRCPT)
        let capacity = chunkBytes + maxLineBytes + 1
        if threaded {
            inline = nil
            // Pieces without end: the chunk that reaches the end of the input is marked last and ends the queue.
            let queue = PieceQueue(pieces: .max, ahead: depth, chunkCapacity: capacity)
            self.queue = queue
            queue.startHelper(name: "bouncetail-scan") { [unowned(unsafe) self] in
                { c, _ in self.fill(c) }
            }
        } else {
            queue = nil
            inline = ScannedChunk(capacity: capacity)
        }
    }

    deinit { queue?.stop() }

    /// The next chunk in input order; nil after the last.
    func next() -> ScannedChunk? {
        if let queue { return queue.next(fill: nil) }
        guard !ended || carry != nil, let c = inline else { return nil }
        fill(c)
        return c
    }

    /// Gives a chunk back once its outcomes are applied.
    func recycle(_ c: ScannedChunk) { queue?.recycle(c) }

    private func fill(_ c: ScannedChunk) {
        // The partial line left by the chunk before moves to the front (the same chunk when inline: memmove).
        var used = 0
        if let (from, at, count) = carry {
            UnsafeMutableRawPointer(c.storage.baseAddress!).copyMemory(from: from.storage.baseAddress! + at, byteCount: count)
            used = count
            carry = nil
        }
        c.reset(format: format)
        c.startOffset = offset
        // At least one read per chunk, then on until the chunk is full.
        while !ended {
            do {
                let room = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(c.storage)[used...])
                switch try source.read(into: room) {
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
        var pos = 0
        var line = 0
        if discarding {
            if let nl = ByteSearch.first(ASCII.newline, in: bytes, 0..<used) {
                line += 1
                c.tooLong.append(line)
                pos = nl + 1
                discarding = false
            } else {
                pos = used
            }
        }
        if !discarding {
            let scanned = c.scanLines(from: pos, ownLimit: used, end: used, firstLine: line + 1, maxLineBytes: maxLineBytes,
                                      with: scanner)
            pos = scanned.next
            line += scanned.lines
        }
        if ended {
            // The last line without newline, when wanted (not after a read error, as `LineReader`).
            if flush && failure == nil && (pos < used || discarding) {
                line += 1
                var stop = used
                if stop > pos && bytes[stop - 1] == ASCII.carriageReturn { stop -= 1 }
                if discarding || used - pos > maxLineBytes {
                    c.tooLong.append(line)
                } else {
                    c.scan(UnsafeBufferPointer(rebasing: bytes[pos..<stop]), line: line, with: scanner)
                }
                pos = used
                discarding = false
            }
        } else if used - pos > maxLineBytes {
            // Already too long without its newline: drop what there is of it.
            pos = used
            discarding = true
        }
        c.lineCount = line
        c.endOffset = offset + UInt64(pos)
        if pos >= 64 {
            c.tail.append(contentsOf: bytes[(pos - 64)..<pos])  // into the kept array: no allocation
        } else {
            c.tail = Array((recent + bytes[0..<pos]).suffix(64))
        }
        c.last = ended
        c.error = failure
        format = c.format
        recent.removeAll(keepingCapacity: true)
        recent.append(contentsOf: c.tail)
        offset += UInt64(pos)
        if !ended && used > pos { carry = (c, pos, used - pos) }
    }
}
