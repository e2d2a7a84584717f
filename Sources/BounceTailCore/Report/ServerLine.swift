/// The MTA's lines about something other than a delivery that `report` counts as pflogsumm and eximstats do:
/// refusals at SMTP time, messages received, warnings and errors. Found only when `report` asks (the scanners
/// of `scan` and `track` never look).
///
///     Postfix: NOQUEUE: reject: RCPT from h[192.0.2.1]: 554 5.7.1 <a@b>: Relay access denied; from=<s> to=<a@b> ...
///              4Qx: client=h[192.0.2.1]         (postfix/smtpd: a message received over SMTP)
///              4Qx: uid=1000 from=<s>           (postfix/pickup: a message submitted locally)
///              4Qx: from=<s@example.org>, size=2112, nrcpt=1 (queue active)   (postfix/qmgr)
///              warning: ... / fatal: ... / panic: ...
///     Exim:    H=(h) [192.0.2.1] F=<s> rejected RCPT <a@b>: relay not permitted
///              1vABCD-000001-AB <= s@example.org H=... P=esmtp S=2112 id=...
public enum ServerLine {
    public enum Kind: Equatable, Sendable {
        /// Refused at SMTP time (never queued): the stage (RCPT, CONNECT, HELO, DATA, ...) and why.
        case reject(stage: String, reason: String)
        /// A message received, as pflogsumm and eximstats count them: Postfix smtpd's `client=` and pickup's
        /// `uid=`/`sender=` lines, with the queue id (mail the MTA makes itself, such as bounces, is not
        /// received); Exim's `<=`, which names the sender and the size.
        case received(queueID: String?, sender: String?, bytes: Int?)
        /// Postfix qmgr's first look at a message: its sender and size.
        case queued(queueID: String, sender: String, bytes: Int)
        /// warning, fatal or panic, with the program and what it said (numbers and addresses taken out, so
        /// the same trouble counts as one).
        case problem(level: String, program: String, text: String)
    }

    /// Whether `l` is such a line: cheap, for the scanning threads.
    @inline(__always)
    public static func isCandidate(_ l: UnsafeBufferPointer<UInt8>) -> Bool {
        let all = 0..<l.count
        return ByteSearch.first("reject", in: l, all) != nil || ByteSearch.first(": client=", in: l, all) != nil
            || ByteSearch.first(": uid=", in: l, all) != nil || ByteSearch.first(": sender=", in: l, all) != nil
            || ByteSearch.first(" <= ", in: l, all) != nil || ByteSearch.first(", nrcpt=", in: l, all) != nil
            || ByteSearch.first(": warning: ", in: l, all) != nil || ByteSearch.first(": fatal: ", in: l, all) != nil
            || ByteSearch.first(": panic: ", in: l, all) != nil
    }

    /// What the line is, or nil.
    public static func kind(of l: UnsafeBufferPointer<UInt8>) -> Kind? {
        let s = String(decoding: l, as: UTF8.self)
        if let r = s.firstRange(of: ": reject: ") ?? s.firstRange(of: ": milter-reject: ") {
            // Postfix: "reject: RCPT from h[ip]: 554 5.7.1 <a>: Relay access denied; from=<...> ..."
            let rest = s[r.upperBound...]
            let stage = String(rest.prefix { $0 != " " })
            var reason = Substring(rest)
            if let colon = rest.firstRange(of: "]: ") ?? rest.firstRange(of: "]:") { reason = rest[colon.upperBound...] }
            if let semi = reason.firstIndex(of: ";") {
                // "Service unavailable; Client host [ip] blocked using zen.spamhaus.org; from=..." keeps its cause.
                let after = reason[reason.index(after: semi)...]
                reason = after.hasPrefix(" from=") ? reason[..<semi] : reason[..<(after.firstIndex(of: ";") ?? after.endIndex)]
            }
            return .reject(stage: stage, reason: normalised(String(withoutReplyCodes(reason))))
        }
        if !s.contains("postfix/"), let r = s.firstRange(of: " rejected ") {
            // Exim: "H=... rejected RCPT <a@b>: relay not permitted", "rejected EHLO from ...: syntactically invalid".
            let rest = s[r.upperBound...]
            let stage = String(rest.prefix { $0 != " " && $0 != ":" })
            let reason = rest.firstRange(of: ": ").map { String(rest[$0.upperBound...]) } ?? String(rest)
            return .reject(stage: stage, reason: normalised(reason))
        }
        if s.contains("postfix/") || s.contains("/cleanup[") {
            for level in ["warning", "fatal", "panic"] {
                if let r = s.firstRange(of: ": \(level): ") {
                    return .problem(level: level, program: program(s), text: normalised(String(s[r.upperBound...])))
                }
            }
        }
        if s.contains("/smtpd[") || s.contains("/pickup["),
            let r = s.firstRange(of: ": client=") ?? s.firstRange(of: ": uid=") ?? s.firstRange(of: ": sender=")
        {
            let qid = s[..<r.lowerBound].split(separator: " ").last.map(String.init) ?? ""
            // A queue id, not "NOQUEUE" or a bare "connect from" line.
            guard qid.count >= 5, qid.allSatisfy({ $0.isLetter || $0.isNumber }), qid != "NOQUEUE" else { return nil }
            return .received(queueID: qid, sender: nil, bytes: nil)
        }
        if let r = s.firstRange(of: ": from=<"), s.contains(", nrcpt="), let end = s[r.upperBound...].firstIndex(of: ">") {
            let qid = s[..<r.lowerBound].split(separator: " ").last.map(String.init) ?? ""
            let sender = String(s[r.upperBound..<end])
            let size = s.firstRange(of: ", size=").flatMap { Int(s[$0.upperBound...].prefix { $0.isNumber }) } ?? 0
            return .queued(queueID: qid, sender: sender, bytes: size)
        }
        if let r = s.firstRange(of: " <= ") {
            // Exim: "<= s@example.org H=... S=2112 ..." ("<= <>" for a bounce).
            let rest = s[r.upperBound...]
            let sender = String(rest.prefix { $0 != " " })
            let size = rest.firstRange(of: " S=").flatMap { Int(rest[$0.upperBound...].prefix { $0.isNumber }) }
            return .received(queueID: nil, sender: sender, bytes: size)
        }
        return nil
    }

    /// A reply without its codes and the address it names first: `554 5.7.1 <a@b>: Relay access denied`
    /// reads `Relay access denied`.
    static func withoutReplyCodes(_ r: Substring) -> Substring {
        var t = r.drop { $0 == " " }
        if t.count > 4, t.prefix(3).allSatisfy(\.isNumber), t.dropFirst(3).first == " " { t = t.dropFirst(4) }
        if let first = t.first, first == "2" || first == "4" || first == "5", t.dropFirst().first == "." {
            t = t.drop { $0 != " " }.dropFirst()
        }
        if t.first == "<", let close = t.firstRange(of: ">: ") { t = t[close.upperBound...] }
        return t
    }

    /// `postfix/smtpd` from `... postfix/smtpd[123]: ...` (the syslog tag without its pid).
    static func program(_ s: String) -> String {
        guard let r = s.firstRange(of: "postfix") else { return "postfix" }
        return String(s[r.lowerBound...].prefix { $0 != "[" && $0 != ":" && $0 != " " })
    }

    /// The words of a reason without what differs per message: addresses in `<>`, hosts in `[]`, numbers.
    static func normalised(_ text: String) -> String {
        var out = ""
        var skipUntil: Character? = nil
        for c in text.prefix(200) {
            if let stop = skipUntil {
                if c == stop { skipUntil = nil }
                continue
            }
            if c == "<" { out += "<>"; skipUntil = ">"; continue }
            if c == "[" { out += "[]"; skipUntil = "]"; continue }
            if c.isNumber {
                if !out.hasSuffix("N") { out += "N" }
                continue
            }
            out.append(c)
        }
        while out.last == " " { out.removeLast() }
        while out.first == " " { out.removeFirst() }
        return out
    }
}
