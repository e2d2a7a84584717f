/// Finds an MTA's refusal at RCPT of an address on bouncetail's exported list: mail that was still sent to a
/// suppressed address (what ESPs call *rejected*). The exported tables make the MTA say `suppressed: REASON`:
///
///     Postfix: ... NOQUEUE: reject: RCPT from h[192.0.2.1]: 554 5.1.1 <a@example.net>: Recipient address
///              rejected: suppressed: userunknown; from=<s@example.org> to=<a@example.net> proto=ESMTP helo=<h>
///     Exim:    ... H=(h) [192.0.2.1] F=<s@example.org> rejected RCPT <a@example.net>: 5.1.1 suppressed: userunknown
public enum SuppressedReject {
    /// The rejected recipient's address in the line, or nil if the line is not such a refusal.
    public static func recipient(in l: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        let all = 0..<l.count
        guard let marker = ByteSearch.first("suppressed: ", in: l, all) else { return nil }
        if let r = ByteSearch.first(" rejected RCPT <", in: l, 0..<marker) {
            return AddressField.bracketed(l, at: r + 15, end: marker)?.0
        }
        guard ByteSearch.first("reject: RCPT from ", in: l, 0..<marker) != nil,
            let to = ByteSearch.first(" to=<", in: l, marker..<l.count)
        else { return nil }
        return AddressField.bracketed(l, at: to + 4, end: l.count)?.0
    }
}
