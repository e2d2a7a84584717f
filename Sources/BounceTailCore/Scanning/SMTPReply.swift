/// Finds the remote server's reply code and enhanced status code inside a diagnostic text.
///
/// Replies appear after `said: ` (Postfix), after another `: ` (Exim's `after RCPT TO:<a@b>: 550 ...`,
/// `host mx [192.0.2.1]: 550 ...`, Postfix's `refused to talk to me: 554 ...`), inside Exim's `C="250 ..."`,
/// or at the very start of the text. Other numbers (IP addresses, ports, sizes) do not match because the
/// code must stand at one of those places and be followed by a space or `-`.
public enum SMTPReply {
    /// Returns the reply code (0 if none) and the enhanced code that follows it, if any.
    public static func find(in l: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> (code: Int, dsn: DSN?) {
        var best: (Int, DSN?)? = nil
        if let r = after("said: ", l, range) { best = r }
        if best == nil, let r = after(": ", l, range) { best = r }
        if best == nil, let r = after("C=\"", l, range) { best = r }
        if best == nil, let r = code(l, range.lowerBound, range.upperBound) { best = r }
        if let best { return best }
        // No reply code: an enhanced code may still open the text (`5.1.1 <user>: Recipient ...`).
        if let (dsn, _) = DSN.parse(l, at: range.lowerBound, end: range.upperBound) { return (0, dsn) }
        return (0, nil)
    }

    private static func after(_ marker: StaticString, _ l: UnsafeBufferPointer<UInt8>, _ range: Range<Int>)
        -> (Int, DSN?)?
    {
        var from = range.lowerBound
        while let at = ByteSearch.first(marker, in: l, from..<range.upperBound) {
            let i = at + marker.utf8CodeUnitCount
            if let r = code(l, i, range.upperBound) { return r }
            from = at + 1
        }
        return nil
    }

    /// A code `[245]xx` at `i`, followed by a space, `-`, or the end; then an optional `X.Y.Z`.
    private static func code(_ l: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int) -> (Int, DSN?)? {
        guard i + 3 <= end else { return nil }
        let a = l[i]
        guard a >= UInt8(ascii: "2"), a <= UInt8(ascii: "5"), ASCII.isDigit(l[i + 1]), ASCII.isDigit(l[i + 2])
        else { return nil }
        if i + 3 < end {
            let b = l[i + 3]
            guard b == ASCII.space || b == ASCII.dash || b == ASCII.quote || b == ASCII.closeParen else { return nil }
        }
        let value = ASCII.digit(a) * 100 + ASCII.digit(l[i + 1]) * 10 + ASCII.digit(l[i + 2])
        var j = i + 4
        if j < end, l[j] == UInt8(ascii: "#") { j += 1 }
        let dsn = j < end ? DSN.parse(l, at: j, end: end)?.0 : nil
        return (value, dsn)
    }
}
