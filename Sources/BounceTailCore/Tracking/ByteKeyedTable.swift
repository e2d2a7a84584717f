#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A table keyed by byte strings that can be looked up straight from bytes in a log line, without building
/// a key: hashes lead to chains of slots whose stored keys are compared byte for byte.
///
/// Slots are reused after removal, so memory follows the number of live entries, not the history. Keys live
/// back to back in one byte arena (compacted when half of it is dead), so storing a key allocates nothing of
/// its own. Buckets are a plain power-of-two array indexed by the (already well mixed) key hash: a Swift
/// Dictionary would hash the hash again with SipHash on every lookup, which showed in profiles.
struct ByteKeyedTable<Value> {
    private var buckets = [Int32](repeating: -1, count: 1024)
    private var shift: UInt64 = 64 - 10
    private var arena: [UInt8] = []
    private var keyStart: [Int] = []
    private var keyLength: [Int32] = []
    private var deadBytes = 0
    private(set) var hashes: [UInt64] = []
    var values: [Value?] = []
    private var next: [Int32] = []
    private var free: [Int32] = []
    private(set) var count = 0

    /// With `tracksChanges`, what changed since `clearChanges()`: slots inserted or marked (each once; a
    /// slot emptied since is passed over), and the keys of removed entries, back to back. A commit deletes the
    /// removed keys, then writes the changed live slots, so a key removed and stored again ends stored.
    var tracksChanges = false
    private var changedSlots: [Int32] = []
    private var slotChanged: [Bool] = []
    private var removedArena: [UInt8] = []
    private var removedEnds: [Int] = []
    /// Slots whose key is stored (restored, or committed since): only their removal needs a delete.
    private var slotStored: [Bool] = []

    /// The slot whose key satisfies `matches`, among those with `hash`.
    @inline(__always)
    func find(hash: UInt64, _ matches: (UnsafeBufferPointer<UInt8>) -> Bool) -> Int32? {
        var slot = buckets[bucket(hash)]
        guard slot >= 0 else { return nil }
        return arena.withUnsafeBufferPointer { a in
            while slot >= 0 {
                let s = Int(slot)
                if hashes[s] == hash,
                    matches(UnsafeBufferPointer(rebasing: a[keyStart[s]..<(keyStart[s] + Int(keyLength[s]))]))
                {
                    return slot
                }
                slot = next[s]
            }
            return nil
        }
    }

    /// A slot's key, without copying it (valid during `body`).
    func withKey<R>(_ slot: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let s = Int(slot)
        return try arena.withUnsafeBufferPointer { a in
            try body(UnsafeBufferPointer(rebasing: a[keyStart[s]..<(keyStart[s] + Int(keyLength[s]))]))
        }
    }

    /// A copy of a slot's key.
    func key(_ slot: Int32) -> [UInt8] {
        let s = Int(slot)
        return Array(arena[keyStart[s]..<(keyStart[s] + Int(keyLength[s]))])
    }

    /// Stores `key` as it is.
    mutating func insert(key: [UInt8], hash: UInt64, value: Value) -> Int32 {
        insert(hash: hash, value: value) { $0 += key }
    }

    /// Stores the lower-cased `parts` of a line joined by NUL bytes (a missing part is empty), without building
    /// the key first. One to four parts (fixed arities: a variadic list would allocate an array per call).
    mutating func insertLowered(_ l: UnsafeBufferPointer<UInt8>, _ a: Range<Int>?, hash: UInt64, value: Value) -> Int32 {
        insertLowered(l, (a, nil, nil, nil), count: 1, hash: hash, value: value)
    }

    mutating func insertLowered(_ l: UnsafeBufferPointer<UInt8>, _ a: Range<Int>?, _ b: Range<Int>?, hash: UInt64,
                                value: Value) -> Int32 {
        insertLowered(l, (a, b, nil, nil), count: 2, hash: hash, value: value)
    }

    mutating func insertLowered(_ l: UnsafeBufferPointer<UInt8>, _ a: Range<Int>?, _ b: Range<Int>?, _ c: Range<Int>?,
                                hash: UInt64, value: Value) -> Int32 {
        insertLowered(l, (a, b, c, nil), count: 3, hash: hash, value: value)
    }

    mutating func insertLowered(_ l: UnsafeBufferPointer<UInt8>, _ a: Range<Int>?, _ b: Range<Int>?, _ c: Range<Int>?,
                                _ d: Range<Int>?, hash: UInt64, value: Value) -> Int32 {
        insertLowered(l, (a, b, c, d), count: 4, hash: hash, value: value)
    }

    private mutating func insertLowered(
        _ l: UnsafeBufferPointer<UInt8>, _ parts: (Range<Int>?, Range<Int>?, Range<Int>?, Range<Int>?), count: Int,
        hash: UInt64, value: Value
    ) -> Int32 {
        insert(hash: hash, value: value) { arena in
            for n in 0..<count {
                if n > 0 { arena.append(0) }
                let part = n == 0 ? parts.0 : n == 1 ? parts.1 : n == 2 ? parts.2 : parts.3
                if let part { for k in part { arena.append(ASCII.lower(l[k])) } }
            }
        }
    }

    private mutating func insert(hash: UInt64, value: Value, writeKey: (inout [UInt8]) -> Void) -> Int32 {
        compactIfMostlyDead()
        let start = arena.count
        writeKey(&arena)
        let length = Int32(arena.count - start)
        let slot: Int32
        if let f = free.popLast() {
            slot = f
            keyStart[Int(slot)] = start
            keyLength[Int(slot)] = length
            hashes[Int(slot)] = hash
            values[Int(slot)] = value
        } else {
            slot = Int32(values.count)
            keyStart.append(start)
            keyLength.append(length)
            hashes.append(hash)
            values.append(value)
            next.append(-1)
        }
        let b = bucket(hash)
        next[Int(slot)] = buckets[b]
        buckets[b] = slot
        count += 1
        if count > buckets.count - buckets.count / 4 { grow() }
        // Inserted while changes are not tracked: restored from the store.
        setStored(slot, !tracksChanges)
        markChanged(slot)
        return slot
    }

    /// Notes a slot whose value was changed in place (`values[slot] = ...`).
    @inline(__always)
    mutating func markChanged(_ slot: Int32) {
        guard tracksChanges else { return }
        let s = Int(slot)
        if s >= slotChanged.count { slotChanged += [Bool](repeating: false, count: max(1024, s + 1 - slotChanged.count, slotChanged.count)) }
        if !slotChanged[s] {
            slotChanged[s] = true
            changedSlots.append(slot)
        }
    }

    var hasChanges: Bool { !changedSlots.isEmpty || !removedEnds.isEmpty }

    /// The keys removed since `clearChanges()` (a key may come more than once), then each changed live slot.
    func forEachChange(removed: ([UInt8]) throws -> Void, changed: (Int32) throws -> Void) rethrows {
        var start = 0
        for end in removedEnds {
            try removed(Array(removedArena[start..<end]))
            start = end
        }
        for slot in changedSlots where values[Int(slot)] != nil { try changed(slot) }
    }

    /// As `forEachChange`, with the changed live slots in key order (a database B-tree takes a sorted run of
    /// keys far faster than a random one).
    func forEachChangeInKeyOrder(removed: ([UInt8]) throws -> Void, changed: (Int32) throws -> Void) rethrows {
        var start = 0
        for end in removedEnds {
            try removed(Array(removedArena[start..<end]))
            start = end
        }
        for slot in inKeyOrder(changedSlots.lazy.filter { self.values[Int($0)] != nil }) { try changed(slot) }
    }

    mutating func clearChanges() {
        for slot in changedSlots {
            slotChanged[Int(slot)] = false
            if values[Int(slot)] != nil { setStored(slot, true) }
        }
        changedSlots.removeAll(keepingCapacity: changedSlots.count < 1 << 16)
        removedArena.removeAll(keepingCapacity: removedArena.count < 1 << 20)
        removedEnds.removeAll(keepingCapacity: removedEnds.count < 1 << 16)
    }

    private mutating func setStored(_ slot: Int32, _ stored: Bool) {
        let s = Int(slot)
        if s >= slotStored.count {
            guard stored else { return }
            slotStored += [Bool](repeating: false, count: max(1024, s + 1 - slotStored.count, slotStored.count))
        }
        slotStored[s] = stored
    }

    mutating func remove(_ slot: Int32) {
        let wasStored = Int(slot) < slotStored.count && slotStored[Int(slot)]
        setStored(slot, false)
        if tracksChanges && wasStored {
            removedArena.append(contentsOf: arena[keyStart[Int(slot)]..<(keyStart[Int(slot)] + Int(keyLength[Int(slot)]))])
            removedEnds.append(removedArena.count)
        }
        let b = bucket(hashes[Int(slot)])
        var prev: Int32 = -1
        var s = buckets[b]
        while s >= 0 && s != slot {
            prev = s
            s = next[Int(s)]
        }
        guard s == slot else { return }
        if prev < 0 { buckets[b] = next[Int(slot)] } else { next[Int(prev)] = next[Int(slot)] }
        deadBytes += Int(keyLength[Int(slot)])
        keyLength[Int(slot)] = 0
        values[Int(slot)] = nil
        next[Int(slot)] = -1
        free.append(slot)
        count -= 1
    }

    /// Live slots, in slot order.
    var liveSlots: [Int32] { (0..<Int32(values.count)).filter { values[Int($0)] != nil } }

    /// Live slots in byte order of their keys (a prefix first), so a state file's order never depends on the
    /// table's history. Slot numbers are sorted by the keys' first eight bytes and the arena is compared only on
    /// ties: sorting copies of keys and values retained and released every element on every move (most of the
    /// time a state save took).
    func slotsInKeyOrder() -> [Int32] { inKeyOrder((0..<Int32(values.count)).lazy.filter { values[Int($0)] != nil }) }

    /// The given live slots in byte order of their keys.
    func inKeyOrder<S: Sequence<Int32>>(_ slots: S) -> [Int32] {
        var entries: [(prefix: UInt64, slot: Int32)] = []
        entries.reserveCapacity(count)
        arena.withUnsafeBufferPointer { a in
            for slot in slots {
                let s = Int(slot)
                var prefix: UInt64 = 0
                let n = min(8, Int(keyLength[s]))
                for k in 0..<8 { prefix = prefix << 8 | (k < n ? UInt64(a[keyStart[s] + k]) : 0) }
                entries.append((prefix, Int32(s)))
            }
            entries.sort { x, y in
                if x.prefix != y.prefix { return x.prefix < y.prefix }
                let (i, j) = (Int(x.slot), Int(y.slot))
                let (m, n) = (Int(keyLength[i]), Int(keyLength[j]))
                if m > 8 && n > 8, let base = a.baseAddress {
                    let c = memcmp(base + keyStart[i] + 8, base + keyStart[j] + 8, min(m, n) - 8)
                    if c != 0 { return c < 0 }
                }
                return m < n
            }
        }
        return entries.map(\.slot)
    }

    @inline(__always)
    private func bucket(_ hash: UInt64) -> Int { Int(truncatingIfNeeded: (hash &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    /// Doubles the buckets and relinks every live slot.
    private mutating func grow() {
        buckets = [Int32](repeating: -1, count: buckets.count * 2)
        shift -= 1
        for slot in 0..<Int32(values.count) where values[Int(slot)] != nil {
            let b = bucket(hashes[Int(slot)])
            next[Int(slot)] = buckets[b]
            buckets[b] = slot
        }
    }

    /// Rewrites the arena with the live keys only, once more than half of it (and at least 64 KiB) is dead.
    private mutating func compactIfMostlyDead() {
        guard deadBytes >= 1 << 16, deadBytes * 2 > arena.count else { return }
        var packed: [UInt8] = []
        packed.reserveCapacity(arena.count - deadBytes)
        for s in 0..<values.count where values[s] != nil {
            let start = packed.count
            packed += arena[keyStart[s]..<(keyStart[s] + Int(keyLength[s]))]
            keyStart[s] = start
        }
        arena = packed
        deadBytes = 0
    }
}
