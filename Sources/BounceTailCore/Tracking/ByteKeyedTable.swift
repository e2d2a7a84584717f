/// A table keyed by byte strings that can be looked up straight from bytes in a log line, without building
/// a key: hashes lead to chains of slots whose stored keys are compared byte for byte.
///
/// Slots are reused after removal, so memory follows the number of live entries, not the history.
struct ByteKeyedTable<Value> {
    private var heads: [UInt64: Int32] = [:]
    private(set) var keys: [[UInt8]] = []
    private(set) var hashes: [UInt64] = []
    var values: [Value?] = []
    private var next: [Int32] = []
    private var free: [Int32] = []
    private(set) var count = 0

    /// The slot whose key satisfies `matches`, among those with `hash`.
    @inline(__always)
    func find(hash: UInt64, _ matches: ([UInt8]) -> Bool) -> Int32? {
        var slot = heads[hash] ?? -1
        while slot >= 0 {
            if matches(keys[Int(slot)]) { return slot }
            slot = next[Int(slot)]
        }
        return nil
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
        next[Int(slot)] = heads[hash] ?? -1
        heads[hash] = slot
        count += 1
        return slot
    }

    mutating func remove(_ slot: Int32) {
        let h = hashes[Int(slot)]
        var prev: Int32 = -1
        var s = heads[h] ?? -1
        while s >= 0 && s != slot {
            prev = s
            s = next[Int(s)]
        }
        guard s == slot else { return }
        if prev < 0 {
            if next[Int(slot)] >= 0 { heads[h] = next[Int(slot)] } else { heads[h] = nil }
        } else {
            next[Int(prev)] = next[Int(slot)]
        }
        keys[Int(slot)] = []
        values[Int(slot)] = nil
        next[Int(slot)] = -1
        free.append(slot)
        count -= 1
    }

    /// Live slots, in slot order.
    var liveSlots: [Int32] { (0..<Int32(values.count)).filter { values[Int($0)] != nil } }
}
