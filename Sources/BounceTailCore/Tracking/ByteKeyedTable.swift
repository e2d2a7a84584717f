/// A table keyed by byte strings that can be looked up straight from bytes in a log line, without building
/// a key: hashes lead to chains of slots whose stored keys are compared byte for byte.
///
/// Slots are reused after removal, so memory follows the number of live entries, not the history. Buckets
/// are a plain power-of-two array indexed by the (already well mixed) key hash: a Swift Dictionary would hash
/// the hash again with SipHash on every lookup, which showed in profiles.
struct ByteKeyedTable<Value> {
    private var buckets = [Int32](repeating: -1, count: 1024)
    private var shift: UInt64 = 64 - 10
    private(set) var keys: [[UInt8]] = []
    private(set) var hashes: [UInt64] = []
    var values: [Value?] = []
    private var next: [Int32] = []
    private var free: [Int32] = []
    private(set) var count = 0

    /// The slot whose key satisfies `matches`, among those with `hash`.
    @inline(__always)
    func find(hash: UInt64, _ matches: ([UInt8]) -> Bool) -> Int32? {
        var slot = buckets[bucket(hash)]
        while slot >= 0 {
            if hashes[Int(slot)] == hash, matches(keys[Int(slot)]) { return slot }
            slot = next[Int(slot)]
        }
        return nil
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

    mutating func insert(key: [UInt8], hash: UInt64, value: Value) -> Int32 {
        let slot: Int32
        if let f = free.popLast() {
            slot = f
            keys[Int(slot)] = key
            hashes[Int(slot)] = hash
            values[Int(slot)] = value
        } else {
            slot = Int32(keys.count)
            keys.append(key)
            hashes.append(hash)
            values.append(value)
            next.append(-1)
        }
        let b = bucket(hash)
        next[Int(slot)] = buckets[b]
        buckets[b] = slot
        count += 1
        if count > buckets.count - buckets.count / 4 { grow() }
        return slot
    }

    mutating func remove(_ slot: Int32) {
        let b = bucket(hashes[Int(slot)])
        var prev: Int32 = -1
        var s = buckets[b]
        while s >= 0 && s != slot {
            prev = s
            s = next[Int(s)]
        }
        guard s == slot else { return }
        if prev < 0 { buckets[b] = next[Int(slot)] } else { next[Int(prev)] = next[Int(slot)] }
        keys[Int(slot)] = []
        values[Int(slot)] = nil
        next[Int(slot)] = -1
        free.append(slot)
        count -= 1
    }

    /// Live slots, in slot order.
    var liveSlots: [Int32] { (0..<Int32(values.count)).filter { values[Int($0)] != nil } }
}
