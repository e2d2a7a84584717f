#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Hashing of byte strings without building them, ignoring ASCII case.
///
/// Eight bytes at a time: each word is lower-cased with a few bit operations (no per-byte branch), mixed in
/// with a multiply, and the result is folded at the end so the high bits the tables use depend on every byte.
/// Hashes are used only inside one process; they are never persisted (the key bytes are).
public enum ByteKey {
    @inline(__always)
    public static func hash(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, seed: UInt64 = 0xcbf2_9ce4_8422_2325)
        -> UInt64
    {
        var h = seed ^ (UInt64(r.count) &* 0x9E37_79B9_7F4A_7C15)
        guard !r.isEmpty, let base = l.baseAddress else { return mix(h) }
        var k = r.lowerBound
        let raw = UnsafeRawPointer(base)
        while k + 8 <= r.upperBound {
            let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: k, as: UInt64.self))
            h = (h ^ lowered(w)) &* 0x100_0000_01b3_0001
            h ^= h >> 29
            k += 8
        }
        if k < r.upperBound {
            var w: UInt64 = 0
            var shift: UInt64 = 0
            while k < r.upperBound {
                w |= UInt64(base[k]) << shift
                shift += 8
                k += 1
            }
            h = (h ^ lowered(w)) &* 0x100_0000_01b3_0001
        }
        return mix(h)
    }

    /// The eight bytes of `w` with `A`–`Z` turned into `a`–`z` (other bytes, including non-ASCII, unchanged).
    @inline(__always)
    static func lowered(_ w: UInt64) -> UInt64 {
        let low7 = w & 0x7F7F_7F7F_7F7F_7F7F
        let atLeastA = low7 &+ 0x3F3F_3F3F_3F3F_3F3F  // bit 7 set where the byte is >= "A"
        let aboveZ = low7 &+ 0x2525_2525_2525_2525  // bit 7 set where the byte is > "Z"
        let upper = atLeastA & ~aboveZ & ~w & 0x8080_8080_8080_8080
        return w | (upper >> 2)
    }

    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var h = x
        h ^= h >> 32
        h = h &* 0xD6E8_FEB8_6659_FD93
        h ^= h >> 32
        return h
    }

    @inline(__always)
    public static func hash(_ bytes: [UInt8], seed: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
        bytes.withUnsafeBufferPointer { hash($0, 0..<$0.count, seed: seed) }
    }

    /// Byte order of two keys (a prefix first), with memcmp: sorting state files by address.
    public static func precedes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        let c = a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in memcmp(x.baseAddress ?? UnsafePointer(bitPattern: 1)!, y.baseAddress ?? UnsafePointer(bitPattern: 1)!, min(x.count, y.count)) }
        }
        return c != 0 ? c < 0 : a.count < b.count
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
