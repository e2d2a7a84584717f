import BounceTailCore
import Foundation

/// Reads another source on its own thread into a few large buffers ahead of the consumer, so that gzip
/// decompression runs on one core while scanning runs on another.
///
/// The queue is bounded (`depth` buffers), so memory stays fixed however large the input. An error of the inner
/// source is raised only after every byte read before it has been handed out, as the inner source would.
final class ReadAheadSource: ByteSource, @unchecked Sendable {
    private let inner: ByteSource
    private let condition = NSCondition()
    private var free: [UnsafeMutableRawBufferPointer]
    private var filled: [(buffer: UnsafeMutableRawBufferPointer, count: Int)] = []
    private var ended = false
    private var failure: Error?
    private var stopping = false
    private var producerDone = false
    private var all: [UnsafeMutableRawBufferPointer]
    /// The buffer being handed out, and how far.
    private var current: (buffer: UnsafeMutableRawBufferPointer, count: Int)?
    private var position = 0

    init(_ inner: ByteSource, bufferBytes: Int = 1 << 20, depth: Int = 4) {
        self.inner = inner
        all = (0..<depth).map { _ in .allocate(byteCount: bufferBytes, alignment: 64) }
        free = all
        // Unowned(unsafe): deinit waits for this thread to finish before the memory goes.
        let thread = Thread { [unowned(unsafe) self] in produce() }
        thread.name = "bouncetail-read-ahead"
        thread.start()
    }

    deinit {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !producerDone { condition.wait() }
        condition.unlock()
        for b in all { b.deallocate() }
    }

    private func produce() {
        defer {
            condition.lock()
            producerDone = true
            condition.broadcast()
            condition.unlock()
        }
        while true {
            condition.lock()
            while free.isEmpty && !stopping { condition.wait() }
            if stopping {
                condition.unlock()
                return
            }
            let buffer = free.removeLast()
            condition.unlock()
            // Fill the whole buffer: fewer hand-overs, and the consumer sees large blocks.
            var count = 0
            var end = false
            var error: Error?
            do {
                while count < buffer.count {
                    switch try inner.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[count...])) {
                    case .bytes(let n): count += n
                    case .idle, .end: end = true
                    }
                    if end { break }
                }
            } catch let e {
                error = e
                end = true
            }
            condition.lock()
            if count > 0 { filled.append((buffer, count)) } else { free.append(buffer) }
            if end {
                ended = true
                failure = error
            }
            condition.broadcast()
            condition.unlock()
            if end { return }
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> ReadResult {
        if current == nil || position == current!.count {
            condition.lock()
            if let done = current {
                free.append(done.buffer)
                current = nil
                condition.broadcast()
            }
            while filled.isEmpty && !ended { condition.wait() }
            if filled.isEmpty {
                let error = failure
                condition.unlock()
                if let error { throw error }
                return .end
            }
            current = filled.removeFirst()
            position = 0
            condition.unlock()
        }
        let c = current!
        let n = min(buffer.count, c.count - position)
        buffer.baseAddress!.copyMemory(from: c.buffer.baseAddress! + position, byteCount: n)
        position += n
        return .bytes(n)
    }

    /// Warnings of the inner source (read after the end has been reached).
    var warnings: [String] { (inner as? GzipSource)?.warnings ?? [] }
}
