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
        var key: [UInt8]  // lower-cased "host\0queueid"
        var pending: [Pending]
        var lastSeen: Int64
    }

    private var messages: [UInt64: Message] = [:]
    public let maxAge: Int64
    private var nextSweep: Int64 = .min

    public init(maxAgeSeconds: Int64 = 10 * 86400) { maxAge = maxAgeSeconds }

    public var count: Int { messages.count }

    /// Notes a deferral of `o.recipient` of message `o.queueID`.
    public mutating func deferred(_ o: DeliveryOutcome) {
        sweep(now: o.time.seconds)
        let l = o.bytes
        var slot = slotHash(o)
        while let m = messages[slot], !matches(m.key, o) { slot &+= 1 }
        var message =
            messages[slot] ?? Message(key: keyBytes(o), pending: [], lastSeen: o.time.seconds)
        message.lastSeen = o.time.seconds
        if !message.pending.contains(where: { ByteKey.equals($0.recipient, l, o.recipient) }) {
            message.pending.append(
                Pending(
                    recipient: ByteKey.lowered(l, o.recipient),
                    original: o.originalRecipient.map { ByteKey.lowered(l, $0) }, dsn: o.dsn))
        }
        messages[slot] = message
    }

    /// The recipient got a final outcome (delivered or bounced): it is no longer pending.
    @inline(__always)
    public mutating func finished(_ o: DeliveryOutcome) {
        guard !messages.isEmpty, let slot = find(o) else { return }
        messages[slot]!.pending.removeAll { ByteKey.equals($0.recipient, o.bytes, o.recipient) }
        if messages[slot]!.pending.isEmpty { remove(slot) }
    }

    /// qmgr removed the message: forget it.
    public mutating func removed(host: Range<Int>?, queueID: Range<Int>, in l: UnsafeBufferPointer<UInt8>) {
        var probe = DeliveryOutcome(bytes: l, mta: .postfix)
        probe.host = host
        probe.queueID = queueID
        guard !messages.isEmpty, let slot = find(probe) else { return }
        remove(slot)
    }

    /// qmgr expired the message: returns its pending recipients and forgets it.
    public mutating func expire(host: Range<Int>?, queueID: Range<Int>, in l: UnsafeBufferPointer<UInt8>) -> [Pending] {
        var probe = DeliveryOutcome(bytes: l, mta: .postfix)
        probe.host = host
        probe.queueID = queueID
        guard !messages.isEmpty, let slot = find(probe) else { return [] }
        let pending = messages[slot]!.pending
        remove(slot)
        return pending
    }

    // MARK: - State

    /// The messages in flight: key (`host \0 queueid`), pending recipients, last seen (for state files).
    public var snapshot: [(key: [UInt8], pending: [Pending], lastSeen: Int64)] {
        messages.values.map { ($0.key, $0.pending, $0.lastSeen) }.sorted { $0.key.lexicographicallyPrecedes($1.key) }
    }

    /// Restores one message from a state file.
    public mutating func restore(key: [UInt8], pending: [Pending], lastSeen: Int64) {
        var s = reseatHash(key)
        while messages[s] != nil { s &+= 1 }
        messages[s] = Message(key: key, pending: pending, lastSeen: lastSeen)
    }

    // MARK: - Helpers

    private func slotHash(_ o: DeliveryOutcome) -> UInt64 {
        let h = o.host.map { ByteKey.hash(o.bytes, $0) } ?? 0xcbf2_9ce4_8422_2325
        return ByteKey.hash(o.bytes, o.queueID, seed: (h ^ 0) &* 0x100_0000_01b3)
    }

    private func keyBytes(_ o: DeliveryOutcome) -> [UInt8] { ByteKey.joined(o.bytes, o.host, o.queueID) }

    private func matches(_ key: [UInt8], _ o: DeliveryOutcome) -> Bool {
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

    private func find(_ o: DeliveryOutcome) -> UInt64? {
        var slot = slotHash(o)
        while let m = messages[slot] {
            if matches(m.key, o) { return slot }
            slot &+= 1
        }
        return nil
    }

    /// Removes a slot and re-seats the probe chain behind it so lookups stay correct.
    private mutating func remove(_ slot: UInt64) {
        messages[slot] = nil
        var next = slot &+ 1
        while let m = messages[next] {
            messages[next] = nil
            var s = reseatHash(m.key)
            while messages[s] != nil { s &+= 1 }
            messages[s] = m
            next &+= 1
        }
    }

    private func reseatHash(_ key: [UInt8]) -> UInt64 {
        let zero = key.firstIndex(of: 0)!
        return key.withUnsafeBufferPointer { b in
            let h = zero > 0 ? ByteKey.hash(b, 0..<zero) : 0xcbf2_9ce4_8422_2325
            return ByteKey.hash(b, (zero + 1)..<b.count, seed: (h ^ 0) &* 0x100_0000_01b3)
        }
    }

    private mutating func sweep(now: Int64) {
        guard now >= nextSweep else { return }
        nextSweep = now + 3600
        guard messages.values.contains(where: { now - $0.lastSeen > maxAge }) else { return }
        var kept: [UInt64: Message] = [:]
        for m in messages.values where now - m.lastSeen <= maxAge {
            var s = reseatHash(m.key)
            while kept[s] != nil { s &+= 1 }
            kept[s] = m
        }
        messages = kept
    }
}
