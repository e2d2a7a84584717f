import BounceTailCore
import Testing

/// Each case: one real-shaped line and the fields it must give (nil: the key must be null).
struct ScanCase: CustomTestStringConvertible, Sendable {
    var line: String
    var expect: [String: String?]
    var testDescription: String { String(line.prefix(90)) }

    /// The line gives exactly one outcome with the expected fields, or none when nothing is expected.
    func check(format: LogFormat) throws {
        let rows = try scanRows(line, format: format)
        if expect.isEmpty {
            #expect(rows.isEmpty)
            return
        }
        try #require(rows.count == 1)
        for (key, want) in expect {
            #expect(rows[0][key] == want, "\(key)")
        }
    }
}

let postfixCases: [ScanCase] = [
    ScanCase(
        line: "Nov  3 10:00:01 mx1 postfix/smtp[2110]: 4Xy1Z2abcD: to=<Rcpt@Example.NET>, relay=mx.example.net[192.0.2.10]:25, delay=1.2, delays=0.1/0.01/0.5/0.59, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.10] said: 550 5.1.1 <rcpt@example.net>: Recipient address rejected: User unknown (in reply to RCPT TO command))",
        expect: ["time": "2026-11-03T10:00:01Z", "mta": "postfix", "host": "mx1", "queue_id": "4Xy1Z2abcD",
                 "recipient": "rcpt@example.net", "original_recipient": nil, "status": "bounced", "dsn": "5.1.1",
                 "smtp_code": "550", "relay": "mx.example.net[192.0.2.10]:25",
                 "diagnostic": "host mx.example.net[192.0.2.10] said: 550 5.1.1 <rcpt@example.net>: Recipient address rejected: User unknown (in reply to RCPT TO command)"]),
    ScanCase(
        line: "Nov 03 10:00:01 mx1 postfix/local[1]: 3F2A1C0A1B: to=<dave@mx1.example.org>, orig_to=<Postmaster@example.org>, relay=local, delay=0.9, delays=0.5/0.01/0/0.39, dsn=2.0.0, status=sent (delivered to mailbox)",
        expect: ["recipient": "dave@mx1.example.org", "original_recipient": "postmaster@example.org",
                 "status": "delivered", "smtp_code": nil, "relay": "local", "diagnostic": "delivered to mailbox"]),
    ScanCase(
        line: "2023-03-14T00:00:10.123456+01:00 mx2 postfix/smtp[31005]: 4ZbLw53kYzz9sXQ: to=<a@b.example>, relay=none, delay=30, delays=0.1/0/30/0, dsn=4.4.1, status=deferred (connect to mx.b.example[192.0.2.1]:25: Connection timed out)",
        expect: ["time": "2023-03-13T23:00:10.123456Z", "queue_id": "4ZbLw53kYzz9sXQ", "status": "deferred",
                 "dsn": "4.4.1", "smtp_code": nil, "relay": "none"]),
    ScanCase(
        line: "Nov  5 19:47:50 relay.cs.example postfix/smtp[17354]: [ID 197553 mail.info] 34B3F4317: to=<g@cs.example>, relay=127.0.0.1[127.0.0.1], delay=7, status=sent (250 2.6.0 Ok, id=16661-16)",
        expect: ["host": "relay.cs.example", "queue_id": "34B3F4317", "status": "delivered", "dsn": "2.6.0",
                 "smtp_code": "250"]),
    ScanCase(
        line: "Nov  3 00:00:20 mx1 postfix/smtp: 8E4B5F0D75: to=rupert@example.net, relay=mx.example.net[192.0.2.10], delay=3, status=bounced (host mx.example.net[192.0.2.10] said: 550 unknown user)",
        expect: ["recipient": "rupert@example.net", "status": "bounced", "dsn": nil, "smtp_code": "550"]),
    ScanCase(
        line: "Nov  3 00:00:03 mx1 postfix/smtp[2202]: 3F2A1C0A1B: to=<\"john, >doe\"@example.com>, orig_to=<\"a b\"@example.com>, relay=mail.example.com[203.0.113.5]:25, delay=1, delays=0.1/0/0.4/0.5, dsn=2.0.0, status=sent (250 2.0.0 OK)",
        expect: ["recipient": "\"john, >doe\"@example.com", "original_recipient": "\"a b\"@example.com"]),
    ScanCase(
        line: "Nov  3 00:00:07 mx1 postfix-mx/content-filter/smtp[2303]: 5B1E2C0A2D: to=<g@example.net>, relay=127.0.0.1[127.0.0.1]:10024, conn_use=3, delay=0.3, delays=0.1/0/0.1/0.1, dsn=2.0.0, tls=dane/!requiretls:nostarttls, status=sent (250 2.0.0 Ok)",
        expect: ["status": "delivered", "relay": "127.0.0.1[127.0.0.1]:10024"]),
    ScanCase(
        line: "Nov  3 00:00:07 mx1 postfix/submission/smtpd[2303]: 5B1E2C0A2D: to=<g@example.net>, relay=x, delay=0.3, status=sent (250 2.0.0 Ok)",
        expect: [:]),  // smtpd is not a delivery agent: no outcome
    ScanCase(
        line: "Nov  3 00:00:16 mx1 postfix/smtp[2312]: 7D3A4E0C61: to=<n@example.net>, relay=mx[192.0.2.10]:25, delay=0.4, delays=0.1/0/0.1/0.2, dsn=2.1.5, status=deliverable (250 2.1.5 Ok)",
        expect: ["status": "probe_deliverable"]),
    ScanCase(
        line: "Nov  3 00:00:17 mx1 postfix/smtp[2313]: 7D3A4E0C62: to=<o@example.net>, relay=mx[192.0.2.10]:25, delay=0.4, delays=0.1/0/0.1/0.2, dsn=5.1.1, status=undeliverable (host mx[192.0.2.10] said: 550 5.1.1 User unknown (in reply to RCPT TO command))",
        expect: ["status": "probe_undeliverable"]),
    ScanCase(
        line: "Nov  3 00:00:18 mx1 postfix/smtp[2314]: 8E4B5F0D73: to=<p@example.net>, relay=mx[192.0.2.10]:25, delay=0.7, delays=0.1/0/0.2/0.4, dsn=5.1.1, status=SOFTBOUNCE (host mx[192.0.2.10] said: 550 5.1.1 User unknown (in reply to RCPT TO command))",
        expect: ["status": "softbounce", "dsn": "5.1.1"]),
    ScanCase(
        line: "mail_1  | Nov  3 00:00:18 mx1 postfix/error[9]: 8E4B5F0D73: to=<p@example.net>, relay=none, delay=9, delays=9/0/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to mx[192.0.2.10]:25: Connection refused)",
        expect: ["host": "mx1", "status": "deferred"]),
    ScanCase(
        line: "Nov  3 00:00:18 postfix postgrey[989]: action=greylist, reason=new, client_name=x, client_address=192.0.2.1, sender=a@b, recipient=c@d",
        expect: [:]),
    ScanCase(
        line: "Nov  3 00:00:18 mx1 sendmail[1]: x1: to=<a@b.example>, delay=00:00:01, mailer=esmtp, stat=Sent",
        expect: [:]),
    // Postfix cuts long lines at 2000 bytes: the text has no closing parenthesis.
    ScanCase(
        line: "Nov  3 00:00:19 mx1 postfix/smtp[1]: 8E4B5F0D74: to=<q@example.net>, relay=mx[192.0.2.10]:25, delay=1, delays=0.1/0/0.4/0.5, dsn=5.7.1, status=bounced (host mx[192.0.2.10] said: 554 5.7.1 rejected because of a very long reason that was cut",
        expect: ["status": "bounced", "smtp_code": "554",
                 "diagnostic": "host mx[192.0.2.10] said: 554 5.7.1 rejected because of a very long reason that was cut"]),
]

@Suite struct PostfixScannerTests {
    @Test(arguments: postfixCases)
    func deliveryLinesGiveTheirFields(_ c: ScanCase) throws {
        try c.check(format: .postfix)
    }

    @Test func qmgrExpiryNamesEveryRecipientStillPendingAfterADeferral() throws {
        let log = """
            Nov  3 10:00:00 mx postfix/smtp[1]: ABCDE12345: to=<a@x.example>, relay=none, delay=1, dsn=4.4.1, status=deferred (connect to x: Connection refused)
            Nov  3 10:00:00 mx postfix/smtp[1]: ABCDE12345: to=<b@x.example>, orig_to=<alias@x.example>, relay=none, delay=1, dsn=4.4.1, status=deferred (connect to x: Connection refused)
            Nov  3 10:00:00 mx postfix/smtp[1]: ABCDE12345: to=<c@y.example>, relay=y[192.0.2.1]:25, delay=1, dsn=2.0.0, status=sent (250 ok)
            Nov  3 10:00:01 mx postfix/smtp[1]: FFFFF12345: to=<d@x.example>, relay=none, delay=1, dsn=4.4.1, status=deferred (connect to x: Connection refused)
            Nov  3 11:00:00 mx postfix/smtp[1]: ABCDE12345: to=<A@x.example>, relay=x[192.0.2.2]:25, delay=3600, dsn=2.0.0, status=sent (250 ok)
            Nov  3 11:00:01 mx postfix/qmgr[2]: FFFFF12345: removed
            Nov  8 10:00:00 mx postfix/qmgr[2]: ABCDE12345: from=<s@z.example>, status=expired, returned to sender
            Nov  8 10:00:00 mx postfix/qmgr[2]: FFFFF12345: from=<s@z.example>, status=expired, returned to sender
            Nov  8 10:00:00 mx postfix/qmgr[2]: ABCDE12345: from=<s@z.example>, status=expired, returned to sender
            """
        let rows = try scanRows(log)
        let expired = rows.filter { $0["status"] == "expired" }
        #expect(expired.count == 1)
        #expect(expired.first?["recipient"] == "b@x.example")
        #expect(expired.first?["original_recipient"] == "alias@x.example")
        #expect(expired.first?["queue_id"] == "ABCDE12345")
        #expect(expired.first?["time"] == "2026-11-08T10:00:00Z")
        #expect(expired.first?["line"] == "7")
        #expect(expired.first?["dsn"] == "4.4.1")
    }

    @Test func garbageBytesInventNoOutcome() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let bytes = (0..<4000).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(try scanRows(bytes).isEmpty)
        }
        // Pieces of real lines glued at random must not crash either.
        let line = Array(postfixCases[0].line.utf8)
        for cut in stride(from: 0, to: line.count, by: 7) {
            _ = try scanRows(Array(line[..<cut]) + [ASCII.newline] + Array(line[cut...]))
        }
    }
}

@Suite struct SuppressedRejectTests {
    func recipient(_ line: String) -> String? {
        let bytes = Array(line.utf8)
        return bytes.withUnsafeBufferPointer { b in
            SuppressedReject.recipient(in: b).map { String(decoding: b[$0], as: UTF8.self) }
        }
    }

    @Test func postfixAndEximRefusalsByTheExportedTableNameTheRecipient() {
        #expect(recipient("Nov 23 10:04:00 mx postfix/smtpd[2]: NOQUEUE: reject: RCPT from app.example.com[198.51.100.4]: 554 5.1.1 <a@example.net>: Recipient address rejected: suppressed: userunknown; from=<news@sender.test> to=<a@example.net> proto=ESMTP helo=<app>") == "a@example.net")
        #expect(recipient("2026-11-23 10:04:00 H=(app) [198.51.100.4] F=<news@sender.test> rejected RCPT <b@example.org>: 5.1.1 suppressed: mailboxfull") == "b@example.org")
    }

    @Test func otherRefusalsAreNotCounted() {
        #expect(recipient("Nov 23 10:04:00 mx postfix/smtpd[2]: NOQUEUE: reject: RCPT from h[198.51.100.4]: 554 5.7.1 <a@example.net>: Relay access denied; from=<s@x.test> to=<a@example.net> proto=ESMTP helo=<h>") == nil)
        #expect(recipient("2026-11-23 10:04:00 H=(h) [198.51.100.4] F=<s@x.test> rejected RCPT <b@example.org>: relay not permitted") == nil)
        #expect(recipient("Nov 23 10:00:00 mx postfix/smtp[1]: Q1: to=<suppressed: @x>, status=sent (250 ok)") == nil)
    }
}
