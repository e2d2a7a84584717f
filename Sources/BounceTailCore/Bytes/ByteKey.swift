/// Hashing of byte strings without building them: FNV-1a over ASCII-lower-cased bytes.
///
/// Hashes are used only inside one process; they are never persisted (the key bytes are).
public enum ByteKey {
    @inline(__always)
    public static func hash(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, seed: UInt64 = 0xcbf2_9ce4_8422_2325)
        -> UInt64
    {
        var h = seed
        for k in r {
            h = (h ^ UInt64(ASCII.lower(l[k]))) &* 0x100_0000_01b3
        }
        return h
    }

    @inline(__always)
    public static func hash(_ bytes: [UInt8], seed: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
        bytes.withUnsafeBufferPointer { hash($0, 0..<$0.count, seed: seed) }
    }

    /// Whether `stored` (already lower-cased) equals `l[r]` lower-cased.
    @inline(__always)
    public static func equals(_ stored: [UInt8], _ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        stored.withUnsafeBufferPointer { equals($0, l, r) }
    }

    /// Whether `stored` (already lower-cased) equals `l[r]` lower-cased.
    @inline(__always)
    public static func equals(_ stored: UnsafeBufferPointer<UInt8>, _ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        guard stored.count == r.count else { return false }
        var k = r.lowerBound
        for b in stored {
            if b != ASCII.lower(l[k]) { return false }
            k += 1
        }
        return true
    }

    /// A lower-cased copy of `l[r]` (made only when a key is stored for the first time).
    public static func lowered(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(r.count)
        for k in r { out.append(ASCII.lower(l[k])) }
        return out
    }
}
