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
        // The addresses are named: what was suppressed, and what was still mailed while it was.
        let named = try #require(o["suppressed_addresses"] as? [[String: Any]])
        #expect(named.count == 1 && named[0]["address"] as? String == "a@example.net" && named[0]["why"] as? String == "hard"
                && named[0]["reason"] as? String == "userunknown" && named[0]["time"] as? String == "2026-11-23T10:00:00Z", "\(named)")
        let mailed = try #require(o["sent_while_suppressed_by"] as? [[String: Any]])
        #expect(mailed.count == 1 && mailed[0]["address"] as? String == "a@example.net" && mailed[0]["count"] as? Int == 1)
        // Traffic by day and by hour (UTC).
        let days = try #require(o["by_day"] as? [[String: Any]])
        #expect(days.count == 1 && days[0]["day"] as? String == "2026-11-23" && days[0]["delivered"] as? Int == 1
                && days[0]["hard_bounced"] as? Int == 2, "\(days)")
        let hours = try #require(o["by_hour"] as? [[String: Any]])
        #expect(hours.count == 24 && hours[10]["bounced"] as? Int == 3 && hours[10]["delivered"] as? Int == 1
                && hours.enumerated().allSatisfy { $0.offset == 10 || ($0.element["bounced"] as? Int == 0 && $0.element["delivered"] as? Int == 0) })
    }

    /// What pflogsumm counts, counted the same way on a session with every kind of line it counts: messages
    /// received (smtpd client=, pickup uid=) and their bytes (qmgr's first size=), deliveries, deferrals, bounces,
    /// refusals at SMTP time; and checked against pflogsumm itself where Debian's is installed.
    @Test func theGrandTotalsArePflogsummsOnTheSameLog() throws {
        let log = packageRoot.appendingPathComponent("Tests/Data/pflogsumm-session.log").path
        let r = try run(["report", "--json", "--timezone", "UTC", "--year", "2026", log])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let outcomes = try #require(o["outcomes"] as? [String: Int])
        let received = try #require(o["received"] as? [String: Int])
        let rejects = try #require(o["smtp_rejects"] as? [String: Any])
        #expect(received == ["messages": 2, "bytes": 2500])
        #expect(outcomes["delivered"] == 2 && outcomes["deferred"] == 2 && outcomes["hard_bounced"]! + outcomes["soft_bounced"]! == 1)
        #expect(rejects["total"] as? Int == 2)
        let reasons = (rejects["by_reason"] as? [[String: Any]])?.compactMap { $0["reason"] as? String } ?? []
        #expect(Set(reasons) == ["RCPT: Relay access denied", "RCPT: Recipient address rejected: User unknown in local recipient table"], "\(reasons)")
        let senders = try #require(o["top_senders"] as? [[String: Any]])
        #expect(senders.contains { $0["sender"] as? String == "news@a.example" && $0["messages"] as? Int == 1 && $0["bytes"] as? Int == 2000 }, "\(senders)")
        #expect(senders.contains { $0["sender"] as? String == "root@mx.example" && $0["bytes"] as? Int == 500 }, "\(senders)")
        #expect((o["warnings"] as? [[String: Any]])?.first?["what"] as? String
                == "warning postfix/smtpd: hostname e.example does not resolve to address N.N.N.N")
        let text = try run(["report", "--timezone", "UTC", "--year", "2026", log]).stdout
        for part in ["received 2 messages (2.4 KiB); rejected at SMTP time 2; warnings 1", "Rejected at SMTP time", "Top senders", "Warnings and errors"] {
            #expect(text.contains(part), "\(part): \(text)")
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/pflogsumm") else { return }
        let p = try run([], shell: "/usr/sbin/pflogsumm '\(log)'")
        func total(_ name: String) -> Int? {
            p.stdout.split(separator: "\n").lazy.map { $0.split(separator: " ", omittingEmptySubsequences: true) }
                .first { $0.count >= 2 && $0[1...].joined(separator: " ").hasPrefix(name) }.flatMap { Int($0[0]) }
        }
        #expect(total("received") == received["messages"], "\(p.stdout)")
        #expect(total("bytes received") == received["bytes"])
        #expect(total("delivered") == outcomes["delivered"])
        #expect(total("bounced") == 1)
        #expect(total("rejected") == rejects["total"] as? Int)
        #expect(p.stdout.contains("(\(outcomes["deferred"]!)  deferrals)"), "\(p.stdout)")
    }

    /// Exim logs a frozen message's failure again when it is thawed and retried: one message, one bounce, two
    /// lines — the totals count the lines (as eximstats and pflogsumm do), the repeat is counted apart.
    @Test func aFailureLoggedTwiceForOneMessageIsCountedApart() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("mainlog")
        let fail = "1vFROZ-000001-AB ** gone@example.net R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.7]: SMTP error from remote mail server after RCPT TO:<gone@example.net>: 550 5.1.1 No such user"
        try ["2026-11-23 10:00:00 \(fail)", "2026-11-23 10:00:00 1vFROZ-000001-AB Frozen", "2026-11-23 12:00:00 1vFROZ-000001-AB Unfrozen by forced delivery",
             "2026-11-23 12:00:01 \(fail)", "2026-11-23 12:00:02 1vOTHR-000002-AB ** other@example.net R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.7]: SMTP error from remote mail server after RCPT TO:<other@example.net>: 550 5.1.1 No such user"]
            .joined(separator: "\n").appending("\n").write(to: file, atomically: true, encoding: .utf8)
        let r = try run(["report", "--json", "--timezone", "UTC", file.path])
        let o = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect((o["outcomes"] as? [String: Int])?["hard_bounced"] == 3, "\(r.stdout)")
        #expect(o["repeated_final_failures"] as? Int == 1)
        let t = try run(["report", "--timezone", "UTC", file.path]).stdout
        #expect(t.contains("1 of the final failures were logged again for the same message and recipient"), "\(t)")
    }

    /// Exim's `<=` lines: messages and bytes received, the sender; eximstats agrees where it is unpacked.
    @Test func eximsReceivedMessagesAreCountedAsEximstatsCountsThem() throws {
        let r = try run(["report", "--json", "--timezone", "UTC", "samples/exim/mainlog"])
        let o = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(o["received"] as? [String: Int] == ["messages": 1, "bytes": 4821])
        #expect((o["top_senders"] as? [[String: Any]])?.first?["sender"] as? String == "news@example.org")
        let eximstats = "/opt/bouncetail-ci/exim/usr/sbin/eximstats"
        guard FileManager.default.isExecutableFile(atPath: eximstats) else { return }
        let e = try run([], shell: "perl \(eximstats) -nr -t0 -h0 -q0 samples/exim/mainlog")
        let line = e.stdout.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("Received") }
        let fields = line?.split(separator: " ").map(String.init) ?? []
        #expect(fields.count >= 3 && fields[1] == "4821" && fields[2] == "1", "\(e.stdout)")
    }

    /// Exim names a relay `H=host [ip]`: the provider is the host's domain, without the blank before the address.
    @Test func anEximRelaysProviderHasNoTrailingBlank() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("mainlog")
        try "2026-11-23 10:00:00 1vABCD-000001-AB ** b@example.org R=dnslookup T=remote_smtp H=mx1.example.org [192.0.2.7] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no: SMTP error from remote mail server after end of data: 550 5.7.1 Message rejected as spam\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let r = try run(["report", "--json", "--timezone", "UTC", file.path])
        let o = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let problems = try #require(o["sender_problems"] as? [[String: Any]])
        #expect(problems.first?["provider"] as? String == "example.org", "\(problems)")
    }

    /// `report --state` reads the tracked state alone: the list by why and reason, the counters, the deltas.
    @Test func theStateIsReportedWithoutLogs() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("mail.log")
        try Self.log.write(to: file, atomically: true, encoding: .utf8)
        let state = dir.appendingPathComponent("st").path
        #expect(try run(["track", "--state", state, "--hard-limit", "1", "--timezone", "UTC", "--year", "2026", file.path]).status == 0)
        #expect(try run(["suppress", "--state", state, "--reason", "complaint", "x@example.com"]).status == 0)
        let j = try run(["report", "--state", state, "--json"])
        #expect(j.status == 0, "\(j.stderr)")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        #expect(o["suppressed"] as? Int == 2 && o["last_seq"] as? Int == 2, "\(o)")
        let by = try #require(o["suppressed_by"] as? [[String: Any]])
        #expect(by.contains { $0["why"] as? String == "manual" && $0["reason"] as? String == "complaint" && $0["count"] as? Int == 1 })
        #expect(by.contains { $0["why"] as? String == "hard" && $0["reason"] as? String == "userunknown" && $0["count"] as? Int == 1 })
        #expect((o["recent_deltas"] as? [[String: Any]])?.count == 2)
        let t = try run(["report", "--state", state])
        #expect(t.status == 0 && t.stdout.contains("2 suppressed") && t.stdout.contains("complaint") && t.stdout.contains("Latest deltas"), "\(t.stdout)")
        #expect(try run(["report", "--state", state, file.path]).status == 64)
        #expect(try run(["report", "--state", dir.appendingPathComponent("nothing").path]).status == 1)
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
                        "google.com", "blocked", "added 1 (hard 1)", "a@example.net (hard, userunknown)", "sent while suppressed 1",
                        "still mailed: a@example.net 1", "refused at RCPT by the exported table 1", "By hour (UTC)",
                        "recipients are the distinct addresses delivery was attempted to"] {
            #expect(r.stdout.contains(section), "missing \(section) in:\n\(r.stdout)")
        }
    }
}
