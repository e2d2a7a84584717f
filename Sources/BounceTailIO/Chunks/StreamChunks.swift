import BounceTailCore

/// Reads and scans any byte source (a gzip stream, a pipe, the rest of a file) on a thread of its own,
/// handing chunks of scanned lines to the consumer: scanning runs on one core while applying runs on
/// another (and, for gzip, inflating on a third thread ahead of both).
///
/// The source is read straight into the chunk's buffer, and the outcomes point into it; the partial line at
/// the end of a chunk moves to the front of the next one. Lines follow `LineReader`'s rules: a line longer
/// than `maxLineBytes` is dropped as it comes and counted at its newline; a last line without newline is
/// handed out only with `flushPartialLineAtEnd`.
final class StreamChunks: @unchecked Sendable {
    private let queue: ChunkQueue
    private let source: ByteSource

    init(source: ByteSource, offset: UInt64, tail: [UInt8], flushPartialLineAtEnd: Bool,
         format: LogFormat, classify: Bool, maxLineBytes: Int, chunkBytes: Int = 1 << 20, depth: Int = 3)
    {
        self.source = source
        queue = ChunkQueue(workers: 1, depth: depth, chunkCapacity: chunkBytes + maxLineBytes + 1)
        queue.start(0, name: "bouncetail-scan") { [unowned(unsafe) self] in
            produce(offset: offset, tail: tail, flush: flushPartialLineAtEnd, format: format, classify: classify,
                    maxLineBytes: maxLineBytes, chunkBytes: chunkBytes)
        }
    }

    deinit { queue.stop() }

    func next() -> ScannedChunk? { queue.next() }

    func recycle(_ c: ScannedChunk) { queue.recycle(c) }

    private func produce(offset start: UInt64, tail: [UInt8], flush: Bool, format: LogFormat, classify: Bool,
                         maxLineBytes: Int, chunkBytes: Int)
    {
        let scanner = LineScanner(classify: classify)
        guard var c = queue.takeFree(0) else { return }
        c.reset(format: format)
        var offset = start  // input offset of the chunk's first byte
        var recent = tail  // up to 64 bytes before `offset`
        var used = 0  // bytes in the chunk (a carried partial line first)
        var discarding = false  // inside an over-long line: its bytes are dropped up to its newline
        var ended = false
        var failure: (any Error)? = nil
        while true {
            c.startOffset = offset
            // At least one read per chunk, then on until the chunk is full.
            repeat {
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
            } while used < chunkBytes && !ended
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
                let scanned = c.scanLines(from: pos, ownLimit: used, end: used, firstLine: line + 1,
                                          maxLineBytes: maxLineBytes, with: scanner)
                pos = scanned.next
                line += scanned.lines
            }
            if ended {
                // The last line without newline, when wanted (not after a read error, as the line reader).
                if flush && failure == nil && (pos < used || discarding) {
                    line += 1
                    var stop = used
                    if stop > pos && bytes[stop - 1] == ASCII.carriageReturn { stop -= 1 }
                    if discarding || used - pos > maxLineBytes {
                        c.tooLong.append(line)
                    } else {
                        c.scan(UnsafeBufferPointer(rebasing: bytes[pos..<stop]), line: line, with: scanner, copy: false)
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
            c.tail = pos >= 64 ? Array(bytes[(pos - 64)..<pos]) : Array((recent + bytes[0..<pos]).suffix(64))
            c.last = ended
            c.error = failure
            let settled = c.format
            let carry = used - pos
            recent = c.tail
            offset += UInt64(pos)
            let done = c
            queue.publish(done)
            if ended { return }
            guard let n = queue.takeFree(0) else { return }
            // The partial line moves to the front of the next chunk (the same chunk may come back: memmove).
            UnsafeMutableRawPointer(n.storage.baseAddress!).copyMemory(from: done.storage.baseAddress! + pos, byteCount: carry)
            c = n
            c.reset(format: settled)
            used = carry
        }
    }
}
