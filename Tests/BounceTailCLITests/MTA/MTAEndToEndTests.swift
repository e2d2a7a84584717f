import Foundation
import Testing
import BounceTailIO
import BounceTailTestSupport

/// bouncetail against logs written by real MTAs from Debian's packages, on loopback, relaying to a scripted peer.
@Suite(.serialized) struct MTAEndToEndTests {
    @Test(.enabled(if: PostfixInstance.unavailable == nil, Comment(rawValue: PostfixInstance.unavailable ?? "")))
    func postfixLogsGiveTheExpectedSuppressions() throws {
        try withMTA({ try PostfixInstance(dir: $0.appendingPathComponent("postfix"), relayPort: $1) }, start: { try $0.start() })
    }

    @Test(.enabled(if: EximInstance.unavailable == nil, Comment(rawValue: EximInstance.unavailable ?? "")))
    func eximLogsGiveTheExpectedSuppressions() throws {
        try withMTA({ try EximInstance(dir: $0.appendingPathComponent("exim"), relayPort: $1) }, start: { try $0.start() })
    }

    /// Starts a peer and the MTA in a temporary directory, runs the scenario and the exported-list check, and
    /// stops everything it started.
    func withMTA<M: LoopbackMTA>(_ make: (URL, UInt16) throws -> M, start: (M) throws -> Void) throws {
        let dir = try temporaryDirectory()
        defer { if ProcessInfo.processInfo.environment["KEEP"] == nil { try? FileManager.default.removeItem(at: dir) } else { print("KEPT \(dir.path)") } }
        let peer = try SMTPPeer()
        defer { peer.stop() }
        let mta = try make(dir, peer.port)
        try start(mta)
        defer { mta.stop() }
        try checkScenario(mta, dir: dir, peer: peer, rotationNote: "rotated")
        try checkExportedList(mta, dir: dir)
        try checkPolicyService(mta, dir: dir)
        if mta is PostfixInstance && PostgresInstance.unavailable == nil { try checkSharedStatePolicy(mta, dir: dir) }
    }

    /// Many hosts, one list: another MTA host's log tracked into a shared PostgreSQL state suppresses an
    /// address, and this Postfix, asking `serve --state postgresql://...` at RCPT, refuses it.
    func checkSharedStatePolicy(_ mta: LoopbackMTA, dir: URL) throws {
        let pg = try PostgresInstance()
        var other = ""
        for (i, qid) in ["4B1A2C3D01", "4B1A2C3D02", "4B1A2C3D03"].enumerated() {
            other += "2026-11-20T10:0\(i):00+00:00 mx-other postfix/smtp[7]: \(qid): to=<gone-elsewhere@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.1] said: 550 5.1.1 <gone-elsewhere@example.net>: Recipient address rejected: User unknown (in reply to RCPT TO command))\n"
        }
        try other.write(to: dir.appendingPathComponent("mx-other.log"), atomically: true, encoding: .utf8)
        let t = try runTool(binary.path, ["track", "--state", pg.conninfo, "--host-name", "mx-other", "mx-other.log"], in: dir)
        #expect(t.status == 0 && t.output.contains("\"action\":\"suppress\""), "\(t.output)")
        try mta.installSuppressionList("")
        let server = try ServeProcess(state: pg.conninfo, dir: dir, socket: mta.policySocket)
        defer { _ = server.stop() }
        var replies: [String] = []
        let refused = waitUntil(seconds: 5) {
            replies = (try? smtpConversation(port: mta.smtpPort, ["EHLO app.sender.test", "MAIL FROM:<sender@sender.test>",
                                                                  "RCPT TO:<gone-elsewhere@example.net>", "RCPT TO:<ok@example.net>", "QUIT"])) ?? []
            return replies.count == 6 && replies[3].hasPrefix("5")
        }
        #expect(refused && replies[3].contains("suppressed: userunknown") && replies[4].hasPrefix("250"), "\(replies)")
    }

    /// `bouncetail serve` asked by the MTA at RCPT, with the exported table emptied: the address the bounces of
    /// round one suppressed is refused without any export or reload, so is one suppressed by hand a moment ago;
    /// after the service is killed and started again, an unsuppressed address is accepted again; the
    /// refusals are counted and shown by `report --state`.
    func checkPolicyService(_ mta: LoopbackMTA, dir: URL) throws {
        let state = dir.appendingPathComponent("follow-state").path
        try mta.installSuppressionList("")
        var server = try ServeProcess(state: state, dir: dir, socket: mta.policySocket)
        let suppressed = try runTool(binary.path, ["suppress", "--state", state, "--reason", "complaint", "asked-by-policy@example.net"], in: dir)
        #expect(suppressed.status == 0, "\(suppressed.output)")
        func ask(_ rcpts: [String]) -> [String] {
            (try? smtpConversation(port: mta.smtpPort, ["EHLO app.sender.test", "MAIL FROM:<sender@sender.test>"] + rcpts.map { "RCPT TO:<\($0)>" } + ["QUIT"])) ?? []
        }
        var replies: [String] = []
        let refused = waitUntil(seconds: 5) {
            replies = ask(["unknown@example.net", "asked-by-policy@example.net", "ok@example.net"])
            return replies.count == 7 && replies[3].hasPrefix("5") && replies[4].hasPrefix("5")
        }
        #expect(refused && replies[3].contains("suppressed: userunknown") && replies[4].contains("suppressed: complaint"), "\(replies)")
        #expect(replies.count == 7 && replies[5].hasPrefix("250"), "\(replies)")
        // Killed (no goodbye), unsuppressed meanwhile, started again.
        kill(server.process.processIdentifier, SIGKILL)
        _ = server.stop()
        #expect(try runTool(binary.path, ["unsuppress", "--state", state, "unknown@example.net"], in: dir).status == 0)
        server = try ServeProcess(state: state, dir: dir, socket: mta.policySocket)
        let accepted = waitUntil(seconds: 5) {
            replies = ask(["unknown@example.net", "asked-by-policy@example.net"])
            return replies.count == 6 && replies[3].hasPrefix("250") && replies[4].hasPrefix("5")
        }
        #expect(accepted, "\(replies)")
        let said = server.stop()
        let rejected = try runTool(binary.path, ["list", "--state", state, "--rejected", "--format", "csv"], in: dir)
        #expect(rejected.output.contains("asked-by-policy@example.net,complaint,"), "\(rejected.output) \(said)")
        let report = try runTool(binary.path, ["report", "--state", state], in: dir)
        #expect(report.output.contains("Refused at RCPT by bouncetail serve") && report.output.contains("asked-by-policy@example.net (complaint)"),
                "\(report.output)")
    }

    /// The exported list installed in the MTA (Postfix's check_recipient_access, Exim's RCPT ACL): a suppressed
    /// address is refused at RCPT, a good one is not, and `report` counts the refusal from the MTA's log.
    func checkExportedList(_ mta: LoopbackMTA, dir: URL) throws {
        // A quoted local part with a blank: each MTA's table must carry it in its own quoting.
        let state = dir.appendingPathComponent("follow-state").path
        let quoted = try runTool(binary.path, ["suppress", "--state", state, "--reason", "complaint", "\"odd name\"@example.net"], in: dir)
        #expect(quoted.status == 0, "\(quoted.output)")
        let list = try runTool(binary.path, ["list", "--state", state, "--format", mta.listFormat], in: dir)
        #expect(list.status == 0 && list.output.contains("unknown@example.net"), "\(list.output)")
        try mta.installSuppressionList(list.output)
        let replies = try smtpConversation(port: mta.smtpPort, [
            "EHLO app.sender.test", "MAIL FROM:<sender@sender.test>", "RCPT TO:<unknown@example.net>", "RCPT TO:<ok@example.net>",
            "RCPT TO:<\"odd name\"@example.net>", "RCPT TO:<\"other name\"@example.net>", "QUIT",
        ])
        #expect(replies.count == 8 && replies[3].hasPrefix("5") && replies[3].contains("5.1.1") && replies[3].contains("suppressed: userunknown"),
                "\(replies)")
        #expect(replies.count == 8 && replies[4].hasPrefix("250"), "\(replies)")
        #expect(replies.count == 8 && replies[5].hasPrefix("5") && replies[5].contains("suppressed: complaint"), "\(replies)")
        #expect(replies.count == 8 && replies[6].hasPrefix("250"), "\(replies)")
        let logged = waitUntil(seconds: 10) {
            ((try? String(contentsOf: mta.log, encoding: .utf8)) ?? "").contains(mta.refusalLogMarker)
        }
        #expect(logged, "the MTA did not log the refusal")
        let report = try runTool(binary.path, ["report", "--json", "--quiet"] + MTAScenario(dir: dir).logFiles(mta), in: dir)
        let json = try JSONSerialization.jsonObject(with: Data(report.output.utf8)) as? [String: Any]
        #expect((json?["rejected"] as? [String: Int])?["refused_at_rcpt"] == 2, "\(report.output)")
    }

    /// The checks shared by both MTAs (see `MTAScenario`).
    func checkScenario(_ mta: LoopbackMTA, dir: URL, peer: SMTPPeer, rotationNote: String) throws {
        let scenario = MTAScenario(dir: dir)
        let (follow, followed, drained) = try scenario.run(mta)
        #expect(drained, "the queue did not drain")
        #expect(follow.exitStatus == 0, "follow: \(follow.text)")
        #expect(follow.text.contains(rotationNote), "follow did not notice the rotation: \(follow.text)")
        let files = scenario.logFiles(mta)
        #expect(files.count >= 2, "expected a rotated log next to the live one: \(files)")

        // The peer really gave every answer the scenario is about.
        let codes = Set(peer.rcptAnswers.map { "\($0.rcpt.lowercased()) \($0.code)" })
        for expected in ["unknown@example.net 550", "nodomain@example.net 550", "full@example.net 452", "grey@example.net 451",
                         "spam@example.net 554", "dmarc@example.net 550", "flaky@example.net 451", "flaky@example.net 250",
                         "ok@example.net 250"] {
            #expect(codes.contains(expected), "peer never answered \(expected)")
        }

        // Outcomes over the finished logs: each of the three messages ends once per recipient.
        let outcomes = try scannedOutcomes(files, in: dir)
        func count(_ rcpt: String, _ status: String) -> Int { outcomes.filter { $0.recipient == rcpt && $0.status == status }.count }
        #expect(count("ok@example.net", "delivered") == 3)
        #expect(count("flaky@example.net", "delivered") == 3)
        #expect(count("flaky@example.net", "deferred") >= 1)
        for r in ["unknown", "nodomain", "spam", "dmarc"] { #expect(count("\(r)@example.net", "bounced") == 3, "\(r)") }
        for r in ["ok", "unknown", "nodomain", "spam", "dmarc", "flaky"] {
            #expect(count("\(r)@example.net", "expired") == 0, "\(r) had its final outcome before the message expired")
        }
        for r in ["full", "grey"] {
            #expect(count("\(r)@example.net", "expired") == 3, "\(r): per-message expiry mapped to its recipients")
            #expect(count("\(r)@example.net", "deferred") >= 3, "\(r)")
        }

        // Suppressions: address faults at the hard limit, full and greylisted only by the soft rule,
        // sender-side rejections and the flaky recipient never.
        let suppressed = suppressedRecipients(followed)
        #expect(suppressed["unknown@example.net"]?.why == "hard")
        #expect(suppressed["unknown@example.net"]?.reason == "userunknown")
        #expect(suppressed["nodomain@example.net"]?.why == "hard")
        #expect(suppressed["full@example.net"]?.why == "soft")
        #expect(suppressed["grey@example.net"]?.why == "soft")
        for r in ["ok", "spam", "dmarc", "flaky"] { #expect(suppressed["\(r)@example.net"] == nil, "\(r) suppressed") }
        #expect(!followed.contains { $0.contains("UnKnown") }, "mixed case is one recipient")
        let unknownHard = followed.first { $0.contains(#""recipient":"unknown@example.net""#) }
        #expect(unknownHard?.contains(#""hard":3"#) == true, "the mixed-case round counted: \(unknownHard ?? "")")

        // The followed live log, through its rotation, gives what one `track` over the finished files gives.
        let (status, out) = try runTool(binary.path, ["track", "--state", "track-state", "--deltas", "track.jsonl"] + scenario.policy + files, in: dir)
        #expect(status == 0, "\(out)")
        let tracked = ((try? String(contentsOf: dir.appendingPathComponent("track.jsonl"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        #expect(followed.map(deltaWithoutSource) == tracked.map(deltaWithoutSource))
        #expect(!tracked.isEmpty)
        if mta is PostfixInstance { try checkJournal(files, tracked: tracked, policy: scenario.policy, dir: dir) }
    }

    /// Postfix's own lines, turned into the journal entries journald would have made of them (identifiers, PIDs,
    /// host), give the same deltas from the journal as from the files.
    func checkJournal(_ files: [String], tracked: [String], policy: [String], dir: URL) throws {
        guard journalUnavailable == nil else { return }
        var lines: [String] = []
        for f in RotationOrder.oldestFirst(files) {
            let (status, text) = try runTool("/bin/sh", ["-c", "gzip -dcf \"$0\"", f], in: dir)
            #expect(status == 0, "\(text)")
            lines += text.split(separator: "\n").map(String.init)
        }
        let year = Calendar(identifier: .gregorian).component(.year, from: Date())
        let entries = lines.compactMap { JournalExport.Entry(syslogLine: $0, year: year, zone: .current, unit: "postfix@-.service") }
        #expect(entries.count == lines.count, "every line of Postfix's is a syslog line")
        #expect(entries.contains { $0.identifier == "postfix/smtp" && $0.pid != nil })
        try JournalExport.write(entries, to: dir.appendingPathComponent("mail.journal").path)
        let (status, out) = try runTool(binary.path, ["track", "--state", "journal-state", "--deltas", "journal.jsonl", "--journal-file",
                                                      "mail.journal", "--unit", "postfix@-"] + policy, in: dir)
        #expect(status == 0, "\(out)")
        let fromJournal = ((try? String(contentsOf: dir.appendingPathComponent("journal.jsonl"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        #expect(fromJournal.map(deltaWithoutSource) == tracked.map(deltaWithoutSource))
    }
}
