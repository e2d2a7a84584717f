import BounceTailCore
import Foundation

/// Chunks filled by worker threads and taken by one consumer in input order: chunk k comes from worker
/// k mod W, so workers never wait on each other and the consumer never reorders.
///
/// Each worker owns a fixed pool of `depth` chunks that go back to it once applied, so memory is bounded by
/// W × depth chunks whatever the input's size, and a worker that runs ahead waits for the consumer.
final class ChunkQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var ready: [[ScannedChunk]]
    private var free: [[ScannedChunk]]
    private var done: [Bool]
    private var stopping = false
    private var running = 0
    private var nextIndex = 0
    let workers: Int

    init(workers: Int, depth: Int, chunkCapacity: Int) {
        self.workers = workers
        ready = Array(repeating: [], count: workers)
        free = (0..<workers).map { w in (0..<depth).map { _ in ScannedChunk(capacity: chunkCapacity, owner: w) } }
        done = Array(repeating: false, count: workers)
    }

    /// Starts worker `w` on its own thread; `body` fills chunks taken with `takeFree(w)` and publishes them.
    func start(_ w: Int, name: String, _ body: @escaping @Sendable () -> Void) {
        condition.lock()
        running += 1
        condition.unlock()
        let thread = Thread { [self] in
            body()
            condition.lock()
            done[w] = true
            running -= 1
            condition.broadcast()
            condition.unlock()
        }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
    }

    // MARK: Worker side

    /// An empty chunk of worker `w`'s pool, waiting for one to come back; nil once the consumer has stopped.
    func takeFree(_ w: Int) -> ScannedChunk? {
        condition.lock()
        defer { condition.unlock() }
        while free[w].isEmpty && !stopping { condition.wait() }
        return stopping ? nil : free[w].removeLast()
    }

    func publish(_ c: ScannedChunk) {
        condition.lock()
        ready[c.owner].append(c)
        condition.broadcast()
        condition.unlock()
    }

    /// Whether the consumer has stopped (workers check it between chunks).
    var isStopping: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopping
    }

    // MARK: Consumer side

    /// The next chunk in input order, or nil when its worker has finished without one.
    func next() -> ScannedChunk? {
        let w = nextIndex % workers
        condition.lock()
        defer { condition.unlock() }
        while ready[w].isEmpty && !done[w] { condition.wait() }
        if ready[w].isEmpty { return nil }
        nextIndex += 1
        return ready[w].removeFirst()
    }

    func recycle(_ c: ScannedChunk) {
        condition.lock()
        free[c.owner].append(c)
        condition.broadcast()
        condition.unlock()
    }

    /// Stops the workers and waits for them (before the chunks' memory and the workers' inputs go).
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        condition.unlock()
    }
}
