/// Builds JSON text into a reused byte array: no `String`, no encoder, no allocation once warm.
///
/// Strings are escaped by hand (`"`, `\`, control bytes) and kept valid UTF-8: a byte sequence that is not
/// UTF-8 (logs carry Latin-1 and binary garbage) becomes U+FFFD, so every line a consumer reads parses.
public struct JSONBuffer {
    public var bytes: [UInt8] = []

    public init(capacity: Int = 1 << 16) { bytes.reserveCapacity(capacity) }

    @inline(__always) public mutating func raw(_ s: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    @inline(__always) public mutating func byte(_ b: UInt8) { bytes.append(b) }

    public mutating func int(_ v: Int) {
        if v < 0 {
            bytes.append(ASCII.dash)
            appendDigits(-v, 1, &bytes)
        } else {
            appendDigits(v, 1, &bytes)
        }
    }

    public mutating func null() { raw("null") }

    /// A quoted JSON string from `l[r]`, optionally ASCII-lower-cased.
    public mutating func string(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, lowercase: Bool = false) {
        bytes.append(ASCII.quote)
        var i = r.lowerBound
        let end = r.upperBound
        while i < end {
            // A run of bytes that go out as they are, appended at once (state files are mostly such runs).
            var j = i
            while j < end, Self.isPlain(l[j], lowercase: lowercase) { j += 1 }
            if j > i {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: l[i..<j]))
                i = j
                if i == end { break }
            }
            let b = l[i]
            if b < 0x80 {
                if b == ASCII.quote || b == ASCII.backslash {
                    bytes.append(ASCII.backslash)
                    bytes.append(b)
                } else if b < 0x20 || b == 0x7f {
                    controlEscape(b)
                } else {
                    bytes.append(lowercase ? ASCII.lower(b) : b)
                }
                i += 1
                continue
            }
            let n = utf8SequenceLength(l, i, end)
            if n == 0 {
                raw("\u{FFFD}")
                i += 1
            } else {
                for k in i..<(i + n) { bytes.append(l[k]) }
                i += n
            }
        }
        bytes.append(ASCII.quote)
    }

    /// Printable ASCII that needs no escape and no lower-casing.
    @inline(__always)
    private static func isPlain(_ b: UInt8, lowercase: Bool) -> Bool {
        b >= 0x20 && b < 0x7f && b != ASCII.quote && b != ASCII.backslash
            && !(lowercase && b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
    }

    /// A quoted JSON string from a Swift string (cold paths).
    public mutating func string(_ s: String) {
        var copy = s
        copy.withUTF8 { string($0, 0..<$0.count) }
    }

    /// `l[r]` or null.
    public mutating func optionalString(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>?, lowercase: Bool = false) {
        if let r { string(l, r, lowercase: lowercase) } else { null() }
    }

    public mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    private mutating func controlEscape(_ b: UInt8) {
        switch b {
        case ASCII.newline: raw("\\n")
        case ASCII.carriageReturn: raw("\\r")
        case ASCII.tab: raw("\\t")
        default:
            raw("\\u00")
            let hex: StaticString = "0123456789abcdef"
            bytes.append(hex.utf8Start[Int(b >> 4)])
            bytes.append(hex.utf8Start[Int(b & 15)])
        }
    }

    /// Length of the valid UTF-8 sequence starting at `i`, or 0 if it is not valid (RFC 3629 rules).
    @inline(__always)
    private func utf8SequenceLength(_ l: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        let b0 = l[i]
        @inline(__always) func cont(_ k: Int) -> Bool { k < end && l[k] & 0xC0 == 0x80 }
        switch b0 {
        case 0xC2...0xDF: return cont(i + 1) ? 2 : 0
        case 0xE0:
            return i + 1 < end && l[i + 1] >= 0xA0 && l[i + 1] <= 0xBF && cont(i + 2) ? 3 : 0
        case 0xED:
            return i + 1 < end && l[i + 1] >= 0x80 && l[i + 1] <= 0x9F && cont(i + 2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF: return cont(i + 1) && cont(i + 2) ? 3 : 0
        case 0xF0:
            return i + 1 < end && l[i + 1] >= 0x90 && l[i + 1] <= 0xBF && cont(i + 2) && cont(i + 3) ? 4 : 0
        case 0xF1...0xF3: return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0
        case 0xF4:
            return i + 1 < end && l[i + 1] >= 0x80 && l[i + 1] <= 0x8F && cont(i + 2) && cont(i + 3) ? 4 : 0
        default: return 0
        }
    }
}
