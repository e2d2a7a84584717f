import Foundation
import Testing

@Suite struct ReportCommandTests {
    /// Two hard bounces to one address (the second after it was suppressed), a DMARC refusal (the sender's
    /// problem), a delivery, and Postfix refusing the suppressed address at RCPT by the exported table.
    static let log = """
        Nov 23 10:00:00 mx postfix/smtp[1]: A1AAAAAAAA: to=<a@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.1] said: 550 5.1.1 <a@example.net>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))
        Nov 23 10:01:00 mx postfix/smtp[1]: A2AAAAAAAA: to=<A@Example.NET>, relay=mx.example.net[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.1] said: 550 5.1.1 <A@Example.NET>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))
        Nov 23 10:02:00 mx postfix/smtp[1]: A3AAAAAAAA: to=<b@example.org>, relay=gmail-smtp-in.l.google.com[142.250.1.26]:25, delay=1, delays=0/0/0/1, dsn=5.7.26, status=bounced (host gmail-smtp-in.l.google.com[142.250.1.26] said: 550-5.7.26 Unauthenticated email from sender.test is not accepted due to domain's DMARC policy (in reply to end of DATA command))
        Nov 23 10:03:00 mx postfix/smtp[1]: A4AAAAAAAA: to=<c@example.org>, relay=mx.example.org[192.0.2.2]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as X)
        Nov 23 10:04:00 mx postfix/smtpd[2]: NOQUEUE: reject: RCPT from app.example.com[198.51.100.4]: 554 5.1.1 <a@example.net>: Recipient address rejected: suppressed: userunknown; from=<news@sender.test> to=<a@example.net> proto=ESMTP helo=<app>

        """

    @Test func jsonReportCountsOutcomesReasonsSenderProblemsSuppressionsAndRejects() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("mail.log")
        try Self.log.write(to: file, atomically: true, encoding: .utf8)
        let r = try run(["report", "--json", "--timezone", "UTC", "--year", "2026", "--hard-limit", "1", file.path])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let outcomes = try #require(o["outcomes"] as? [String: Int])
        #expect(outcomes == ["delivered": 1, "deferred": 0, "hard_bounced": 2, "soft_bounced": 1, "expired": 0])
        #expect(o["recipients"] as? Int == 3)
        let reasons = try #require(o["by_reason"] as? [[String: Any]])
        #expect(reasons.contains { $0["reason"] as? String == "userunknown" && $0["failed"] as? Int == 2 })
        let problems = try #require(o["sender_problems"] as? [[String: Any]])
        #expect(problems.count == 1)
        #expect(problems.first?["provider"] as? String == "google.com")
        #expect(problems.first?["reason"] as? String == "blocked")
        #expect(o["suppressions"] as? [String: Int] == ["suppress hard": 1])
        #expect(o["rejected"] as? [String: Int] == ["sent_while_suppressed": 1, "refused_at_rcpt": 1])
        #expect(o["first"] as? String == "2026-11-23T10:00:00Z")
    }

    @Test func aLogReadInPiecesOnEveryCoreCountsWhatItsGzipStreamCounts() throws {
        // Several MiB: a plain file is read in pieces on every core, the gzip as one stream; refusals at RCPT
        // are counted on the scanning threads, so both must find every one of them.
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let repeats = 9000
        try String(repeating: Self.log.replacingOccurrences(of: "\n\n", with: "\n"), count: repeats)
            .write(to: dir.appendingPathComponent("mail.log"), atomically: true, encoding: .utf8)
        #expect(try run([], shell: "cd '\(dir.path)' && gzip -c mail.log > mail.log.gz").status == 0)
        var reports: [[String: Any]] = []
        for name in ["mail.log", "mail.log.gz"] {
            let r = try run(["report", "--json", "--timezone", "UTC", "--year", "2026", dir.appendingPathComponent(name).path])
            #expect(r.status == 0, "\(r.stderr)")
            reports.append(try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]))
        }
        let size = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("mail.log").path)[.size] as? Int
        #expect((size ?? 0) > 3 << 20)
        for o in reports {
            #expect((o["rejected"] as? [String: Int])?["refused_at_rcpt"] == repeats)
            #expect((o["outcomes"] as? [String: Int])?["delivered"] == repeats)
        }
        #expect(NSDictionary(dictionary: reports[0]).isEqual(to: reports[1]))
    }

    @Test func textReportNamesEverySection() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("mail.log")
        try Self.log.write(to: file, atomically: true, encoding: .utf8)
        let r = try run(["report", "--timezone", "UTC", "--year", "2026", "--hard-limit", "1", file.path])
        #expect(r.status == 0)
        for section in ["delivered 1", "bounced 3 (hard 2, soft 1)", "By reason", "userunknown", "Sender-side problems",
                        "google.com", "blocked", "added 1 (hard 1)", "sent while suppressed 1", "refused at RCPT by the exported table 1"] {
            #expect(r.stdout.contains(section), "missing \(section) in:\n\(r.stdout)")
        }
    }
}
