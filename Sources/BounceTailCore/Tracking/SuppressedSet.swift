/// The suppressed addresses in memory, for answering "is this address suppressed?" in a lookup that hashes
/// the request's bytes in place (no allocation): the policy service's table. Each entry carries a small
/// number (the caller's index of a prepared answer).
public struct SuppressedSet {
    private var table = ByteKeyedTable<Int32>()

    public init() {}

    public var count: Int { table.count }

    /// The entry's number for `l[r]` (any case), or nil when the address is not in the set.
    @inline(__always)
    public func lookup(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int32? {
        let hash = ByteKey.hash(l, r)
        guard let slot = table.find(hash: hash, { ByteKey.equals($0, l, r) }) else { return nil }
        return table.values[Int(slot)]
    }

    /// Adds or replaces an address (stored lower-cased).
    public mutating func set(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ value: Int32) {
        let hash = ByteKey.hash(l, r)
        if let slot = table.find(hash: hash, { ByteKey.equals($0, l, r) }) {
            table.values[Int(slot)] = value
        } else {
            _ = table.insertLowered(l, r, hash: hash, value: value)
        }
    }

    public mutating func remove(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) {
        let hash = ByteKey.hash(l, r)
        if let slot = table.find(hash: hash, { ByteKey.equals($0, l, r) }) { table.remove(slot) }
    }

    public mutating func removeAll() { table = ByteKeyedTable<Int32>() }
}
