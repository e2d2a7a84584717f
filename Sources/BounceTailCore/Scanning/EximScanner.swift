/// What an Exim main-log line means to the scanner.
public enum EximLine: Equatable {
    case none
    /// A delivery line (`=>`, `->`, `>>`, `**`, `==`); the outcome was filled in.
    case delivery
    /// `MSGID Completed`: the message left the queue.
    case completed(messageID: Range<Int>)
}

/// Hand-written scanner for Exim main-log delivery lines.
///
/// Grammar:
///
///     [syslog prefix host exim[pid]: ] STAMP[.mmm][ +hhmm] [[pid]] MSGID FLAG ADDRESS [(parent)] [<original>]
///         [R=router] [T=transport] [H=host [ip]] ... [: error text | defer (errno): text]
///     2026-11-23 10:00:01 1RwtJY-0009RI-E4 ** bob@example.net R=dnslookup T=remote_smtp
///         H=mx.example.net [192.0.2.10]: SMTP error from remote mail server after RCPT TO:<bob@example.net>:
///         550 5.1.1 User unknown
///
/// Flags: `=>` delivered, `->` further address of the same delivery, `>>` cutthrough delivery, `**` failed,
/// `==` deferred; `*>` (delivery suppressed by -N) is not an outcome. Message ids are the 16-byte
/// `xxxxxx-xxxxxx-xx` or the 23-byte `xxxxxx-xxxxxxxxxxx-xxxx` of Exim 4.97+, mixed freely.
public struct EximScanner {
    public init() {}

    /// Scans one line and resolves its stamp into `o.time`.
    public func scan(_ l: UnsafeBufferPointer<UInt8>, resolver: inout StampResolver, into o: inout DeliveryOutcome)
        -> EximLine
    {
        var stamp = LogStamp.placeholder
        let kind = scan(l, stamp: &stamp, into: &o)
        if kind == .delivery { o.time = resolver.instant(for: stamp) }
        return kind
    }

    /// Scans one line, leaving the time to the caller: `stamp` is set for `.delivery`.
    @inline(__always)
    public func scan(_ l: UnsafeBufferPointer<UInt8>, stamp outStamp: inout LogStamp, into o: inout DeliveryOutcome)
        -> EximLine
    {
        let end = l.count
        guard var stamp = LogStamp.find(l, from: 0, limit: min(end, 200)) else { return .none }
        var host: Range<Int>? = nil
        var i = stamp.end
        skipSpaces(l, &i)
        skipPid(l, &i)
        var idEnd = messageID(l, at: i)
        if idEnd == nil {
            // Syslog-wrapped: `STAMP HOST exim[pid]: [STAMP] [[pid]] MSGID ...`
            guard let colon = ByteSearch.first(": ", in: l, i..<min(end, i + 120)) else { return .none }
            let tagStart = ByteSearch.last(ASCII.space, in: l, i..<colon).map { $0 + 1 } ?? i
            if tagStart > i {
                var b = tagStart
                while b > i, l[b - 1] == ASCII.space { b -= 1 }
                if b > i, ByteSearch.first(ASCII.space, in: l, i..<b) == nil { host = i..<b }
            }
            i = colon + 2
            if let inner = LogStamp.parse(l, at: i), !inner.isLegacy {
                stamp = inner
                i = inner.end
                skipSpaces(l, &i)
            }
            skipPid(l, &i)
            idEnd = messageID(l, at: i)
        }
        guard let idEnd else { return .none }
        let id = i..<idEnd
        i = idEnd + 1
        guard i + 2 <= end else { return .none }
        if ByteSearch.hasPrefix("Completed", in: l, at: i, end: end) { return .completed(messageID: id) }
        guard i + 3 <= end, l[i + 2] == ASCII.space else { return .none }
        let status: DeliveryStatus
        switch (l[i], l[i + 1]) {
        case (ASCII.equals, ASCII.greaterThan), (ASCII.dash, ASCII.greaterThan), (ASCII.greaterThan, ASCII.greaterThan):
            status = .delivered
        case (ASCII.star, ASCII.star): status = .bounced
        case (ASCII.equals, ASCII.equals): status = .deferred
        default: return .none
        }
        i += 3

        // The address section ends where the first field (` R=`, ` T=`, ...) or the error text starts.
        let sectionEnd = addressSectionEnd(l, from: i, end: end)
        guard let addresses = addressSection(l, i..<sectionEnd) else { return .none }
        o.mta = .exim
        o.queueID = id
        o.host = host
        o.recipient = addresses.recipient
        o.originalRecipient = addresses.original
        o.relay = nil
        o.dsn = nil
        o.smtpCode = 0
        o.diagnostic = nil
        o.status = status

        if let h = ByteSearch.first(" H=", in: l, sectionEnd..<end) { o.relay = fieldValue(l, h + 3, end) }
        switch status {
        case .delivered:
            if let c = ByteSearch.first(" C=\"", in: l, sectionEnd..<end) {
                o.smtpCode = SMTPReply.find(in: l, (c + 1)..<end).code
            }
        case .deferred:
            var textStart: Int? = nil
            if let d = ByteSearch.first("defer (", in: l, sectionEnd..<end),
                let close = ByteSearch.first("): ", in: l, d..<end)
            {
                textStart = close + 3
            } else if let c = ByteSearch.first(": ", in: l, sectionEnd..<end) {
                textStart = c + 2
            }
            if let t = textStart {
                let text = t..<end
                // Not a delivery attempt: the message was only queued (queue_smtp_domains, -odqs, queue_domains),
                // or the queue runner skipped it because the route's or host's retry time is not reached yet
                // (`defer (-51)`/`defer (-53)`): nothing was asked of the destination, so no counter moves.
                if ByteSearch.first("queue_smtp_domains", in: l, text) != nil
                    || ByteSearch.first("domain is in queue_domains", in: l, text) != nil
                    || ByteSearch.hasPrefix("retry time not reached", in: l, at: t, end: end)
                {
                    return .none
                }
                setDiagnostic(l, text, &o)
            }
        default:
            if let c = ByteSearch.first(": ", in: l, sectionEnd..<end) {
                var t = c + 2
                while t < end, l[t] == ASCII.space { t += 1 }
                setDiagnostic(l, t..<end, &o)
                if ByteSearch.first("retry timeout exceeded", in: l, t..<end) != nil
                    || ByteSearch.first("have been failing for a long time", in: l, t..<end) != nil
                    || ByteSearch.first("retry time not reached for any host after a long failure", in: l, t..<end) != nil
                {
                    o.status = .expired
                }
            }
        }
        outStamp = stamp
        return .delivery
    }

    private func setDiagnostic(_ l: UnsafeBufferPointer<UInt8>, _ text: Range<Int>, _ o: inout DeliveryOutcome) {
        guard !text.isEmpty else { return }
        o.diagnostic = text
        let reply = SMTPReply.find(in: l, text)
        o.smtpCode = reply.code
        o.dsn = reply.dsn
        if o.relay == nil, let h = ByteSearch.first("host ", in: l, text),
            let close = ByteSearch.first(ASCII.closeBracket, in: l, (h + 5)..<text.upperBound),
            ByteSearch.first(" [", in: l, (h + 5)..<close) != nil
        {
            // Before 4.85 the host was inside the text: `...: host mx.example.net [192.0.2.1]: 550 ...`
            o.relay = (h + 5)..<(close + 1)
        }
    }

    /// `H=host [ip]:port`, without the flags Exim may append (`*`, ` L`), up to the next field or `: `.
    private func fieldValue(_ l: UnsafeBufferPointer<UInt8>, _ s: Int, _ end: Int) -> Range<Int> {
        var j = s
        while j < end {
            if l[j] == ASCII.colon, j + 1 < end, l[j + 1] == ASCII.space { break }
            if l[j] == ASCII.space, isFieldStart(l, j + 1, end) { break }
            if l[j] == ASCII.closeBracket {
                j += 1
                if j < end, l[j] == ASCII.colon, j + 1 < end, ASCII.isAlnum(l[j + 1]) {
                    j += 1
                    while j < end, ASCII.isAlnum(l[j]) || l[j] == UInt8(ascii: "_") { j += 1 }
                }
                break
            }
            j += 1
        }
        while j > s, l[j - 1] == ASCII.space { j -= 1 }
        return s..<j
    }

    /// ` KEY=` with KEY made of upper-case letters (R=, T=, H=, C=, DT=, ...).
    @inline(__always)
    private func isFieldStart(_ l: UnsafeBufferPointer<UInt8>, _ k: Int, _ end: Int) -> Bool {
        var j = k
        while j < end, ASCII.isUpper(l[j]), j - k < 4 { j += 1 }
        return j > k && j < end && l[j] == ASCII.equals
    }

    private func addressSectionEnd(_ l: UnsafeBufferPointer<UInt8>, from: Int, end: Int) -> Int {
        var j = from
        var inQuote = false
        var angle = 0
        // `:blackhole:` and `:fail:` carry their own colons.
        if j < end, l[j] == ASCII.colon, let close = ByteSearch.first(ASCII.colon, in: l, (j + 1)..<end) {
            j = close + 1
        }
        while j < end {
            let b = l[j]
            if inQuote {
                if b == ASCII.backslash { j += 1 } else if b == ASCII.quote { inQuote = false }
            } else if b == ASCII.quote {
                inQuote = true
            } else if b == ASCII.lessThan {
                angle += 1
            } else if b == ASCII.greaterThan, angle > 0 {
                angle -= 1
            } else if angle == 0 {
                if b == ASCII.colon, j + 1 == end || l[j + 1] == ASCII.space {
                    // `ADDR: text`, or Exim 4.99's `ADDR : text`
                    return j > from && l[j - 1] == ASCII.space ? j - 1 : j
                }
                if b == ASCII.space {
                    if isFieldStart(l, j + 1, end) { return j }
                    if ByteSearch.hasPrefix(" routing defer", in: l, at: j, end: end)
                        || ByteSearch.hasPrefix(" defer (", in: l, at: j, end: end)
                    {
                        return j
                    }
                }
            }
            j += 1
        }
        return end
    }

    struct Addresses {
        var recipient: Range<Int>
        var original: Range<Int>?
    }

    /// `ADDR`, `ADDR <original>`, `ADDR (parent) <original>`, `|pipe ... <original>`, `/file <original>`.
    private func addressSection(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Addresses? {
        var e = r.upperBound
        while e > r.lowerBound, l[e - 1] == ASCII.space { e -= 1 }
        guard e > r.lowerBound else { return nil }
        var original: Range<Int>? = nil
        var firstEnd = e
        if l[e - 1] == ASCII.greaterThan, let lt = lastOpenAngle(l, r.lowerBound..<(e - 1)) {
            original = (lt + 1)..<(e - 1)
            firstEnd = lt
        }
        // Drop a `(parent)` group between the first address and `<original>`.
        var f = firstEnd
        while f > r.lowerBound, l[f - 1] == ASCII.space { f -= 1 }
        if f > r.lowerBound, l[f - 1] == ASCII.closeParen,
            let op = ByteSearch.last(ASCII.openParen, in: l, r.lowerBound..<(f - 1)), op > r.lowerBound
        {
            f = op
            while f > r.lowerBound, l[f - 1] == ASCII.space { f -= 1 }
        }
        var first = r.lowerBound..<f
        if !first.isEmpty, l[first.lowerBound] == ASCII.lessThan, l[first.upperBound - 1] == ASCII.greaterThan {
            first = (first.lowerBound + 1)..<(first.upperBound - 1)
        }
        if AddressField.isAddress(l, first) {
            if let o = original, !sameCaseless(l, o, first), !o.isEmpty { return Addresses(recipient: first, original: o) }
            return Addresses(recipient: first, original: nil)
        }
        if let o = original, !o.isEmpty { return Addresses(recipient: o, original: nil) }
        return first.isEmpty ? nil : Addresses(recipient: first, original: nil)
    }

    /// The `<` that opens the angle group ending at `upTo`, skipping quoted parts.
    private func lastOpenAngle(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int? {
        var j = r.upperBound - 1
        var inQuote = false
        while j >= r.lowerBound {
            let b = l[j]
            if b == ASCII.quote { inQuote.toggle() } else if !inQuote, b == ASCII.lessThan {
                return (j == r.lowerBound || l[j - 1] == ASCII.space) ? j : nil
            }
            j -= 1
        }
        return nil
    }

    private func sameCaseless(_ l: UnsafeBufferPointer<UInt8>, _ a: Range<Int>, _ b: Range<Int>) -> Bool {
        guard a.count == b.count else { return false }
        for k in 0..<a.count where ASCII.lower(l[a.lowerBound + k]) != ASCII.lower(l[b.lowerBound + k]) {
            return false
        }
        return true
    }

    @inline(__always)
    private func skipSpaces(_ l: UnsafeBufferPointer<UInt8>, _ i: inout Int) {
        while i < l.count, l[i] == ASCII.space { i += 1 }
    }

    /// `[1234] ` after the stamp.
    private func skipPid(_ l: UnsafeBufferPointer<UInt8>, _ i: inout Int) {
        guard i < l.count, l[i] == ASCII.openBracket else { return }
        var j = i + 1
        while j < l.count, ASCII.isDigit(l[j]) { j += 1 }
        guard j > i + 1, j < l.count, l[j] == ASCII.closeBracket else { return }
        i = j + 1
        skipSpaces(l, &i)
    }

    /// The end of a message id at `i` (16 or 23 bytes, followed by a space), or nil.
    func messageID(_ l: UnsafeBufferPointer<UInt8>, at i: Int) -> Int? {
        @inline(__always) func run(_ a: Int, _ n: Int) -> Bool {
            guard a + n <= l.count else { return false }
            for k in a..<(a + n) where !ASCII.isAlnum(l[k]) { return false }
            return true
        }
        guard run(i, 6), i + 6 < l.count, l[i + 6] == ASCII.dash else { return nil }
        if run(i + 7, 6), i + 16 < l.count, l[i + 13] == ASCII.dash, run(i + 14, 2), l[i + 16] == ASCII.space {
            return i + 16
        }
        if run(i + 7, 11), i + 23 < l.count, l[i + 18] == ASCII.dash, run(i + 19, 4), l[i + 23] == ASCII.space {
            return i + 23
        }
        return nil
    }
}
