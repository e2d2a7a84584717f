#if canImport(Glibc)
import Glibc
#endif
/// Per-recipient consecutive-bounce counters and suppressions: the one stateful stage (docs/TRACKING.md).
///
/// Outcomes are applied in log order and time is log time, so the same logs always give the same deltas.
/// The unit is a message to a recipient: a (host, queue id, recipient) pair counts once; a pair counted soft
/// that later bounces hard moves from soft to hard. Failures that are the sender's or the message's fault do
/// not count unless the policy says so. A delivery resets the counters and lifts a suppression.
public final class BounceLedger {
    public struct Recipient: Equatable, Sendable {
        public var hard = 0
        public var soft = 0
        /// First failure of the current streak and the latest one.
        public var firstBounce: Instant?
        public var lastBounce: Instant?
        /// First soft failure of the current soft streak (the soft rule needs the streak to span a time).
        public var softSince: Instant?
        public var lastReason: BounceReason?
        public var suppressed = false
        public var suppressedAt: Instant?
        public var until: Instant?
        /// Why it is suppressed: a reason name, or the operator's text.
        public var suppressReason: String?
        public var suppressWhy: SuppressionDelta.Why?

        public init() {}

        /// The largest counter a state holds (a counter stops there; a stored one above is corrupt).
        public static let maxCounter = Int(Int32.max)

        public var isEmpty: Bool { hard == 0 && soft == 0 && !suppressed }
    }

    public struct Pair: Equatable, Sendable {
        public var countedHard: Bool
        public var lastSeen: Int64

        public init(countedHard: Bool, lastSeen: Int64) {
            self.countedHard = countedHard
            self.lastSeen = lastSeen
        }
    }

    public var policy: SuppressionPolicy
    /// The seq of the last delta made (0: none yet); grows by one per delta for the life of the state.
    public private(set) var lastSeq: UInt64
    @exclusivity(unchecked) private var recipients = ByteKeyedTable<Recipient>()
    @exclusivity(unchecked) private var pairs = ByteKeyedTable<Pair>()
    /// Suppressions with an end, by end time (lazy: entries are checked against the record when popped).
    @exclusivity(unchecked) private var expiries = MinHeap()
    private var nextPairSweep: Int64 = .min
    /// The state database, for addresses not in memory (nil: everything is in memory).
    public var backing: RecipientBacking? {
        didSet {
            storedExpiry = backing?.earliestStoredExpiry(after: nil)
            storedFilter = nil
        }
    }
    /// The earliest end of a stored timed suppression not loaded yet.
    private var storedExpiry: Int64?
    /// The backing's filter of stored addresses, read on the first miss (kept here: checked on every
    /// delivery to an address not in memory, it must cost a probe, not a call).
    private var storedFilter: FingerprintSet?
    /// Recipient slots changed since the last commit (each once), and which slots those are. A recipient that
    /// no longer counts stays in its slot, empty, until the commit has deleted its row: until then the stored
    /// row must not be read back in as if it were current.
    private var changedSlots: [Int32] = []
    private var slotChanged: [Bool] = []

    /// In a state many hosts share: the ledger keeps only this host's message pairs and hands what each
    /// outcome did to the store as points, merged into the fleet's records at commit (`FleetTimeline`);
    /// it makes no deltas itself.
    public var fleet: FleetPoints?

    public init(policy: SuppressionPolicy, lastSeq: UInt64 = 0) {
        self.policy = policy
        self.lastSeq = lastSeq
        pairs.tracksChanges = true
    }

    /// Recipients in memory with a counter or a suppression.
    public var recipientCount: Int { recipients.liveSlots.count { !recipients.values[Int($0)]!.isEmpty } }
    public var pairCount: Int { pairs.count }

    /// Whether the outcome's recipient is on the list right now (before the outcome is applied).
    public func isSuppressed(_ o: DeliveryOutcome) -> Bool {
        let keyRange = o.originalRecipient ?? o.recipient
        guard let slot = recipientSlot(o.bytes, keyRange, hash: ByteKey.hash(o.bytes, keyRange)) else { return false }
        return recipients.values[Int(slot)]!.suppressed
    }

    // MARK: - Applying outcomes

    /// Applies one outcome; `file` names its input in deltas. Calls `emit` for each delta it causes.
    @inline(__always)
    public func apply(_ o: DeliveryOutcome, file: [UInt8], emit: (SuppressionDelta) throws -> Void) rethrows {
        if let t = storedExpiry, t <= o.time.seconds { loadStoredExpiries(upTo: o.time.seconds) }
        if !expiries.isEmpty, let top = expiries.peek, top.until <= o.time {
            try liftExpired(upTo: o.time, file: file, line: o.line, emit: emit)
        }
        let l = o.bytes
        // The original address, unless it is a bare name (`orig_to=<root>`): then the address delivery went to.
        // A key without a domain is no address (and would be a domain in a Postfix access map), and postmaster@
        // and abuse@ must stay reachable: neither is ever counted.
        var keyRange = o.originalRecipient ?? o.recipient
        var at = ByteSearch.last(ASCII.at, in: l, keyRange)
        if at == nil, keyRange != o.recipient {
            keyRange = o.recipient
            at = ByteSearch.last(ASCII.at, in: l, keyRange)
        }
        guard let at, at > keyRange.lowerBound, !AddressSyntax.isRole(l, keyRange.lowerBound, at) else { return }
        let keyHash = ByteKey.hash(l, keyRange)
        if let fleet, fleet.newest.map({ $0 < o.time }) ?? true { fleet.newest = o.time }
        switch o.status {
        case .delivered:
            forgetPair(o, keyRange: keyRange, keyHash: keyHash)
            if let fleet { return fleet.delivered(l, keyRange, hash: keyHash, at: o.time, file: file, line: o.line) }
            guard let slot = recipientSlot(l, keyRange, hash: keyHash) else { return }
            let wasSuppressed = recipients.values[Int(slot)]!.suppressed
            guard !recipients.values[Int(slot)]!.isEmpty else { return }
            forget(slot)
            if wasSuppressed {
                try emit(delta(.unsuppress, key: recipients.key(slot), why: .delivered, reason: "delivered",
                               Recipient(), time: o.time, file: file, line: o.line))
            }
        case .deferred, .expired, .bounced, .softBounce:
            guard let c = o.classification else { return }
            if !policy.countSenderFaults, c.fault == .sender || c.fault == .message { return }
            let isHard = (o.status == .bounced || o.status == .softBounce) && c.bounce == .hard
            let final = o.status == .bounced || o.status == .expired
            // Count the pair once; soft → hard moves it.
            var newHard = 0
            var newSoft = 0
            let pairHash = ByteKey.hash(l, o.queueID, seed: o.host.map { ByteKey.hash(l, $0) } ?? 0) ^ keyHash
            if let p = pairs.find(hash: pairHash, { pairMatches($0, o, keyRange) }) {
                var pair = pairs.values[Int(p)]!
                if isHard && !pair.countedHard {
                    newHard = 1
                    newSoft = -1
                    pair.countedHard = true
                }
                pair.lastSeen = o.time.seconds
                if final {
                    pairs.remove(p)
                } else {
                    pairs.values[Int(p)] = pair
                    pairs.markChanged(p)
                }
            } else {
                if isHard { newHard = 1 } else { newSoft = 1 }
                if !final {
                    sweepPairs(now: o.time.seconds)
                    _ = pairs.insertLowered(l, o.host, o.queueID, keyRange, hash: pairHash,
                                            value: Pair(countedHard: isHard, lastSeen: o.time.seconds))
                }
            }
            guard newHard != 0 || newSoft != 0 else { return }
            if let fleet {
                let kind: FleetTimeline.Point.Kind = newSoft < 0 ? .move : newHard > 0 ? .hard : .soft
                fleet.add(ByteKey.lowered(l, keyRange), .init(kind, o.time, reason: c.reason.name, file: file, line: o.line))
                return
            }
            let slot = recipientSlot(l, keyRange, hash: keyHash)
                ?? recipients.insertLowered(l, keyRange, hash: keyHash, value: Recipient())
            noteChanged(slot)
            var r = recipients.values[Int(slot)]!
            r.hard = min(r.hard + newHard, Recipient.maxCounter)
            r.soft = min(max(0, r.soft + newSoft), Recipient.maxCounter)
            if r.firstBounce == nil { r.firstBounce = o.time }
            r.lastBounce = o.time
            // A failure that says nothing specific (Exim's "retry time not reached", an expiry) keeps the
            // streak's last specific reason: "mailboxfull" tells an operator more than "expired".
            if r.lastReason == nil || ![.undefined, .expired, .onhold].contains(c.reason) { r.lastReason = c.reason }
            if newSoft > 0 && r.softSince == nil { r.softSince = o.time }
            if r.soft == 0 { r.softSince = nil }
            if !r.suppressed {
                var why: SuppressionDelta.Why? = nil
                if r.hard >= policy.hardLimit {
                    why = .hard
                } else if r.soft >= policy.softLimit, let since = r.softSince,
                    o.time.seconds - since.seconds >= policy.softSpanSeconds
                {
                    why = .soft
                }
                if let why {
                    let reason = (r.lastReason ?? c.reason).name
                    suppress(&r, slot: slot, at: o.time, why: why, reason: reason)
                    recipients.values[Int(slot)] = r
                    try emit(delta(.suppress, key: recipients.key(slot), why: why, reason: reason, r,
                                   time: o.time, file: file, line: o.line))
                    return
                }
            }
            recipients.values[Int(slot)] = r
        case .probeDeliverable, .probeUndeliverable:
            return
        }
    }

    /// Lifts every timed suppression whose end is at or before `time` (log time moved past it).
    public func liftExpired(upTo time: Instant, file: [UInt8]?, line: Int?, emit: (SuppressionDelta) throws -> Void)
        rethrows
    {
        while let top = expiries.peek, top.until <= time {
            expiries.pop()
            let slot = top.slot
            guard Int(slot) < recipients.values.count, let r = recipients.values[Int(slot)], r.suppressed,
                r.until == top.until, recipients.key(slot) == top.key
            else { continue }
            let key = recipients.key(slot)
            forget(slot)
            try emit(delta(.unsuppress, key: key, why: .expired, reason: nil, Recipient(), time: top.until,
                           file: file, line: line))
        }
    }

    // MARK: - Manual changes

    /// Suppresses an address by hand (forever, unless the policy has a duration); nil if it already is.
    public func suppressManually(_ address: [UInt8], reason: String, at time: Instant) -> SuppressionDelta? {
        let key = address.map(ASCII.lower)
        if let fleet { fleet.add(key, .init(.suppress, time, reason: reason)); return nil }
        let slot = slotFor(key) ?? recipients.insert(key: key, hash: ByteKey.hash(key), value: Recipient())
        var r = recipients.values[Int(slot)]!
        guard !r.suppressed else { return nil }
        noteChanged(slot)
        suppress(&r, slot: slot, at: time, why: .manual, reason: reason)
        recipients.values[Int(slot)] = r
        return delta(.suppress, key: key, why: .manual, reason: reason, r, time: time, file: nil, line: nil)
    }

    /// Lifts a suppression by hand and resets the counters; nil if the address was not suppressed.
    public func unsuppressManually(_ address: [UInt8], at time: Instant) -> SuppressionDelta? {
        let key = address.map(ASCII.lower)
        if let fleet { fleet.add(key, .init(.unsuppress, time)); return nil }
        guard let slot = slotFor(key), recipients.values[Int(slot)]!.suppressed else { return nil }
        forget(slot)
        return delta(.unsuppress, key: key, why: .manual, reason: nil, Recipient(), time: time, file: nil, line: nil)
    }

    /// What recorded activity (an open, a click, a reply) did to an address.
    public enum ActivityResult: Equatable, Sendable {
        case unknown, olderThanLastBounce, reset, keptSuppressed, lifted
    }

    /// Recorded activity at `time`: the address is alive, so its consecutive counters start again, as after a
    /// delivery. An activity older than the address's last bounce does not undo that bounce (nothing changes);
    /// a soft suppression is lifted when `liftsSoft` (a delta with `"why":"activity"`); a hard or manual one
    /// stays (only a delivery or an unsuppress lifts it), its counters zeroed.
    public func recordActivity(_ address: [UInt8], at time: Instant, liftsSoft: Bool) -> (ActivityResult, SuppressionDelta?) {
        let key = address.map(ASCII.lower)
        if let fleet {
            fleet.add(key, .init(liftsSoft ? .activityLifting : .activity, time))
            return (.reset, nil)
        }
        guard let slot = slotFor(key), !recipients.values[Int(slot)]!.isEmpty else { return (.unknown, nil) }
        let r = recipients.values[Int(slot)]!
        if let last = r.lastBounce, time < last { return (.olderThanLastBounce, nil) }
        if r.suppressed && r.suppressWhy == .soft && liftsSoft {
            forget(slot)
            return (.lifted, delta(.unsuppress, key: key, why: .activity, reason: "activity", Recipient(), time: time, file: nil, line: nil))
        }
        zeroCounters(slot)
        return (r.suppressed ? .keptSuppressed : .reset, nil)
    }

    /// Zeroes an address's counters by hand without changing the list; false when it had nothing to reset.
    public func resetCounters(_ address: [UInt8]) -> Bool {
        let key = address.map(ASCII.lower)
        // By hand, now: the wall clock's time (the other changes by hand carry theirs).
        if let fleet { fleet.add(key, .init(.reset, Instant(seconds: Int64(time(nil))))); return true }
        guard let slot = slotFor(key), !recipients.values[Int(slot)]!.isEmpty else { return false }
        let r = recipients.values[Int(slot)]!
        guard r.hard > 0 || r.soft > 0 else { return false }
        zeroCounters(slot)
        return true
    }

    /// The counters start again: a suppressed address keeps its suppression, any other is forgotten.
    private func zeroCounters(_ slot: Int32) {
        var r = recipients.values[Int(slot)]!
        guard r.suppressed else { return forget(slot) }
        noteChanged(slot)
        r.hard = 0
        r.soft = 0
        r.softSince = nil
        recipients.values[Int(slot)] = r
    }

    // MARK: - State

    /// Every recipient in memory with a counter or a suppression, sorted by address.
    public var snapshotRecipients: [(key: [UInt8], record: Recipient)] {
        recipients.slotsInKeyOrder().filter { !recipients.values[Int($0)]!.isEmpty }
            .map { (recipients.key($0), recipients.values[Int($0)]!) }
    }

    /// Every message-recipient pair in flight.
    public var snapshotPairs: [(key: [UInt8], pair: Pair)] {
        pairs.slotsInKeyOrder().map { (pairs.key($0), pairs.values[Int($0)]!) }
    }

    /// Every recipient with a counter or a suppression in address order, its key valid during `body` (nothing
    /// is copied: state saves go through here).
    public func forEachRecipientInKeyOrder(_ body: (UnsafeBufferPointer<UInt8>, Recipient) throws -> Void) rethrows {
        for slot in recipients.slotsInKeyOrder() where !recipients.values[Int(slot)]!.isEmpty {
            try recipients.withKey(slot) { try body($0, recipients.values[Int(slot)]!) }
        }
    }

    /// Every message-recipient pair in flight in key order (`host \0 queueid \0 recipient`, as `snapshotPairs`).
    public func forEachPairInKeyOrder(_ body: (UnsafeBufferPointer<UInt8>, Pair) throws -> Void) rethrows {
        for slot in pairs.slotsInKeyOrder() {
            try pairs.withKey(slot) { try body($0, pairs.values[Int(slot)]!) }
        }
    }

    /// Restores one recipient from a state file.
    public func restore(recipient key: [UInt8], _ r: Recipient) {
        let slot = recipients.insert(key: key, hash: ByteKey.hash(key), value: r)
        if r.suppressed, let until = r.until { expiries.push(.init(until: until, slot: slot, key: key)) }
    }

    /// Restores one in-flight pair (its key as `snapshotPairs` gave it).
    public func restore(pairKey key: [UInt8], _ p: Pair) {
        pairs.tracksChanges = false
        defer { pairs.tracksChanges = true }
        _ = pairs.insert(key: key, hash: Self.pairHash(fromKey: key), value: p)
    }

    public func restore(lastSeq: UInt64) { self.lastSeq = lastSeq }

    // MARK: - Commits

    /// Each recipient changed since the last `committed()`, once: its key and record, or nil when it no
    /// longer counts (its stored row is to be deleted).
    public func forEachChangedRecipient(_ body: (UnsafeBufferPointer<UInt8>, Recipient?) throws -> Void) rethrows {
        // In address order: a database writes a sorted run of keys into its tree far faster than a random one.
        for slot in recipients.inKeyOrder(changedSlots) {
            let r = recipients.values[Int(slot)]!
            try recipients.withKey(slot) { try body($0, r.isEmpty ? nil : r) }
        }
    }

    /// Each message-recipient pair changed since the last `committed()`, once: its key (`host \0 queueid \0
    /// recipient`) and its value, or nil when it is gone.
    /// Removed pairs come first (a key may come more than once, and again after as stored).
    /// Changed pairs come in key order, their keys lent from the table (nothing copied).
    public func forEachChangedPair(_ body: (UnsafeBufferPointer<UInt8>, Pair?) throws -> Void) rethrows {
        try pairs.forEachChangeInKeyOrder(
            removed: { key in try key.withUnsafeBufferPointer { try body($0, nil) } },
            changed: { slot in
                let p = pairs.values[Int(slot)]!
                try pairs.withKey(slot) { try body($0, p) }
            })
    }

    public var hasChanges: Bool { !changedSlots.isEmpty || pairs.hasChanges }

    /// The changes are stored: forget them, and drop the recipients that no longer count from memory.
    public func committed() {
        for slot in changedSlots {
            slotChanged[Int(slot)] = false
            if recipients.values[Int(slot)]!.isEmpty { recipients.remove(slot) }
        }
        changedSlots.removeAll(keepingCapacity: true)
        pairs.clearChanges()
    }

    // MARK: - Helpers

    private func suppress(_ r: inout Recipient, slot: Int32, at time: Instant, why: SuppressionDelta.Why, reason: String) {
        r.suppressed = true
        r.suppressedAt = time
        r.suppressReason = reason
        r.suppressWhy = why
        r.until = policy.end(ofSuppressionAt: time)
        if let until = r.until { expiries.push(.init(until: until, slot: slot, key: recipients.key(slot))) }
    }

    private func delta(
        _ action: SuppressionDelta.Action, key: [UInt8], why: SuppressionDelta.Why, reason: String?, _ r: Recipient,
        time: Instant, file: [UInt8]?, line: Int?
    ) -> SuppressionDelta {
        lastSeq += 1
        return SuppressionDelta(
            seq: lastSeq, time: time, action: action, recipient: key, why: why, reason: reason, hard: r.hard,
            soft: r.soft, firstBounce: r.firstBounce, lastBounce: r.lastBounce, until: action == .suppress ? r.until : nil,
            file: file, line: line)
    }

    private func slotFor(_ key: [UInt8]) -> Int32? {
        let hash = ByteKey.hash(key)
        if let slot = recipients.find(hash: hash, { $0.elementsEqual(key) }) { return slot }
        guard mayBeStored(hash) else { return nil }
        return loadStored(key, hash: hash)
    }

    /// The slot of an address from a line: in memory, or read in from the state database when it may be
    /// stored there (an empty record when it is not, so the database is asked once).
    @inline(__always)
    private func recipientSlot(_ l: UnsafeBufferPointer<UInt8>, _ keyRange: Range<Int>, hash: UInt64) -> Int32? {
        if let slot = recipients.find(hash: hash, { ByteKey.equals($0, l, keyRange) }) { return slot }
        guard mayBeStored(hash) else { return nil }
        return loadStored(ByteKey.lowered(l, keyRange), hash: hash)
    }

    /// Reads the backing's filter of stored addresses now (a follower at its start), not at the first miss.
    public func loadStoredFilter() {
        if backing != nil && storedFilter == nil { storedFilter = backing!.storedAddressFilter() }
    }

    @inline(__always)
    private func mayBeStored(_ hash: UInt64) -> Bool {
        guard backing != nil else { return false }
        if storedFilter == nil { storedFilter = backing!.storedAddressFilter() }
        return storedFilter!.count > 0 && storedFilter!.contains(hash)
    }

    private func loadStored(_ key: [UInt8], hash: UInt64) -> Int32 {
        let r = backing?.storedRecipient(key) ?? Recipient()
        let slot = recipients.insert(key: key, hash: hash, value: r)
        if r.suppressed, let until = r.until { expiries.push(.init(until: until, slot: slot, key: key)) }
        return slot
    }

    /// Log time reached a stored suppression's end: the stored ones ending by then join the in-memory heap
    /// (those in memory already are there, and memory is newer than the database).
    private func loadStoredExpiries(upTo seconds: Int64) {
        guard let backing else { return }
        for (key, record) in backing.storedExpiries(upTo: seconds) {
            let hash = ByteKey.hash(key)
            guard recipients.find(hash: hash, { $0.elementsEqual(key) }) == nil else { continue }
            let slot = recipients.insert(key: key, hash: hash, value: record)
            if record.suppressed, let until = record.until { expiries.push(.init(until: until, slot: slot, key: key)) }
        }
        storedExpiry = backing.earliestStoredExpiry(after: seconds)
    }

    private func noteChanged(_ slot: Int32) {
        let s = Int(slot)
        if s >= slotChanged.count { slotChanged += [Bool](repeating: false, count: max(1024, s + 1 - slotChanged.count, slotChanged.count)) }
        if !slotChanged[s] {
            slotChanged[s] = true
            changedSlots.append(slot)
        }
    }

    /// The recipient no longer counts: emptied now, its slot (and stored row) dropped at the commit.
    private func forget(_ slot: Int32) {
        noteChanged(slot)
        recipients.values[Int(slot)] = Recipient()
    }

    /// Pair keys are `host \0 queueid \0 recipient`, lower-cased.
    /// Whether a stored pair key (`host\0queueid\0recipient`, lower-cased) is this outcome's.
    private func pairMatches(_ s: UnsafeBufferPointer<UInt8>, _ o: DeliveryOutcome, _ keyRange: Range<Int>) -> Bool {
        let host = o.host ?? 0..<0
        guard s.count == host.count + o.queueID.count + keyRange.count + 2 else { return false }
        var k = 0
        func part(_ r: Range<Int>) -> Bool {
            for i in r {
                if s[k] != ASCII.lower(o.bytes[i]) { return false }
                k += 1
            }
            return true
        }
        guard part(host), s[k] == 0 else { return false }
        k += 1
        guard part(o.queueID), s[k] == 0 else { return false }
        k += 1
        return part(keyRange)
    }

    private static func pairHash(fromKey key: [UInt8]) -> UInt64 {
        key.withUnsafeBufferPointer { b in
            let z1 = b.firstIndex(of: 0)!
            let z2 = b[(z1 + 1)...].firstIndex(of: 0)!
            let hostHash: UInt64 = z1 > 0 ? ByteKey.hash(b, 0..<z1) : 0
            return ByteKey.hash(b, (z1 + 1)..<z2, seed: hostHash) ^ ByteKey.hash(b, (z2 + 1)..<b.count)
        }
    }

    private func forgetPair(_ o: DeliveryOutcome, keyRange: Range<Int>, keyHash: UInt64) {
        guard pairs.count > 0 else { return }
        let l = o.bytes
        let pairHash = ByteKey.hash(l, o.queueID, seed: o.host.map { ByteKey.hash(l, $0) } ?? 0) ^ keyHash
        if let p = pairs.find(hash: pairHash, { pairMatches($0, o, keyRange) }) {
            pairs.remove(p)
        }
    }

    /// Drops pairs not seen for `pairMaxAge` (once per hour of log time).
    private func sweepPairs(now: Int64) {
        guard now >= nextPairSweep else { return }
        nextPairSweep = now + 3600
        for slot in pairs.liveSlots where now - pairs.values[Int(slot)]!.lastSeen > policy.pairMaxAgeSeconds {
            pairs.remove(slot)
        }
    }
}

/// What this host's outcomes did since the last commit, for a store shared by many hosts: the points in the
/// order they were read, and the latest delivery to each address (deliveries are most lines: one entry per
/// address, kept in a byte-keyed table, no allocation per line).
public final class FleetPoints {
    public private(set) var points: [(key: [UInt8], point: FleetTimeline.Point)] = []
    private var deliveries = ByteKeyedTable<FleetTimeline.Point>()
    /// The newest log time seen (timed suppressions ending by then are lifted at the commit).
    public var newest: Instant?

    public init() {}

    public var isEmpty: Bool { points.isEmpty && deliveries.count == 0 }

    public func add(_ key: [UInt8], _ p: FleetTimeline.Point) { points.append((key, p)) }

    func delivered(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, hash: UInt64, at time: Instant, file: [UInt8], line: Int) {
        if let slot = deliveries.find(hash: hash, { ByteKey.equals($0, l, r) }) {
            if deliveries.values[Int(slot)]!.time < time { deliveries.values[Int(slot)] = .init(.delivered, time, file: file, line: line) }
        } else {
            _ = deliveries.insertLowered(l, r, hash: hash, value: .init(.delivered, time, file: file, line: line))
        }
    }

    /// Every address with points, in address order, its points oldest first (a delivery as the last it had).
    public func byAddress() -> [(key: [UInt8], points: [FleetTimeline.Point])] {
        var grouped: [[UInt8]: [FleetTimeline.Point]] = [:]
        for (k, p) in points { grouped[k, default: []].append(p) }
        for slot in deliveries.liveSlots { grouped[deliveries.key(slot), default: []].append(deliveries.values[Int(slot)]!) }
        return grouped.map { ($0.key, $0.value) }.sorted { ByteKey.precedes($0.key, $1.key) }
    }

    /// Committed: start again.
    public func clear() {
        points.removeAll(keepingCapacity: true)
        deliveries = ByteKeyedTable()
    }
}

/// A binary min-heap of suppression ends.
struct MinHeap {
    struct Entry {
        var until: Instant
        var slot: Int32
        var key: [UInt8]

        /// Earlier end first; equal ends by address, so lifting order never depends on insertion order.
        static func < (a: Entry, b: Entry) -> Bool {
            a.until != b.until ? a.until < b.until : ByteKey.precedes(a.key, b.key)
        }
    }
    private var items: [Entry] = []
    var isEmpty: Bool { items.isEmpty }
    var peek: Entry? { items.first }

    mutating func push(_ e: Entry) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i] < items[parent] else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() {
        guard !items.isEmpty else { return }
        items.swapAt(0, items.count - 1)
        items.removeLast()
        var i = 0
        while true {
            let a = 2 * i + 1
            let b = a + 1
            var m = i
            if a < items.count && items[a] < items[m] { m = a }
            if b < items.count && items[b] < items[m] { m = b }
            if m == i { break }
            items.swapAt(i, m)
            i = m
        }
    }
}

extension BounceLedger.Recipient {
    /// `,"hard":N,"soft":N,"first_bounce":T,"last_bounce":T`, as the state file and `list` both write them.
    public func appendCounters(to j: inout JSONBuffer) {
        SuppressionDelta.appendCounters(hard: hard, soft: soft, firstBounce: firstBounce, lastBounce: lastBounce, to: &j)
    }
}
