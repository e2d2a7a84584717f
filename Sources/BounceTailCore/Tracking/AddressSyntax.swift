/// Mailbox syntax (RFC 5321 `Mailbox`, with RFC 6531's UTF-8), for addresses a person types or imports: what
/// can be suppressed by hand, and which addresses may never be (postmaster and abuse must reach someone).
public enum AddressSyntax {
    /// Why an address was refused, in words for the message that names it.
    public enum Problem: Equatable, Sendable {
        case empty, noAt, emptyLocalPart, localPartTooLong, badLocalPart, emptyDomain, domainTooLong, badDomain,
            tooLong
        public var text: String {
            switch self {
            case .empty: "empty"
            case .noAt: "no @domain (a bare name is not an address)"
            case .emptyLocalPart: "nothing before the @"
            case .localPartTooLong: "the part before the @ is longer than 64 bytes"
            case .badLocalPart: "the part before the @ is not an atom list or a quoted string"
            case .emptyDomain: "nothing after the @"
            case .domainTooLong: "the domain is longer than 255 bytes"
            case .badDomain: "the domain is not a host name or an address literal"
            case .tooLong: "longer than 254 bytes"
            }
        }
    }

    /// Nil if `a` is a mailbox (`local@domain`, the local part a dot-string or a quoted string, the domain a
    /// host name or `[address literal]`); else what is wrong with it.
    public static func problem(_ a: [UInt8]) -> Problem? {
        if a.isEmpty { return .empty }
        if a.count > 254 { return .tooLong }
        guard let at = a.lastIndex(of: ASCII.at) else { return .noAt }
        let local = a[..<at]
        let domain = a[(at + 1)...]
        if local.isEmpty { return .emptyLocalPart }
        if local.count > 64 { return .localPartTooLong }
        if !isLocalPart(local) { return .badLocalPart }
        if domain.isEmpty { return .emptyDomain }
        if domain.count > 255 { return .domainTooLong }
        if !isDomain(domain) { return .badDomain }
        return nil
    }

    /// Role addresses a mail system must keep reachable: `postmaster` (RFC 5321 requires it accepted) and
    /// `abuse` (RFC 2142), in any case, whatever the domain.
    public static func isProtected(_ a: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        guard let at = ByteSearch.last(ASCII.at, in: a, r) else {
            return matchesRole(a, r.lowerBound, r.upperBound)
        }
        return matchesRole(a, r.lowerBound, at)
    }

    public static func isProtected(_ a: [UInt8]) -> Bool {
        a.withUnsafeBufferPointer { isProtected($0, 0..<$0.count) }
    }

    /// Whether the local part `a[start..<end]` is postmaster or abuse (any case).
    @inline(__always)
    public static func isRole(_ a: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        let n = end - start
        return (n == 10 || n == 5) && matchesRole(a, start, end)
    }

    private static func matchesRole(_ a: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        switch end - start {
        case 10: return ByteSearch.hasPrefixCaseless("postmaster", in: a, at: start, end: end)
        case 5: return ByteSearch.hasPrefixCaseless("abuse", in: a, at: start, end: end)
        default: return false
        }
    }

    /// RFC 5322 `atext`, and any byte of a UTF-8 sequence (RFC 6531).
    private static func isAtext(_ b: UInt8) -> Bool {
        if b >= 0x80 { return true }
        if ASCII.isDigit(b) || (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z") { return true }
        return Array("!#$%&'*+-/=?^_`{|}~".utf8).contains(b)
    }

    private static func isLocalPart(_ s: ArraySlice<UInt8>) -> Bool {
        if s.first == ASCII.quote {
            // Quoted-string: qtextSMTP (32-126 but " and \) or a quoted pair; UTF-8 allowed.
            guard s.count >= 2, s.last == ASCII.quote else { return false }
            var i = s.startIndex + 1
            let end = s.endIndex - 1
            while i < end {
                let b = s[i]
                if b == ASCII.backslash {
                    guard i + 1 < end, s[i + 1] >= 32, s[i + 1] <= 126 else { return false }
                    i += 2
                    continue
                }
                if b == ASCII.quote || (b < 32) || b == 127 { return false }
                i += 1
            }
            return true
        }
        // Dot-string: atoms separated by single dots, none at either end.
        var previousDot = true
        for b in s {
            if b == ASCII.dot {
                if previousDot { return false }
                previousDot = true
            } else if isAtext(b) {
                previousDot = false
            } else {
                return false
            }
        }
        return !previousDot
    }

    private static func isDomain(_ s: ArraySlice<UInt8>) -> Bool {
        if s.first == ASCII.openBracket {
            // Address literal: [192.0.2.1] or [IPv6:...]; its contents are printable and bracket-free.
            guard s.count > 2, s.last == ASCII.closeBracket else { return false }
            return s.dropFirst().dropLast().allSatisfy { $0 > 32 && $0 < 127 && $0 != ASCII.openBracket && $0 != ASCII.closeBracket && $0 != ASCII.backslash }
        }
        // Host name: labels of letters, digits and hyphens (or UTF-8), not starting or ending with a hyphen,
        // 1 to 63 bytes each; a trailing dot is not part of a mail domain.
        var label = 0
        var last: UInt8 = ASCII.dot
        for b in s {
            if b == ASCII.dot {
                if label == 0 || last == ASCII.dash { return false }
                label = 0
            } else if b >= 0x80 || ASCII.isDigit(b) || (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z")
                || b == ASCII.dash && label > 0
            {
                label += 1
                if label > 63 { return false }
            } else {
                return false
            }
            last = b
        }
        return label > 0 && last != ASCII.dash
    }
}
