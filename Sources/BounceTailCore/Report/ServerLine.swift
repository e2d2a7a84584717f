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

    /// What the line is, or nil. On bytes: `report` reads every such line of a log on one thread.
    public static func kind(of l: UnsafeBufferPointer<UInt8>) -> Kind? {
        let all = 0..<l.count
        func text(_ r: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: l[r]), as: UTF8.self) }
        func token(endingAt end: Int) -> String {
            var start = end
            while start > 0, l[start - 1] != ASCII.space { start -= 1 }
            return text(start..<end)
        }
        func digits(after i: Int) -> Int? {
            var n = 0
            var j = i
            while j < l.count, ASCII.isDigit(l[j]), n < Int.max / 10 { n = n * 10 + Int(l[j] - 0x30); j += 1 }
            return j > i ? n : nil
        }
        let reject = ByteSearch.first(": reject: ", in: l, all).map { $0 + 10 }
            ?? ByteSearch.first(": milter-reject: ", in: l, all).map { $0 + 17 }
        if let at = reject {
            // Postfix: "reject: RCPT from h[ip]: 554 5.7.1 <a>: Relay access denied; from=<...> ..."
            let stage = at..<(ByteSearch.first(ASCII.space, in: l, at..<l.count) ?? l.count)
            var start = ByteSearch.first("]: ", in: l, at..<l.count).map { $0 + 3 } ?? stage.upperBound
            if start > l.count { start = l.count }
            // The reason ends where Postfix's "; from=<...> to=<...> proto=... helo=<...>" begins; a reason may
            // hold a semicolon itself ("Service unavailable; Client host [ip] blocked using zen.spamhaus.org").
            var end = l.count
            var from = start
            while let semi = ByteSearch.first(UInt8(ascii: ";"), in: l, from..<l.count) {
                var k = semi + 1
                while k < l.count, l[k] == ASCII.space { k += 1 }
                var w = k
                while w < l.count, (l[w] | 0x20) >= 0x61 && (l[w] | 0x20) <= 0x7a || l[w] == ASCII.dash || l[w] == UInt8(ascii: "_") { w += 1 }
                // "key=" fields, or a URL (it differs per client): not part of the reason.
                if w > k, w < l.count, l[w] == ASCII.equals || ByteSearch.hasPrefix("http", in: l, at: k, end: l.count) {
                    end = semi
                    break
                }
                from = semi + 1
            }
            return .reject(stage: text(stage), reason: normalised(String(withoutReplyCodes(Substring(text(start..<end))))))
        }
        let postfix = ByteSearch.first("postfix", in: l, all) != nil
        if !postfix, let r = ByteSearch.first(" rejected ", in: l, all) {
            // Exim: "H=... rejected RCPT <a@b>: relay not permitted", "rejected EHLO from ...: syntactically invalid".
            let at = r + 10
            var stageEnd = at
            while stageEnd < l.count, l[stageEnd] != ASCII.space, l[stageEnd] != ASCII.colon { stageEnd += 1 }
            let reason = ByteSearch.first(": ", in: l, at..<l.count).map { ($0 + 2)..<l.count } ?? at..<l.count
            return .reject(stage: text(at..<stageEnd), reason: normalised(text(reason)))
        }
        if postfix {
            for (needle, level) in [(": warning: " as StaticString, "warning"), (": fatal: ", "fatal"), (": panic: ", "panic")] {
                if let r = ByteSearch.first(needle, in: l, all) {
                    return .problem(level: level, program: program(text(0..<r)),
                                    text: normalised(text((r + needle.utf8CodeUnitCount)..<l.count)))
                }
            }
            if ByteSearch.first("/smtpd[", in: l, all) != nil || ByteSearch.first("/pickup[", in: l, all) != nil,
                let r = ByteSearch.first(": client=", in: l, all) ?? ByteSearch.first(": uid=", in: l, all)
                    ?? ByteSearch.first(": sender=", in: l, all)
            {
                let qid = token(endingAt: r)
                // A queue id, not "NOQUEUE" or a bare "connect from" line.
                guard qid.utf8.count >= 5, qid.utf8.allSatisfy({ ASCII.isDigit($0) || ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7a }),
                    qid != "NOQUEUE"
                else { return nil }
                return .received(queueID: qid, sender: nil, bytes: nil)
            }
            if let r = ByteSearch.first(": from=<", in: l, all), ByteSearch.first(", nrcpt=", in: l, all) != nil,
                let close = ByteSearch.first(ASCII.greaterThan, in: l, (r + 8)..<l.count)
            {
                let size = ByteSearch.first(", size=", in: l, close..<l.count).flatMap { digits(after: $0 + 7) } ?? 0
                return .queued(queueID: token(endingAt: r), sender: text((r + 8)..<close), bytes: size)
            }
            return nil
        }
        if let r = ByteSearch.first(" <= ", in: l, all) {
            // Exim: "<= s@example.org H=... S=2112 ..." ("<= <>" for a bounce).
            let at = r + 4
            let end = ByteSearch.first(ASCII.space, in: l, at..<l.count) ?? l.count
            let size = ByteSearch.first(" S=", in: l, end..<l.count).flatMap { digits(after: $0 + 3) }
            return .received(queueID: nil, sender: text(at..<end), bytes: size)
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
