@testable import BounceTailCore
import BounceTailTestSupport
import Testing

@Suite struct ByteKeyedTableTests {
    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    func find(_ t: ByteKeyedTable<Int>, _ key: [UInt8]) -> Int32? {
        t.find(hash: ByteKey.hash(key), { $0.elementsEqual(key) })
    }

    /// Many insertions and removals (the arena is compacted several times, buckets grow): every live key is
    /// found with its value and its bytes, no removed key is.
    @Test func keysSurviveGrowthRemovalAndCompaction() {
        var t = ByteKeyedTable<Int>()
        var live: [String: Int] = [:]
        var slots: [String: Int32] = [:]
        var rng = 0x2545_F491_4F6C_DD1D as UInt64
        for i in 0..<60_000 {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            let name = "user\(rng >> 40)@example.net-with-a-longer-tail-\(i % 7)"
            if live[name] == nil {
                slots[name] = t.insert(key: bytes(name), hash: ByteKey.hash(bytes(name)), value: i)
                live[name] = i
            }
            if i % 3 != 0, let victim = live.keys.first {
                t.remove(slots[victim]!)
                live[victim] = nil
                slots[victim] = nil
                #expect(find(t, bytes(victim)) == nil)
            }
        }
        #expect(t.count == live.count)
        for (name, value) in live {
            let slot = find(t, bytes(name))
            #expect(slot == slots[name])
            if let slot {
                #expect(t.values[Int(slot)] == value)
                #expect(t.key(slot) == bytes(name))
            }
        }
    }

    @Test func keysFromLineBytesAreStoredLowerCasedAndJoined() {
        var t = ByteKeyedTable<Int>()
        let line = bytes("MX1 4QZ0X1 Bob@Example.NET")
        let slot = line.withUnsafeBufferPointer { l in t.insertLowered(l, 0..<3, 4..<10, 11..<26, hash: 1, value: 7) }
        #expect(t.key(slot) == bytes("mx1\u{0}4qz0x1\u{0}bob@example.net"))
        let missing = line.withUnsafeBufferPointer { l in t.insertLowered(l, nil, 4..<10, hash: 2, value: 8) }
        #expect(t.key(missing) == bytes("\u{0}4qz0x1"))
    }

    /// Slots in key order, as state files list them: by bytes, a prefix before its extensions, whatever the
    /// insertion order and removals (keys sharing their first eight bytes, empty keys and NUL bytes included).
    @Test func slotsInKeyOrderFollowTheKeyBytes() {
        var t = ByteKeyedTable<Int>()
        var rng = SplitMix64(state: 11)
        var live: [[UInt8]: Int32] = [:]
        let stems = ["", "a", "user1234", "user1234@", "user12345@example.net", "\u{0}mx1\u{0}q", "zz"].map(bytes)
        for i in 0..<3000 {
            var key = stems[Int(rng.next() % UInt64(stems.count))]
            for _ in 0..<Int(rng.next() % 4) { key.append([0, 0x2e, 0x61, 0x7a, 0xff][Int(rng.next() % 5)]) }
            if live[key] == nil { live[key] = t.insert(key: key, hash: ByteKey.hash(key), value: i) }
            if rng.next() % 3 == 0, let victim = live.keys.randomElement(using: &rng) {
                t.remove(live[victim]!)
                live[victim] = nil
            }
        }
        let want = live.keys.sorted { ByteKey.precedes($0, $1) }
        #expect(t.slotsInKeyOrder().map { t.key($0) } == want)
    }
}
