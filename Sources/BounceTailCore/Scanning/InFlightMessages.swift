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
        var pending: [Pending]
        var lastSeen: Int64
    }

    /// Keyed by lower-cased `host \0 queueid`, kept in the table's byte arena.
    private var messages = ByteKeyedTable<Message>()
    public let maxAge: Int64
    private var nextSweep: Int64 = .min

    public init(maxAgeSeconds: Int64 = 10 * 86400) { maxAge = maxAgeSeconds }

    public var count: Int { messages.count }

    /// Notes a deferral of `o.recipient` of message `o.queueID`.
    public mutating func deferred(_ o: DeliveryOutcome) {
        sweep(now: o.time.seconds)
        let l = o.bytes
        let hash = slotHash(o)
        let slot = Int(
            messages.find(hash: hash, { Self.matches($0, o) })
                ?? messages.insertLowered(l, o.host, o.queueID, hash: hash, value: Message(pending: [], lastSeen: o.time.seconds)))
        messages.values[slot]!.lastSeen = o.time.seconds
        if !messages.values[slot]!.pending.contains(where: { ByteKey.equals($0.recipient, l, o.recipient) }) {
            messages.values[slot]!.pending.append(
                Pending(
                    recipient: ByteKey.lowered(l, o.recipient),
                    original: o.originalRecipient.map { ByteKey.lowered(l, $0) }, dsn: o.dsn))
        }
    }

    /// The recipient got a final outcome (delivered or bounced): it is no longer pending.
    @inline(__always)
    public mutating func finished(_ o: DeliveryOutcome) {
        guard messages.count > 0, let slot = messages.find(hash: slotHash(o), { Self.matches($0, o) }) else { return }
        messages.values[Int(slot)]!.pending.removeAll { ByteKey.equals($0.recipient, o.bytes, o.recipient) }
        if messages.values[Int(slot)]!.pending.isEmpty { messages.remove(slot) }
    }

    /// qmgr removed the message: forget it.
    public mutating func removed(host: Range<Int>?, queueID: Range<Int>, in l: UnsafeBufferPointer<UInt8>) {
        if let slot = find(host: host, queueID: queueID, in: l) { messages.remove(slot) }
    }

    /// qmgr expired the message: returns its pending recipients and forgets it.
    public mutating func expire(host: Range<Int>?, queueID: Range<Int>, in l: UnsafeBufferPointer<UInt8>) -> [Pending] {
        guard let slot = find(host: host, queueID: queueID, in: l) else { return [] }
        let pending = messages.values[Int(slot)]!.pending
        messages.remove(slot)
        return pending
    }

    // MARK: - State

    /// The messages in flight: key (`host \0 queueid`), pending recipients, last seen (for state files).
    public var snapshot: [(key: [UInt8], pending: [Pending], lastSeen: Int64)] {
        messages.liveSlots.map { (messages.key($0), messages.values[Int($0)]!.pending, messages.values[Int($0)]!.lastSeen) }
            .sorted { $0.key.lexicographicallyPrecedes($1.key) }
    }

    /// Restores one message from a state file.
    public mutating func restore(key: [UInt8], pending: [Pending], lastSeen: Int64) {
        _ = messages.insert(key: key, hash: Self.hash(ofKey: key), value: Message(pending: pending, lastSeen: lastSeen))
    }

    // MARK: - Helpers

    private func find(host: Range<Int>?, queueID: Range<Int>, in l: UnsafeBufferPointer<UInt8>) -> Int32? {
        guard messages.count > 0 else { return nil }
        var probe = DeliveryOutcome(bytes: l, mta: .postfix)
        probe.host = host
        probe.queueID = queueID
        return messages.find(hash: slotHash(probe), { Self.matches($0, probe) })
    }

    /// The hash of a message's host and queue id, from a line...
    private func slotHash(_ o: DeliveryOutcome) -> UInt64 {
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

    private static func matches(_ key: UnsafeBufferPointer<UInt8>, _ o: DeliveryOutcome) -> Bool {
        let hostCount = o.host?.count ?? 0
        guard key.count == hostCount + 1 + o.queueID.count, key[hostCount] == 0 else { return false }
        var k = 0
        if let h = o.host {
            for i in h {
                if key[k] != ASCII.lower(o.bytes[i]) { return false }
                k += 1
            }
        }
        k = hostCount + 1
        for i in o.queueID {
            if key[k] != ASCII.lower(o.bytes[i]) { return false }
            k += 1
        }
        return true
    }

    private mutating func sweep(now: Int64) {
        guard now >= nextSweep else { return }
        nextSweep = now + 3600
        for slot in messages.liveSlots where now - messages.values[Int(slot)]!.lastSeen > maxAge { messages.remove(slot) }
    }
}
