import BounceTailCore

/// Reads and scans any byte source (a gzip stream, a pipe, the rest of a file) on a thread of its own,
/// handing chunks of scanned lines to the consumer: scanning runs on one core while applying runs on
/// another (and, for gzip, inflating on a third thread ahead of both).
///
/// Lines are split by a `LineReader` into its own buffer; the lines that yield something are copied into the
/// chunk (a few hundred bytes each), so the reader's buffer can be refilled while the chunk waits.
final class StreamChunks: @unchecked Sendable {
    private let queue: ChunkQueue
    private let source: ByteSource
    private let lines: LineReader

    /// `lines` must be positioned (`resume`) and set up (`flushPartialLineAtEnd`); it is used by the worker
    /// until this object goes.
    init(source: ByteSource, lines: LineReader, format: LogFormat, classify: Bool, chunkBytes: Int = 1 << 20,
         depth: Int = 3)
    {
        self.source = source
        self.lines = lines
        queue = ChunkQueue(workers: 1, depth: depth, chunkCapacity: chunkBytes + lines.maxLineBytes + 1)
        queue.start(0, name: "bouncetail-scan") { [unowned(unsafe) self] in
            produce(format: format, classify: classify, chunkBytes: chunkBytes)
        }
    }

    deinit { queue.stop() }

    func next() -> ScannedChunk? { queue.next() }

    func recycle(_ c: ScannedChunk) { queue.recycle(c) }

    private func produce(format: LogFormat, classify: Bool, chunkBytes: Int) {
        let scanner = LineScanner(classify: classify)
        guard var c = queue.takeFree(0) else { return }
        c.reset(format: format)
        var firstLine = lines.lineNumber  // the line before the chunk's first
        c.startOffset = lines.offset
        var settled = format
        // Closes the current chunk at the reader's position (every line before the one being handed out).
        func close(last: Bool, lineNumber: Int) {
            c.lineCount = lineNumber - firstLine
            c.endOffset = lines.offset
            c.tail = lines.tail(64)
            c.last = last
            settled = c.format
        }
        func handOver(lineNumber: Int) -> Bool {
            close(last: false, lineNumber: lineNumber)
            queue.publish(c)
            guard let n = queue.takeFree(0) else { return false }
            c = n
            c.reset(format: settled)
            c.startOffset = lines.offset
            firstLine = lineNumber
            return true
        }
        do {
            while true {
                let result = try lines.run(
                    from: source,
                    onLine: { line, number in
                        // Full, or as much input as a chunk should cover (commits and progress come per chunk).
                        if c.used + line.count > chunkBytes || lines.offset - c.startOffset >= UInt64(chunkBytes) {
                            guard handOver(lineNumber: number - 1) else { throw Stopped() }
                        }
                        c.scan(line, line: number - firstLine, with: scanner, copy: true)
                    },
                    onTooLong: { number in
                        c.tooLong.append(number - firstLine)
                    })
                if result != .bytes(0) { break }
            }
            close(last: true, lineNumber: lines.lineNumber)
        } catch is Stopped {
            return
        } catch {
            close(last: true, lineNumber: lines.lineNumber)
            c.error = error
        }
        queue.publish(c)
    }

    private struct Stopped: Error {}
}
