/// Recipients that Postfix deferred and has not finished with, per message.
///
/// Postfix logs `status=expired` once per message from qmgr, naming no recipient; the recipients it gave up
/// on are the ones deferred earlier and neither delivered nor bounced since. This table remembers exactly
/// those, and forgets a message at `removed`, at expiry, or when it has not been seen for `maxAge` seconds
/// of log time (so a log without `removed` lines cannot grow memory without end).
public struct InFlightMessages {
    public struct Pending: Equatable, Sendable {
        public var recipient: [UInt8]
        public var original: [UInt8]?
        public var dsn: DSN?

        public init(recipient: [UInt8], original: [UInt8]?, dsn: DSN?) {
            self.recipient = recipient
            self.original = original
            self.dsn = dsn
        }
    }

    struct Message {
        var lastSeen: Int64
        /// The newest pending recipient (a slot of `pending`), -1 when none.
        var newestPending: Int32
    }

    struct PendingEntry {
        var dsn: DSN?
        var hasOriginal: Bool
        /// The next older pending recipient of the same message, -1 at the end.
        var older: Int32
    }

    /// Keyed by lower-cased `host \0 queueid`; keys live in the tables' byte arenas, so a deferral allocates
    /// nothing of its own.
    private var messages = ByteKeyedTable<Message>()
    /// Slots of an expired message's pending list (reused).
    private var scratch: [Int32] = []
    /// Keyed by lower-cased `host \0 queueid \0 recipient \0 original`; found by the first three parts.
    private var pending = ByteKeyedTable<PendingEntry>()
    public let maxAge: Int64
    private var nextSweep: Int64 = .min

    public init(maxAgeSeconds: Int64 = 10 * 86400) {
        maxAge = maxAgeSeconds
        messages.tracksChanges = true
    }

    public var count: Int { messages.count }

    /// Notes a deferral of `o.recipient` of message `o.queueID`.
    public mutating func deferred(_ o: DeliveryOutcome) {
        sweep(now: o.time.seconds)
        let l = o.bytes
        let hash = messageHash(o)
        let m = messages.find(hash: hash, { Self.matches($0, o, recipient: false) })
            ?? messages.insertLowered(l, o.host, o.queueID, hash: hash, value: Message(lastSeen: o.time.seconds, newestPending: -1))
        messages.values[Int(m)]!.lastSeen = o.time.seconds
        messages.markChanged(m)
        let ph = ByteKey.hash(l, o.recipient, seed: hash)
        guard pending.find(hash: ph, { Self.matches($0, o, recipient: true) }) == nil else { return }
        let entry = PendingEntry(dsn: o.dsn, hasOriginal: o.originalRecipient != nil, older: messages.values[Int(m)]!.newestPending)
        messages.values[Int(m)]!.newestPending = pending.insertLowered(l, o.host, o.queueID, o.recipient, o.originalRecipient, hash: ph, value: entry)
    }

    /// The recipient got a final outcome (delivered or bounced): it is no longer pending.
    @inline(__always)
    public mutating func finished(_ o: DeliveryOutcome) {
        guard pending.count > 0 else { return }
        let hash = messageHash(o)
        // Most final outcomes were never deferred: one lookup turns them away.
        guard let p = pending.find(hash: ByteKey.hash(o.bytes, o.recipient, seed: hash), { Self.matches($0, o, recipient: true) }),
            let m = messages.find(hash: hash, { Self.matches($0, o, recipient: false) })
        else { return }
        messages.markChanged(m)
        // Unlink it from its message's list.
        var slot = messages.values[Int(m)]!.newestPending
        var newer: Int32 = -1
        while slot >= 0 && slot != p {
            newer = slot
            slot = pending.values[Int(slot)]!.older
        }
        let older = pending.values[Int(p)]!.older
        if newer < 0 { messages.values[Int(m)]!.newestPending = older } else { pending.values[Int(newer)]!.older = older }
        pending.remove(p)
        if messages.values[Int(m)]!.newestPending < 0 { messages.remove(m) }
    }

    /// qmgr removed the message: forget it.
    public mutating func removed(host: Range<Int>?, queueID: Range<Int>, in l: UnsafeBufferPointer<UInt8>) {
        if let m = find(host: host, queueID: queueID, in: l) { forget(m) }
    }

    /// qmgr expired the message: hands each pending recipient (oldest first; address, original address, DSN)
    /// to `each`, straight from the table's bytes, then forgets the message.
    public mutating func expire(
        host: Range<Int>?, queueID: Range<Int>, in l: UnsafeBufferPointer<UInt8>,
        each: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>?, DSN?) throws -> Void
    ) rethrows {
        guard let m = find(host: host, queueID: queueID, in: l) else { return }
        defer { forget(m) }
        // Newest first in the list: collect the slots (in a reused array), then go back to front.
        scratch.removeAll(keepingCapacity: true)
        var slot = messages.values[Int(m)]!.newestPending
        while slot >= 0 {
            scratch.append(slot)
            slot = pending.values[Int(slot)]!.older
        }
        for s in scratch.reversed() {
            let e = pending.values[Int(s)]!
            try pending.withKey(s) { key in
                // host \0 queue id \0 recipient \0 original
                var parts = (0, 0, 0)
                var n = 0
                for (i, b) in key.enumerated() where b == 0 && n < 3 {
                    if n == 0 { parts.0 = i } else if n == 1 { parts.1 = i } else { parts.2 = i }
                    n += 1
                }
                let recipientEnd = n >= 3 ? parts.2 : key.count
                let recipient = UnsafeBufferPointer(rebasing: key[(parts.1 + 1)..<recipientEnd])
                let original = e.hasOriginal && n >= 3 ? UnsafeBufferPointer(rebasing: key[(parts.2 + 1)...]) : nil
                try each(recipient, original, e.dsn)
            }
        }
    }

    // MARK: - State

    /// The messages in flight: key (`host \0 queueid`), pending recipients, last seen (for state files).
    public var snapshot: [(key: [UInt8], pending: [Pending], lastSeen: Int64)] {
        messages.slotsInKeyOrder().map { (messages.key($0), pendingList($0), messages.values[Int($0)]!.lastSeen) }
    }

    /// Restores one message from a state file.
    public mutating func restore(key: [UInt8], pending list: [Pending], lastSeen: Int64) {
        messages.tracksChanges = false
        defer { messages.tracksChanges = true }
        let hash = Self.hash(ofKey: key)
        let m = messages.insert(key: key, hash: hash, value: Message(lastSeen: lastSeen, newestPending: -1))
        for p in list {
            let entry = PendingEntry(dsn: p.dsn, hasOriginal: p.original != nil, older: messages.values[Int(m)]!.newestPending)
            let slot = pending.insert(key: key + [0] + p.recipient + [0] + (p.original ?? []), hash: ByteKey.hash(p.recipient, seed: hash),
                                      value: entry)
            messages.values[Int(m)]!.newestPending = slot
        }
    }

    // MARK: - Commits

    /// Each message changed since the last `committed()`, once: its key (`host \0 queueid`) and its pending
    /// recipients (oldest first) with the time it was last seen, or nil when it is no longer in flight.
    /// Removed messages come first (a key may come more than once, and again after as in flight).
    public func forEachChangedMessage(_ body: ([UInt8], (pending: [Pending], lastSeen: Int64)?) throws -> Void) rethrows {
        try messages.forEachChange(
            removed: { try body($0, nil) },
            changed: { try body(messages.key($0), (pendingList($0), messages.values[Int($0)]!.lastSeen)) })
    }

    public mutating func committed() { messages.clearChanges() }

    // MARK: - Helpers

    /// A message's pending recipients, oldest first.
    private func pendingList(_ m: Int32) -> [Pending] {
        var list: [Pending] = []
        var slot = messages.values[Int(m)]!.newestPending
        while slot >= 0 {
            let e = pending.values[Int(slot)]!
            let parts = pending.key(slot).split(separator: 0, maxSplits: 3, omittingEmptySubsequences: false)
            list.append(Pending(recipient: Array(parts[2]), original: e.hasOriginal ? Array(parts[3]) : nil, dsn: e.dsn))
            slot = e.older
        }
        return list.reversed()
    }

    /// Drops a message and its pending recipients.
    private mutating func forget(_ m: Int32) {
        var slot = messages.values[Int(m)]!.newestPending
        while slot >= 0 {
            let older = pending.values[Int(slot)]!.older
            pending.remove(slot)
            slot = older
        }
        messages.remove(m)
    }

    private func find(host: Range<Int>?, queueID: Range<Int>, in l: UnsafeBufferPointer<UInt8>) -> Int32? {
        guard messages.count > 0 else { return nil }
        var probe = DeliveryOutcome(bytes: l, mta: .postfix)
        probe.host = host
        probe.queueID = queueID
        return messages.find(hash: messageHash(probe), { Self.matches($0, probe, recipient: false) })
    }

    /// The hash of a message's host and queue id, from a line...
    private func messageHash(_ o: DeliveryOutcome) -> UInt64 {
        let h = o.host.map { ByteKey.hash(o.bytes, $0) } ?? 0xcbf2_9ce4_8422_2325
        return ByteKey.hash(o.bytes, o.queueID, seed: (h ^ 0) &* 0x100_0000_01b3)
    }

    /// ...and the same from a stored key.
    private static func hash(ofKey key: [UInt8]) -> UInt64 {
        let zero = key.firstIndex(of: 0)!
        return key.withUnsafeBufferPointer { b in
            let h = zero > 0 ? ByteKey.hash(b, 0..<zero) : 0xcbf2_9ce4_8422_2325
            return ByteKey.hash(b, (zero + 1)..<b.count, seed: (h ^ 0) &* 0x100_0000_01b3)
        }
    }

    /// Whether a stored key is `host \0 queueid` of the outcome (exactly), or with `recipient`, starts
    /// `host \0 queueid \0 recipient \0`.
    private static func matches(_ key: UnsafeBufferPointer<UInt8>, _ o: DeliveryOutcome, recipient: Bool) -> Bool {
        var k = 0
        func part(_ r: Range<Int>?) -> Bool {
            guard let r else { return true }
            guard key.count - k >= r.count else { return false }
            for i in r {
                if key[k] != ASCII.lower(o.bytes[i]) { return false }
                k += 1
            }
            return true
        }
        guard part(o.host), k < key.count, key[k] == 0 else { return false }
        k += 1
        guard part(o.queueID) else { return false }
        if !recipient { return k == key.count }
        guard k < key.count, key[k] == 0 else { return false }
        k += 1
        return part(o.recipient) && k < key.count && key[k] == 0
    }

    private mutating func sweep(now: Int64) {
        guard now >= nextSweep else { return }
        nextSweep = now + 3600
        for m in messages.liveSlots where now - messages.values[Int(m)]!.lastSeen > maxAge { forget(m) }
    }
}
