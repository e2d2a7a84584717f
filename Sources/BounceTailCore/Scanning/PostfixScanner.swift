import CBytes

/// What a Postfix line means to the scanner.
public enum PostfixLine: Equatable {
    /// Not a line the scanner cares about.
    case none
    /// A per-recipient delivery line; the outcome was filled in.
    case delivery
    /// qmgr gave up on the whole message (`status=expired`, once per message, not per recipient); the
    /// outcome's queue id, host and time were filled in.
    case expired
    /// qmgr removed the message from the queue: nothing of it is in flight any more (queue id and host set).
    case removed
}

/// Hand-written scanner for Postfix delivery lines.
///
/// Grammar (one real shape):
///
///     [prefix] STAMP [HOST] SYSLOG_NAME/AGENT[PID]: [[ID n fac.lvl]] QUEUEID: to=<ADDR>, [orig_to=<ADDR>,]
///         relay=..., [conn_use=N,] delay=N, [delays=a/b/c/d,] [dsn=X.Y.Z,] [tls=...,] status=WORD (TEXT)
///     Nov  3 10:00:01 mx1 postfix/smtp[123]: 4Xy1Z2abcD: to=<a@example.net>, relay=mx.example.net[192.0.2.10]:25,
///         delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.10] said: ...)
///
/// The anchor is `: to=` (memmem); the queue id, the program tag and the stamp are read backwards and
/// forwards from it. The program's last path part must be a Postfix delivery agent (`smtp`, `lmtp`, `local`,
/// `virtual`, `pipe`, `error`, `retry`, `discard`, `relay`), so any multi-instance or `syslog_name` form is
/// accepted, and other programs that write `to=` (sendmail's `stat=`) are not.
public struct PostfixScanner {
    public init() {}

    /// Scans one line and resolves its stamp into `o.time`.
    public func scan(_ l: UnsafeBufferPointer<UInt8>, resolver: inout StampResolver, into o: inout DeliveryOutcome)
        -> PostfixLine
    {
        var stamp = LogStamp.placeholder
        let kind = scan(l, stamp: &stamp, into: &o)
        if kind == .delivery || kind == .expired { o.time = resolver.instant(for: stamp) }
        return kind
    }

    /// Scans one line, leaving the time to the caller: `stamp` is set for `.delivery` and `.expired` (the year
    /// and zone of a stamp depend on the lines before it, so resolving waits until lines are back in order).
    @inline(__always)
    public func scan(_ l: UnsafeBufferPointer<UInt8>, stamp outStamp: inout LogStamp, into o: inout DeliveryOutcome)
        -> PostfixLine
    {
        scan(l, toAt: Self.findTo(l), stamp: &outStamp, into: &o)
    }

    /// The first `: to=` of a line at byte 16 or later: no stamp, host and program tag fit in 16 bytes, so the
    /// search starts past the stamp's colons.
    @inline(__always)
    public static func findTo(_ l: UnsafeBufferPointer<UInt8>) -> Int? {
        ByteSearch.first(": to=", in: l, min(16, l.count)..<l.count)
    }

    /// As `scan(_:stamp:into:)`, with the line's first `: to=` found already (`findTo`; nil: none).
    @inline(__always)
    public func scan(_ l: UnsafeBufferPointer<UInt8>, toAt: Int?, stamp outStamp: inout LogStamp,
                     into o: inout DeliveryOutcome) -> PostfixLine
    {
        var end = l.count
        guard let toAt else { return scanQueueManager(l, &outStamp, &o) }
        if l[0] == UInt8(ascii: "{") { end = jsonPayloadEnd(l, from: toAt) }
        guard let header = header(l, queueIDEnd: toAt, wantAgent: true) else { return .none }
        o.queueID = header.queueID
        o.mta = .postfix

        // to=<ADDR> or to=ADDR
        var i = toAt + 5
        if i < end, l[i] == ASCII.lessThan {
            guard let (r, next) = AddressField.bracketed(l, at: i, end: end) else { return .none }
            o.recipient = r
            i = next
        } else {
            let r = AddressField.bare(l, at: i, end: end)
            o.recipient = r
            i = r.upperBound
        }
        guard !o.recipient.isEmpty else { return .none }
        o.originalRecipient = nil
        o.relay = nil
        o.dsn = nil
        o.diagnostic = nil
        o.smtpCode = 0

        // `, key=value` fields up to status=.
        var status: DeliveryStatus? = nil
        while i + 2 < end, l[i] == ASCII.comma, l[i + 1] == ASCII.space {
            let keyStart = i + 2
            guard let eq = ByteSearch.first(ASCII.equals, in: l, keyStart..<min(end, keyStart + 12)) else { break }
            let valueStart = eq + 1
            switch eq - keyStart {
            case 7 where ByteSearch.hasPrefix("orig_to", in: l, at: keyStart, end: end):
                if valueStart < end, l[valueStart] == ASCII.lessThan,
                    let (r, next) = AddressField.bracketed(l, at: valueStart, end: end)
                {
                    o.originalRecipient = r.isEmpty ? nil : r
                    i = next
                } else {
                    let r = AddressField.bare(l, at: valueStart, end: end)
                    o.originalRecipient = r.isEmpty ? nil : r
                    i = r.upperBound
                }
                continue
            case 6 where ByteSearch.hasPrefix("status", in: l, at: keyStart, end: end):
                status = statusWord(l, valueStart, end, &i)
                if status != nil { finishStatus(l, i, end, &o) }
                i = end
                continue
            default:
                break
            }
            let r = AddressField.bare(l, at: valueStart, end: end)
            if eq - keyStart == 5, ByteSearch.hasPrefix("relay", in: l, at: keyStart, end: end) {
                o.relay = r
            } else if eq - keyStart == 3, ByteSearch.hasPrefix("dsn", in: l, at: keyStart, end: end) {
                o.dsn = DSN.parse(l, at: r.lowerBound, end: r.upperBound)?.0
            }
            i = r.upperBound
        }
        guard let status else { return .none }
        o.status = status
        guard let (stamp, host) = SyslogHeader.stampAndHost(l, tagStart: header.tagStart) else { return .none }
        o.host = host
        outStamp = stamp
        return .delivery
    }

    /// A line wrapped in JSON by a log shipper (`{"log":"Nov  3 ... status=sent (...)\n","stream":...}`):
    /// the message ends at the first unescaped quote, less an escaped newline.
    private func jsonPayloadEnd(_ l: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
        var j = from
        while j < l.count {
            if l[j] == ASCII.backslash {
                j += 2
                continue
            }
            if l[j] == ASCII.quote { break }
            j += 1
        }
        var e = min(j, l.count)
        if e >= 2, l[e - 2] == ASCII.backslash, l[e - 1] == UInt8(ascii: "n") { e -= 2 }
        return e
    }

    /// Reads `WORD` after `status=`, advancing `i` past it.
    private func statusWord(_ l: UnsafeBufferPointer<UInt8>, _ s: Int, _ end: Int, _ i: inout Int) -> DeliveryStatus? {
        var j = s
        while j < end, l[j] != ASCII.space, l[j] != ASCII.comma { j += 1 }
        i = j
        switch j - s {
        case 4 where ByteSearch.hasPrefix("sent", in: l, at: s, end: end): return .delivered
        case 8 where ByteSearch.hasPrefix("deferred", in: l, at: s, end: end): return .deferred
        case 7 where ByteSearch.hasPrefix("bounced", in: l, at: s, end: end): return .bounced
        case 7 where ByteSearch.hasPrefix("expired", in: l, at: s, end: end): return .expired
        case 10 where ByteSearch.hasPrefix("SOFTBOUNCE", in: l, at: s, end: end): return .softBounce
        case 11 where ByteSearch.hasPrefix("deliverable", in: l, at: s, end: end): return .probeDeliverable
        default:
            if ByteSearch.hasPrefix("undeliverable", in: l, at: s, end: end) { return .probeUndeliverable }
            return nil
        }
    }

    /// The parenthesised text after the status word (possibly cut short by Postfix's line limit).
    private func finishStatus(_ l: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int, _ o: inout DeliveryOutcome) {
        var j = i
        while j < end, l[j] == ASCII.space { j += 1 }
        guard j < end, l[j] == ASCII.openParen else { return }
        var stop = end
        while stop > j + 1, l[stop - 1] == ASCII.space { stop -= 1 }
        if l[stop - 1] == ASCII.closeParen { stop -= 1 }
        let text = (j + 1)..<stop
        guard !text.isEmpty else { return }
        o.diagnostic = text
        let reply = SMTPReply.find(in: l, text)
        o.smtpCode = reply.code
        if o.dsn == nil { o.dsn = reply.dsn }
    }

    /// qmgr lines: `QUEUEID: from=<...>, status=expired, returned to sender` and `QUEUEID: removed`.
    private func scanQueueManager(_ l: UnsafeBufferPointer<UInt8>, _ outStamp: inout LogStamp,
        _ o: inout DeliveryOutcome) -> PostfixLine
    {
        let end = l.count
        let kind: PostfixLine
        let idEnd: Int
        if end > 9, ByteSearch.hasPrefix(": removed", in: l, at: end - 9, end: end) {
            kind = .removed
            idEnd = end - 9
        } else {
            // qmgr writes "...: from=<...>, status=expired, returned to sender" and nothing after it, so other
            // lines are turned away by their last bytes without a search (a JSON-wrapped line is searched).
            guard l.count > 0, l[0] == UInt8(ascii: "{") || ByteSearch.hasPrefix("returned to sender", in: l, at: end - 18, end: end),
                let st = ByteSearch.first(", status=", in: l, 0..<end)
            else { return .none }
            let w = st + 9
            guard ByteSearch.hasPrefix("expired", in: l, at: w, end: end)
                || ByteSearch.hasPrefix("force-expired", in: l, at: w, end: end),
                let colon = ByteSearch.first(": from=", in: l, 0..<st)
            else { return .none }
            kind = .expired
            idEnd = colon
        }
        guard let h = header(l, queueIDEnd: idEnd, wantAgent: false),
            let (stamp, host) = SyslogHeader.stampAndHost(l, tagStart: h.tagStart)
        else { return .none }
        o.mta = .postfix
        o.queueID = h.queueID
        o.host = host
        if kind == .expired { outStamp = stamp }
        return kind
    }

    struct Header {
        var queueID: Range<Int>
        var tagStart: Int
    }

    /// Reads `TAG: [[ID n fac]] QUEUEID` backwards from the queue id's end.
    func header(_ l: UnsafeBufferPointer<UInt8>, queueIDEnd: Int, wantAgent: Bool) -> Header? {
        guard let base = l.baseAddress, queueIDEnd <= l.count else { return nil }
        let q = bouncetail_alnum_run_start(base, 0, queueIDEnd)
        guard queueIDEnd - q >= 5, q >= 2, l[q - 1] == ASCII.space else { return nil }
        var p = q - 1  // the space before the queue id
        if l[p - 1] == ASCII.closeBracket {
            // Solaris: `postfix/smtp[123]: [ID 197553 mail.info] QUEUEID:`
            guard let open = ByteSearch.last(ASCII.openBracket, in: l, 0..<(p - 1)),
                ByteSearch.hasPrefix("[ID ", in: l, at: open, end: p), open >= 2, l[open - 1] == ASCII.space
            else { return nil }
            p = open - 1
        }
        guard p >= 1, l[p - 1] == ASCII.colon else { return nil }
        let tagEnd = p - 1
        let tagStart = ByteSearch.last(ASCII.space, in: l, 0..<tagEnd).map { $0 + 1 } ?? 0
        guard tagStart < tagEnd else { return nil }
        var nameEnd = tagEnd
        if l[nameEnd - 1] == ASCII.closeBracket, let ob = ByteSearch.last(ASCII.openBracket, in: l, tagStart..<nameEnd) {
            nameEnd = ob
        }
        guard nameEnd > tagStart else { return nil }
        if !isPostfixProgram(l, tagStart..<nameEnd, wantAgent: wantAgent) { return nil }
        return Header(queueID: q..<queueIDEnd, tagStart: tagStart)
    }

    /// The program is Postfix's: `syslog_name/agent` with a known delivery agent, or for queue lines
    /// `syslog_name/qmgr` (and `postsuper`, which also logs `removed`).
    private func isPostfixProgram(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, wantAgent: Bool) -> Bool {
        guard let slash = ByteSearch.last(ASCII.slash, in: l, r) else { return false }
        let a = slash + 1
        let n = r.upperBound - a
        if !wantAgent {
            return n == 4 && ByteSearch.hasPrefix("qmgr", in: l, at: a, end: r.upperBound)
                || n == 9 && ByteSearch.hasPrefix("postsuper", in: l, at: a, end: r.upperBound)
        }
        switch n {
        case 4:
            return ByteSearch.hasPrefix("smtp", in: l, at: a, end: r.upperBound)
                || ByteSearch.hasPrefix("lmtp", in: l, at: a, end: r.upperBound)
                || ByteSearch.hasPrefix("pipe", in: l, at: a, end: r.upperBound)
        case 5:
            return ByteSearch.hasPrefix("local", in: l, at: a, end: r.upperBound)
                || ByteSearch.hasPrefix("error", in: l, at: a, end: r.upperBound)
                || ByteSearch.hasPrefix("relay", in: l, at: a, end: r.upperBound)
                || ByteSearch.hasPrefix("retry", in: l, at: a, end: r.upperBound)
        case 7:
            return ByteSearch.hasPrefix("virtual", in: l, at: a, end: r.upperBound)
                || ByteSearch.hasPrefix("discard", in: l, at: a, end: r.upperBound)
        default: return false
        }
    }
}
