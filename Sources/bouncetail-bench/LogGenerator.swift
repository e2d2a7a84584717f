import BounceTailTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Which log a generator writes.
enum GeneratedFormat: String, CaseIterable {
    case postfix  // syslog stamps: "Nov 23 10:00:00 host postfix/smtp[123]: ..."
    case postfixRFC3339 = "postfix-rfc3339"  // "2026-11-23T10:00:00.123456+00:00 host ..."
    case exim
}

/// Writes a realistic mail log of about `bytes` bytes, the same for the same seed: message lifecycles (arrival,
/// attempts, retries, bounces, expiry, removal) to Zipf-popular recipients, between noise lines from
/// postscreen, smtpd, TLS, anvil, dovecot and amavis that every real mail log carries.
struct LogGenerator {
    let format: GeneratedFormat
    let recipients: Int
    var rng: SplitMix64
    var clock: Int64 = 1_795_392_000  // 2026-11-23T00:00:00Z, in milliseconds below
    var millis: Int64 = 0
    var queueCounter: UInt64 = 0x1000
    var out: [UInt8] = []

    init(format: GeneratedFormat, recipients: Int, seed: UInt64) {
        self.format = format
        self.recipients = recipients
        rng = SplitMix64(state: seed)
        out.reserveCapacity(1 << 21)
    }

    /// Generates until `bytes` have been written to `fd`.
    mutating func write(bytes: Int64, to fd: Int32) {
        var written: Int64 = 0
        while written < bytes {
            emitMessage()
            let noise = Int(rng.next() % 4)
            for _ in 0..<noise { emitNoise() }
            if out.count >= 1 << 20 {
                written += Int64(out.count)
                flush(fd)
            }
        }
        written += Int64(out.count)
        flush(fd)
    }

    private mutating func flush(_ fd: Int32) {
        var off = 0
        out.withUnsafeBytes { b in
            while off < b.count {
                let n = Glibc.write(fd, b.baseAddress! + off, b.count - off)
                if n <= 0 { exit(1) }
                off += n
            }
        }
        out.removeAll(keepingCapacity: true)
    }

    // MARK: - Recipients and their fates

    /// Recipient rank by a Zipf-like (log-uniform) law: rank 0 is the most popular.
    private mutating func recipientRank() -> Int {
        let u = Double(rng.next() >> 11) / Double(1 << 53)
        return min(recipients - 1, Int(exp(u * log(Double(recipients + 1)))) - 1)
    }

    private func address(_ rank: Int) -> String {
        let domains = ["example.net", "example.org", "mail.example.com", "gmail.test", "outlook.test", "yahoo.test"]
        return "user\(rank)@\(domains[rank % domains.count])"
    }

    /// What happens to mail for a recipient: fixed per recipient, so counters build up as in real traffic.
    private enum Fate { case ok, unknown, full, greylisted, blocked, flaky, expires }

    private func fate(_ rank: Int) -> Fate {
        let h = (UInt64(rank) &* 0x9E37_79B9_7F4A_7C15) >> 54  // 0..<1024
        switch h {
        case 0..<870: return .ok
        case 870..<920: return .unknown
        case 920..<945: return .full
        case 945..<965: return .greylisted
        case 965..<985: return .blocked
        case 985..<1010: return .flaky
        default: return .expires
        }
    }

    // MARK: - Lines

    private mutating func tick() {
        millis += Int64(rng.next() % 40) + 1
    }

    private var seconds: Int64 { clock + millis / 1000 }

    private mutating func stamp() -> String {
        let t = seconds
        let day = Int(t / 86400)
        let s = Int(t % 86400)
        let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60)
        switch format {
        case .postfix:
            // Days since 2026-11-23 (a Monday); the generator stays within a few weeks.
            let dayOfMonth = 23 + (day - Int(clock / 86400))
            let (month, dom) = dayOfMonth > 30 ? ("Dec", dayOfMonth - 30) : ("Nov", dayOfMonth)
            return "\(month) \(dom < 10 ? " " : "")\(dom) \(two(h)):\(two(m)):\(two(sec)) mx1"
        case .postfixRFC3339:
            let dom = 23 + (day - Int(clock / 86400))
            let (month, d) = dom > 30 ? ("12", dom - 30) : ("11", dom)
            let micro = Int(millis % 1000) * 1000 + Int(rng.next() % 1000)
            return "2026-\(month)-\(two(d))T\(two(h)):\(two(m)):\(two(sec)).\(six(micro))+00:00 mx1"
        case .exim:
            let dom = 23 + (day - Int(clock / 86400))
            let (month, d) = dom > 30 ? ("12", dom - 30) : ("11", dom)
            return "2026-\(month)-\(two(d)) \(two(h)):\(two(m)):\(two(sec))"
        }
    }

    private func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
    private func six(_ v: Int) -> String { String(repeating: "0", count: 6 - String(v).count) + String(v) }

    private mutating func line(_ text: String) {
        tick()
        out += stamp().utf8
        out.append(0x20)
        out += text.utf8
        out.append(0x0A)
    }

    private mutating func pid() -> Int { 1000 + Int(rng.next() % 30000) }

    private mutating func ip() -> String { "198.51.100.\(rng.next() % 250 + 1)" }

    private mutating func postfixQueueID() -> String {
        queueCounter &+= 1 + rng.next() % 7
        let alphabet = Array("0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz".utf8)
        var v = queueCounter &* 0x2545_F491_4F6C_DD1D
        var id: [UInt8] = []
        for _ in 0..<14 {
            id.append(alphabet[Int(v % UInt64(alphabet.count))])
            v /= UInt64(alphabet.count)
        }
        return String(decoding: id, as: UTF8.self)
    }

    private mutating func eximID() -> String {
        queueCounter &+= 1 + rng.next() % 7
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        var v = queueCounter &* 0x2545_F491_4F6C_DD1D
        func take(_ n: Int) -> String {
            var s: [UInt8] = []
            for _ in 0..<n {
                s.append(alphabet[Int(v % 62)])
                v /= 62
            }
            return String(decoding: s, as: UTF8.self)
        }
        return "\(take(6))-\(take(6))-\(take(2))"
    }

    private mutating func emitNoise() {
        let host = "client\(rng.next() % 5000).example.com"
        let addr = ip()
        switch format {
        case .postfix, .postfixRFC3339:
            switch rng.next() % 8 {
            case 0: line("postfix/postscreen[\(pid())]: CONNECT from [\(addr)]:\(40000 + rng.next() % 20000) to [203.0.113.5]:25")
            case 1: line("postfix/postscreen[\(pid())]: PASS OLD [\(addr)]:\(40000 + rng.next() % 20000)")
            case 2: line("postfix/smtpd[\(pid())]: connect from \(host)[\(addr)]")
            case 3: line("postfix/smtpd[\(pid())]: Anonymous TLS connection established from \(host)[\(addr)]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)")
            case 4: line("postfix/smtpd[\(pid())]: disconnect from \(host)[\(addr)] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7")
            case 5: line("postfix/anvil[\(pid())]: statistics: max connection rate 3/60s for (smtp:\(addr)) at Nov 23 10:00:00")
            case 6: line("dovecot: imap-login: Login: user=<user\(rng.next() % 900)@example.org>, method=PLAIN, rip=\(addr), lip=203.0.113.5, mpid=\(pid()), TLS, session=<x\(rng.next() % 99999)>")
            default: line("amavis[\(pid())]: (\(pid())-0\(rng.next() % 9)) Passed CLEAN {RelayedInbound}, [\(addr)]:\(40000 + rng.next() % 20000) <news@\(host)> -> <user\(rng.next() % 900)@example.org>, Queue-ID: \(postfixQueueID()), Message-ID: <\(rng.next())@\(host)>, mail_id: x\(rng.next() % 99999), Hits: -1.2, size: 4821, queued_as: \(postfixQueueID()), 512 ms")
            }
        case .exim:
            switch rng.next() % 5 {
            case 0: line("SMTP connection from \(host) [\(addr)]:\(40000 + rng.next() % 20000) I=[203.0.113.5]:25 (TCP/IP connection count = 3)")
            case 1: line("SMTP connection from \(host) [\(addr)]:\(40000 + rng.next() % 20000) I=[203.0.113.5]:25 closed by QUIT")
            case 2: line("H=\(host) [\(addr)]:\(40000 + rng.next() % 20000) I=[203.0.113.5]:25 F=<spam@\(host)> rejected RCPT <nobody@example.org>: relay not permitted")
            case 3: line("TLS error on connection from \(host) [\(addr)]:\(40000 + rng.next() % 20000) I=[203.0.113.5]:25 (SSL_accept): error:0A000126:SSL routines::unexpected eof while reading")
            default: line("no host name found for IP address \(addr)")
            }
        }
    }

    private mutating func emitMessage() {
        let count = 1 + Int(rng.next() % 3)
        let ranks = (0..<count).map { _ in recipientRank() }
        switch format {
        case .postfix, .postfixRFC3339: emitPostfixMessage(ranks)
        case .exim: emitEximMessage(ranks)
        }
    }

    private mutating func emitPostfixMessage(_ ranks: [Int]) {
        let id = postfixQueueID()
        let client = ip()
        let smtpd = pid()
        line("postfix/smtpd[\(smtpd)]: \(id): client=app\(rng.next() % 20).example.com[\(client)], sasl_method=PLAIN, sasl_username=app")
        line("postfix/cleanup[\(pid())]: \(id): message-id=<\(rng.next())@app.example.com>")
        line("postfix/qmgr[812]: \(id): from=<news@sender.example>, size=\(2000 + rng.next() % 60000), nrcpt=\(ranks.count) (queue active)")
        let relayPid = pid()
        var retries = 0
        for r in ranks {
            let to = address(r)
            let relay = "mx\(r % 7).\(to.split(separator: "@")[1])[192.0.2.\(r % 200 + 1)]:25"
            let delays = "delays=0.1/0.01/0.2/0.4"
            switch fate(r) {
            case .ok:
                line("postfix/smtp[\(relayPid)]: \(id): to=<\(to)>, relay=\(relay), delay=0.7, \(delays), dsn=2.0.0, status=sent (250 2.0.0 OK  \(rng.next() % 99999) - gsmtp)")
            case .unknown:
                line("postfix/smtp[\(relayPid)]: \(id): to=<\(to)>, relay=\(relay), delay=0.5, \(delays), dsn=5.1.1, status=bounced (host \(relay.dropLast(3)) said: 550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos (in reply to RCPT TO command))")
            case .blocked:
                line("postfix/smtp[\(relayPid)]: \(id): to=<\(to)>, relay=\(relay), delay=0.5, \(delays), dsn=5.7.1, status=bounced (host \(relay.dropLast(3)) said: 554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org (in reply to RCPT TO command))")
            case .full, .expires:
                line("postfix/smtp[\(relayPid)]: \(id): to=<\(to)>, relay=\(relay), delay=0.5, \(delays), dsn=4.2.2, status=deferred (host \(relay.dropLast(3)) said: 452 4.2.2 The email account that you tried to reach is over quota (in reply to RCPT TO command))")
                retries += 1
            case .greylisted, .flaky:
                line("postfix/smtp[\(relayPid)]: \(id): to=<\(to)>, relay=\(relay), delay=0.5, \(delays), dsn=4.7.1, status=deferred (host \(relay.dropLast(3)) said: 451 4.7.1 Greylisted, please try again later (in reply to RCPT TO command))")
                line("postfix/smtp[\(relayPid)]: \(id): to=<\(to)>, relay=\(relay), delay=301, delays=300/0.01/0.2/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as \(postfixQueueID()))")
            }
        }
        if retries > 0 && ranks.contains(where: { fate($0) == .expires }) {
            line("postfix/qmgr[812]: \(id): from=<news@sender.example>, status=expired, returned to sender")
        }
        line("postfix/qmgr[812]: \(id): removed")
    }

    private mutating func emitEximMessage(_ ranks: [Int]) {
        let id = eximID()
        line("\(id) <= news@sender.example H=app\(rng.next() % 20).example.com [\(ip())]:\(40000 + rng.next() % 20000) I=[203.0.113.5]:587 P=esmtpsa X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no A=plain:app S=\(2000 + rng.next() % 60000) id=\(rng.next())@app.example.com")
        for r in ranks {
            let to = address(r)
            let host = "mx\(r % 7).\(to.split(separator: "@")[1]) [192.0.2.\(r % 200 + 1)]"
            switch fate(r) {
            case .ok:
                line("\(id) => \(to) R=dnslookup T=remote_smtp H=\(host) X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C=\"250 2.0.0 OK \(rng.next() % 99999) - gsmtp\"")
            case .unknown:
                line("\(id) ** \(to) R=dnslookup T=remote_smtp H=\(host): SMTP error from remote mail server after RCPT TO:<\(to)>: 550 5.1.1 <\(to)>: Recipient address rejected: User unknown in virtual mailbox table")
            case .blocked:
                line("\(id) ** \(to) R=dnslookup T=remote_smtp H=\(host): SMTP error from remote mail server after RCPT TO:<\(to)>: 554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org")
            case .full, .expires:
                line("\(id) == \(to) R=dnslookup T=remote_smtp defer (-44) H=\(host): SMTP error from remote mail server after RCPT TO:<\(to)>: 452 4.2.2 Mailbox full")
                if fate(r) == .expires { line("\(id) ** \(to): retry timeout exceeded") }
            case .greylisted, .flaky:
                line("\(id) == \(to) R=dnslookup T=remote_smtp defer (-44) H=\(host): SMTP error from remote mail server after RCPT TO:<\(to)>: 451 4.7.1 Greylisted, please try again later")
                line("\(id) => \(to) R=dnslookup T=remote_smtp H=\(host) X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C=\"250 2.0.0 Ok: queued as \(rng.next() % 99999)\"")
            }
        }
        line("\(id) Completed")
    }
}
