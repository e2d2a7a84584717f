/// The large receivers whose replies mean something particular, told by the relay's host name.
///
/// The same words read differently from different receivers: Gmail's "Try again later, closing connection"
/// is a block of the sending host, Microsoft's `5.4.4 nonexistent domain` is a DNS failure of the route, not a
/// verdict on the address. The reference classifier reads a reply by the relay's domain for these receivers;
/// so does bouncetail, with rules written from each provider's published error pages (`ProviderRules`).
public enum MailProvider: UInt8, Sendable, CaseIterable {
    case none, google, microsoft, qq, mimecast, docomo, cox

    public var name: StaticString {
        switch self {
        case .none: "none"
        case .google: "Google"
        case .microsoft: "Microsoft"
        case .qq: "Tencent QQ"
        case .mimecast: "Mimecast"
        case .docomo: "NTT docomo"
        case .cox: "Cox"
        }
    }

    /// Domain suffixes of each provider's inbound hosts (lower case, with the leading dot).
    private static let suffixes: [(String, MailProvider)] = [
        (".google.com", .google), (".googlemail.com", .google),
        (".outlook.com", .microsoft), (".hotmail.com", .microsoft), (".office365.com", .microsoft),
        (".outlook.office365.com", .microsoft),
        (".qq.com", .qq),
        (".mimecast.com", .mimecast), (".mimecast.co.za", .mimecast),
        (".docomo.ne.jp", .docomo),
        (".cox.net", .cox),
    ]
    private static let suffixBytes: [([UInt8], MailProvider)] = suffixes.map { (Array($0.0.utf8), $0.1) }

    /// The provider whose host is named in `l[r]`: a relay field (`mx.example.net[192.0.2.1]:25`, Exim's
    /// `H=mx.example.net [192.0.2.1]`) or a host name. Case is ignored; a trailing dot is allowed.
    public static func of(host l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> MailProvider {
        var end = r.lowerBound
        while end < r.upperBound, l[end] != ASCII.openBracket, l[end] != ASCII.space, l[end] != ASCII.colon { end += 1 }
        if end > r.lowerBound, l[end - 1] == ASCII.dot { end -= 1 }
        let n = end - r.lowerBound
        for (suffix, provider) in suffixBytes where suffix.count < n {
            var i = 0
            let start = end - suffix.count
            while i < suffix.count, ASCII.lower(l[start + i]) == suffix[i] { i += 1 }
            if i == suffix.count { return provider }
        }
        return .none
    }

    /// The provider of an outcome: its relay, else the host of Postfix's `host NAME[ADDRESS] said:`.
    public static func of(_ l: UnsafeBufferPointer<UInt8>, relay: Range<Int>?, diagnostic: Range<Int>?) -> MailProvider {
        if let relay, relay.count > 0 {
            let p = of(host: l, relay)
            if p != .none { return p }
        }
        if let d = diagnostic, ByteSearch.hasPrefix("host ", in: l, at: d.lowerBound, end: d.upperBound) {
            return of(host: l, (d.lowerBound + 5)..<d.upperBound)
        }
        return .none
    }
}
