/// Spots recipient domains one typing slip away from a large mailbox provider (`gmial.com`, `hotmial.com`,
/// `outlookk.com`, `yaho.com`): one letter added, dropped, changed, or two neighbours swapped.
///
/// Used only for outcomes that already failed as `hostunknown` or `syntaxerror`, so a real domain that
/// happens to look like a provider's is never "corrected" while mail to it works.
public enum DomainTypos {
    public static let providers: [String] = [
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "ymail.com",
        "hotmail.com", "hotmail.co.uk", "hotmail.fr", "hotmail.de", "outlook.com", "outlook.de", "outlook.fr",
        "live.com", "aol.com", "icloud.com", "protonmail.com", "proton.me", "gmx.de", "gmx.net", "gmx.com",
        "web.de", "t-online.de", "orange.fr", "wanadoo.fr", "free.fr", "laposte.net", "mail.ru", "yandex.ru",
        "yandex.com", "zoho.com", "comcast.net", "verizon.net", "att.net", "libero.it", "seznam.cz", "mail.com",
    ]
    private static let providerBytes: [[UInt8]] = providers.map { Array($0.utf8) }

    /// Index into `providers` of the provider `domain` is one slip away from, or nil.
    public static func provider(near l: UnsafeBufferPointer<UInt8>, domain r: Range<Int>) -> Int? {
        guard r.count >= 5, r.count <= 20 else { return nil }
        // A provider's own domain is no typo of another provider's (gmail.com is not a slip of ymail.com).
        for p in providerBytes where p.count == r.count && ByteKey.equals(p, l, r) { return nil }
        for (i, p) in providerBytes.enumerated() where abs(p.count - r.count) <= 1 {
            if oneEditApart(p, l, r) { return i }
        }
        return nil
    }

    /// Optimal string alignment distance exactly 1 (ASCII case ignored).
    private static func oneEditApart(_ p: [UInt8], _ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        let a = p.count
        let b = r.count
        @inline(__always) func q(_ k: Int) -> UInt8 { ASCII.lower(l[r.lowerBound + k]) }
        var i = 0
        while i < a && i < b && p[i] == q(i) { i += 1 }
        if i == a && i == b { return false }  // identical
        if a == b {
            // one substitution, or one transposition of neighbours
            if rest(p, i + 1, l, r, i + 1) { return true }
            return i + 1 < a && p[i] == q(i + 1) && p[i + 1] == q(i) && rest(p, i + 2, l, r, i + 2)
        }
        // one insertion or deletion
        return a > b ? rest(p, i + 1, l, r, i) : rest(p, i, l, r, i + 1)
    }

    private static func rest(_ p: [UInt8], _ i: Int, _ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ j: Int) -> Bool {
        guard p.count - i == r.count - j else { return false }
        var x = i
        var y = j
        while x < p.count {
            if p[x] != ASCII.lower(l[r.lowerBound + y]) { return false }
            x += 1
            y += 1
        }
        return true
    }
}
