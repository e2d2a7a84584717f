import BounceTailCore
import Foundation

/// Pieces of one file scanned by helper threads and by the consumer, applied by the consumer in order. (A
/// stream, which must be read in order, has its own queue in `StreamChunks`.)
///
/// Whoever is free claims the next piece: the consumer applies a chunk when the next one in order is ready and
/// scans a piece itself when it is not, so every core scans and none waits while there is work (with a
/// separate applying thread, three busy threads would share two cores). At most `ahead` pieces are claimed
/// and not yet applied, each in a chunk of a fixed pool: memory does not grow with the input.
final class PieceQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var ring: [ScannedChunk?]
    private var free: [ScannedChunk]
    private var nextClaim = 0
    private var nextApply = 0
    /// Pieces in all; lowered when a chunk turns out to be the last (the file ended early).
    private var total: Int
    private var stopping = false
    private var running = 0
    private let ahead: Int

    init(pieces: Int, ahead: Int, chunkCapacity: Int) {
        total = pieces
        self.ahead = ahead
        ring = Array(repeating: nil, count: ahead)
        free = (0..<ahead).map { _ in ScannedChunk(capacity: chunkCapacity) }
    }

    /// Starts a helper thread that claims, fills and publishes pieces until none is left; `makeFill` is called
    /// on that thread (what it sets up, such as a scanner, stays there).
    func startHelper(name: String, _ makeFill: @escaping @Sendable () -> (ScannedChunk, Int) -> Void) {
        condition.lock()
        running += 1
        condition.unlock()
        let thread = Thread { [self] in
            let fill = makeFill()
            while let (k, c) = claim(waiting: true) {
                fill(c, k)
                publish(c, k)
            }
            condition.lock()
            running -= 1
            condition.broadcast()
            condition.unlock()
        }
        thread.name = name
        thread.start()
    }

    /// The next piece and an empty chunk for it; nil when all are claimed (or the consumer stopped). Without
    /// `waiting`, nil also when the pool is empty or the claim would run too far ahead. Call with the lock
    /// held only from `next`.
    private func claimLocked(waiting: Bool) -> (Int, ScannedChunk)? {
        while true {
            if stopping || nextClaim >= total { return nil }
            if !free.isEmpty && nextClaim < nextApply + ahead {
                let k = nextClaim
                nextClaim += 1
                return (k, free.removeLast())
            }
            if !waiting { return nil }
            condition.wait()
        }
    }

    private func claim(waiting: Bool) -> (Int, ScannedChunk)? {
        condition.lock()
        defer { condition.unlock() }
        return claimLocked(waiting: waiting)
    }

    private func publish(_ c: ScannedChunk, _ k: Int) {
        condition.lock()
        ring[k % ahead] = c
        if c.last { total = min(total, k + 1) }
        condition.broadcast()
        condition.unlock()
    }

    /// The next chunk in order, scanning pieces on this thread with `fill` while it is not ready; nil after the
    /// last.
    func next(fill: (ScannedChunk, Int) -> Void) -> ScannedChunk? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if nextApply >= total { return nil }
            if let c = ring[nextApply % ahead] {
                ring[nextApply % ahead] = nil
                nextApply += 1
                condition.broadcast()  // a claim may have waited for room ahead
                return c
            }
            if let (k, c) = claimLocked(waiting: false) {
                condition.unlock()
                fill(c, k)
                condition.lock()
                ring[k % ahead] = c
                if c.last { total = min(total, k + 1) }
                condition.broadcast()
                continue
            }
            condition.wait()
        }
    }

    func recycle(_ c: ScannedChunk) {
        condition.lock()
        free.append(c)
        condition.broadcast()
        condition.unlock()
    }

    /// Stops the helpers and waits for them (before the chunks' memory and the input go).
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        condition.unlock()
    }
}
