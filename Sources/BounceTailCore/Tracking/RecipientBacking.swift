/// Where the recipients live that are not in memory: the state database. The ledger asks it only when an
/// address is missing from memory and the filter says it may be stored (once per address and run), and
/// when log time passes a stored suppression's end; never once per line.
public protocol RecipientBacking: AnyObject {
    /// Fingerprints of every stored address's `ByteKey.hash` (read once, on the ledger's first miss): an
    /// address not in it is certainly not stored.
    func storedAddressFilter() -> FingerprintSet
    /// The stored record of a lower-cased address, nil when there is none.
    func storedRecipient(_ key: [UInt8]) -> BounceLedger.Recipient?
    /// The earliest end (seconds) of a stored timed suppression after `after` (any when nil), nil when none.
    func earliestStoredExpiry(after: Int64?) -> Int64?
    /// Stored timed suppressions that end at or before `seconds`: (lower-cased address, record).
    func storedExpiries(upTo seconds: Int64) -> [(key: [UInt8], record: BounceLedger.Recipient)]
}

/// A set of 32-bit fingerprints of key hashes, by open addressing: "is this address perhaps stored?" in one
/// or two probes, at about 6 bytes per stored address. A false "perhaps" (about one in four billion per
/// probe) costs one database lookup, never a wrong answer. Built once from all the hashes (a fingerprint no
/// longer knows the bits that placed it, so the set cannot grow).
public struct FingerprintSet: Sendable {
    private var slots: [UInt32]
    private let mask: Int
    public private(set) var count = 0

    public init(hashes: [UInt64]) {
        var capacity = 1024
        while capacity < hashes.count + hashes.count / 2 { capacity <<= 1 }
        slots = [UInt32](repeating: 0, count: capacity)
        mask = capacity - 1
        for h in hashes { insert(h) }
    }

    @inline(__always)
    private static func fingerprint(_ hash: UInt64) -> UInt32 {
        let f = UInt32(truncatingIfNeeded: hash >> 32)
        return f == 0 ? 1 : f
    }

    private mutating func insert(_ hash: UInt64) {
        let f = Self.fingerprint(hash)
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i] != 0 {
            if slots[i] == f { return }
            i = (i + 1) & mask
        }
        slots[i] = f
        count += 1
    }

    @inline(__always)
    public func contains(_ hash: UInt64) -> Bool {
        let f = Self.fingerprint(hash)
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let s = slots[i]
            if s == f { return true }
            if s == 0 { return false }
            i = (i + 1) & mask
        }
    }
}
