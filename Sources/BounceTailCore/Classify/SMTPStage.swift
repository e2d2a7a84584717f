/// The SMTP command a refusal answered, as the log line tells it. The same words mean different things at
/// different stages: "user unknown" at RCPT is a missing mailbox, after DATA it is the recipient side's filter
/// (the address was accepted a moment before).
public enum SMTPStage: UInt8, Sendable {
    case unknown, connect, greeting, mailFrom, rcptTo, data

    /// At the connection or HELO/EHLO, before any address was given.
    public var isBeforeMail: Bool { self == .connect || self == .greeting }

    public var name: StaticString {
        switch self {
        case .unknown: "unknown"
        case .connect: "connect"
        case .greeting: "HELO/EHLO"
        case .mailFrom: "MAIL FROM"
        case .rcptTo: "RCPT TO"
        case .data: "DATA"
        }
    }

    /// Postfix: `(in reply to RCPT TO command)`, `(in reply to end of DATA command)`, `refused to talk to me`;
    /// Exim: `SMTP error from remote mail server after RCPT TO:<a@b>:`, `after end of data:`, `after initial
    /// connection:`. The last Postfix note wins (a relayed text may quote another host's).
    public static func find(in l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> SMTPStage {
        var found = SMTPStage.unknown
        var from = r.lowerBound
        while let at = ByteSearch.first("in reply to ", in: l, from..<r.upperBound) {
            let s = command(l, at + 12, r.upperBound)
            if s != .unknown { found = s }
            from = at + 12
        }
        // With pipelining a refused RCPT shows up at DATA ("550 User unknown 503 Need RCPT"): it was RCPT's answer.
        if found == .data, ByteSearch.first("eed RCPT", in: l, r) != nil || ByteSearch.first("o valid recipients", in: l, r) != nil {
            return .rcptTo
        }
        if found != .unknown { return found }
        from = r.lowerBound
        while let at = ByteSearch.first(" after ", in: l, from..<r.upperBound) {
            let i = at + 7
            if ByteSearch.hasPrefixCaseless("initial connection", in: l, at: i, end: r.upperBound) { return .connect }
            let s = command(l, i, r.upperBound)
            if s != .unknown { return s }
            from = i
        }
        if ByteSearch.first("refused to talk to me", in: l, r) != nil { return .connect }
        return .unknown
    }

    private static func command(_ l: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int) -> SMTPStage {
        var i = i
        if ByteSearch.hasPrefixCaseless("pipelined ", in: l, at: i, end: end) { i += 10 }
        if ByteSearch.hasPrefixCaseless("rcpt", in: l, at: i, end: end) { return .rcptTo }
        if ByteSearch.hasPrefixCaseless("mail", in: l, at: i, end: end) { return .mailFrom }
        if ByteSearch.hasPrefixCaseless("end of data", in: l, at: i, end: end)
            || ByteSearch.hasPrefixCaseless("data", in: l, at: i, end: end)
        {
            return .data
        }
        if ByteSearch.hasPrefixCaseless("ehlo", in: l, at: i, end: end)
            || ByteSearch.hasPrefixCaseless("helo", in: l, at: i, end: end)
            || ByteSearch.hasPrefixCaseless("lhlo", in: l, at: i, end: end)
        {
            return .greeting
        }
        if ByteSearch.hasPrefixCaseless("connect", in: l, at: i, end: end) { return .connect }
        return .unknown
    }
}
