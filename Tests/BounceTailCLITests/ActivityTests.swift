import Foundation
import Testing

/// Recorded activity resets "consecutive bounces without recorded activity", at the activity's own time.
@Suite struct ActivityTests {
    static func bounce(_ hhmm: String, _ to: String, soft: Bool = false) -> String {
        "Nov 23 \(hhmm):00 mx postfix/smtp[1]: 4QA\(hhmm.replacingOccurrences(of: ":", with: ""))\(to.prefix(1))Z: to=<\(to)>, relay=mx.example.net[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=\(soft ? "5.2.2" : "5.1.1"), status=bounced (host mx.example.net[192.0.2.1] said: \(soft ? "552 5.2.2 Mailbox full" : "550 5.1.1 User unknown") (in reply to RCPT TO command))\n"
    }

    let policy = ["--hard-limit", "2", "--soft-limit", "2", "--soft-span", "1h", "--timezone", "UTC", "--year", "2026"]

    func track(_ state: URL, _ log: URL, _ text: String, extra: [String] = []) throws -> Run {
        let h = FileManager.default.fileExists(atPath: log.path) ? try FileHandle(forWritingTo: log) : nil
        if let h { h.seekToEndOfFile(); h.write(Data(text.utf8)); try h.close() } else { try text.write(to: log, atomically: true, encoding: .utf8) }
        return try run(["track", "--state", state.path] + policy + extra + [log.path])
    }

    func list(_ state: URL) throws -> String { try run(["list", "--state", state.path, "--format", "csv"]).stdout }

    @Test func activityBetweenTwoBouncesStartsTheCountAgainAndAnOlderOneDoesNot() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (state, log) = (dir.appendingPathComponent("st"), dir.appendingPathComponent("mail.log"))
        #expect(try track(state, log, Self.bounce("10:00", "a@example.net") + Self.bounce("10:00", "b@example.net")).status == 0)
        // a: an open at 11:00, after its bounce; b: an activity at 09:00, before its bounce.
        let act = try run(["activity", "--state", state.path, "--file", "-"], stdin: Data("""
            {"type":"activity","recipient":"a@example.net","time":"2026-11-23T11:00:00Z"}
            {"type":"activity","recipient":"b@example.net","time":"2026-11-23T09:00:00Z"}
            {"type":"activity","recipient":"nobody@example.net","time":"2026-11-23T11:00:00Z"}

            """.utf8))
        #expect(act.status == 0, "\(act.stderr)")
        #expect(act.stderr.contains("b@example.net: activity older than the last bounce") && act.stderr.contains("nobody@example.net: no counters"), "\(act.stderr)")
        // A second bounce each: a counts 1 (not suppressed), b counts 2 (suppressed).
        let second = try track(state, log, Self.bounce("12:00", "a@example.net") + Self.bounce("12:00", "b@example.net"))
        #expect(second.stdout.contains("\"recipient\":\"b@example.net\"") && !second.stdout.contains("\"recipient\":\"a@example.net\""), "\(second.stdout)")
        // The same activity again (a retried pipe) changes nothing: it is older than a's new bounce now.
        let again = try run(["activity", "--state", state.path, "--at", "2026-11-23T11:00:00Z", "a@example.net"])
        #expect(again.stderr.contains("older than the last bounce"))
        let third = try track(state, log, Self.bounce("13:00", "a@example.net"))
        #expect(third.stdout.contains("\"recipient\":\"a@example.net\""), "a's second consecutive bounce since the activity: \(third.stdout)")
    }

    @Test func activityLiftsASoftSuppressionNotAHardOneAndResetChangesNoList() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (state, log) = (dir.appendingPathComponent("st"), dir.appendingPathComponent("mail.log"))
        let text = Self.bounce("10:00", "s@example.net", soft: true) + Self.bounce("11:00", "s@example.net", soft: true)
            + Self.bounce("10:00", "h@example.net") + Self.bounce("11:00", "h@example.net") + Self.bounce("10:30", "c@example.net")
        #expect(try track(state, log, text).status == 0)
        #expect(try list(state).contains("s@example.net,mailboxfull") && list(state).contains("h@example.net,userunknown"))
        let a = try run(["activity", "--state", state.path, "--at", "2026-11-23T12:00:00Z", "s@example.net", "h@example.net"])
        #expect(a.status == 0)
        #expect(a.stdout.contains("\"action\":\"unsuppress\",\"recipient\":\"s@example.net\",\"why\":\"activity\""), "\(a.stdout)")
        #expect(a.stderr.contains("h@example.net: counters reset; the hard or manual suppression stays"), "\(a.stderr)")
        let summary = try run(["report", "--state", state.path, "--json"]).stdout
        #expect(summary.contains("\"suppressions_lifted\":1"), "\(summary)")
        let after = try list(state)
        #expect(!after.contains("s@example.net") && after.contains("h@example.net,userunknown,2026-11-23T11:00:00Z,,0,0"), "\(after)")
        // --activity-lifts none keeps a soft suppression.
        #expect(try track(state, log, Self.bounce("13:00", "s@example.net", soft: true) + Self.bounce("14:00", "s@example.net", soft: true)).status == 0)
        #expect(try run(["activity", "--state", state.path, "--activity-lifts", "none", "--at", "2026-11-23T15:00:00Z", "s@example.net"]).stdout.isEmpty)
        #expect(try list(state).contains("s@example.net,mailboxfull"))
        // reset: c's count is zeroed, no delta; its next bounce is its first.
        let r = try run(["reset", "--state", state.path, "c@example.net"])
        #expect(r.status == 0 && r.stdout.isEmpty, "\(r.stdout)")
        let next = try track(state, log, Self.bounce("16:00", "c@example.net"))
        #expect(!next.stdout.contains("c@example.net"), "\(next.stdout)")
    }

    @Test func activityEventsAmongOutcomeEventsAndBesideARunningFollow() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("mail.log")
        try (Self.bounce("10:00", "a@example.net") + Self.bounce("12:00", "a@example.net")).write(to: log, atomically: true, encoding: .utf8)
        let scanned = try run(["scan", "--timezone", "UTC", "--year", "2026", log.path]).stdout.split(separator: "\n").map(String.init)
        #expect(scanned.count == 2)
        // The application's open at 11:00 between the two bounces, in the same stream.
        let events = [scanned[0], #"{"type":"activity","recipient":"a@example.net","time":"2026-11-23T11:00:00Z"}"#, scanned[1]].joined(separator: "\n") + "\n"
        let t = try run(["track", "--events", "--state", dir.appendingPathComponent("ev").path] + policy + ["-"], stdin: Data(events.utf8))
        #expect(t.status == 0 && t.stdout.isEmpty, "one bounce since the activity: \(t.stdout) \(t.stderr)")
        let without = try run(["track", "--events", "--state", dir.appendingPathComponent("ev2").path] + policy + ["-"],
                              stdin: Data((scanned.joined(separator: "\n") + "\n").utf8))
        #expect(without.stdout.contains("\"action\":\"suppress\""), "\(without.stdout)")
        // Beside a running follow, the activity is queued and applied by it.
        let h = try FollowHarness()
        h.options = policy
        try h.appendText(Self.bounce("10:00", "u@example.net"), to: h.log)
        try h.start()
        _ = waitUntil(seconds: 5) { (try? stateRows(h.dir.appendingPathComponent("st"), "SELECT hard FROM recipients WHERE address = 'u@example.net'")) == ["1"] }
        let queued = try run(["activity", "--state", h.dir.appendingPathComponent("st").path, "--at", "2026-11-23T11:00:00Z", "u@example.net"])
        #expect(queued.status == 0, "\(queued.stderr)")
        try h.appendText(Self.bounce("12:00", "u@example.net"), to: h.log)
        _ = waitUntil(seconds: 5) { (try? stateRows(h.dir.appendingPathComponent("st"), "SELECT hard FROM recipients WHERE address = 'u@example.net'")) == ["1"] }
        // reset beside it too: queued and applied.
        let reset = try run(["reset", "--state", h.dir.appendingPathComponent("st").path, "u@example.net"])
        #expect(reset.status == 0, "\(reset.stderr)")
        #expect(waitUntil(seconds: 5) { (try? stateRows(h.dir.appendingPathComponent("st"), "SELECT COUNT(*) FROM recipients WHERE address = 'u@example.net'")) == ["0"] })
        h.stop()
        #expect(try stateRows(h.dir.appendingPathComponent("st"), "SELECT action, done FROM commands ORDER BY id") == ["activity|1", "reset|1"])
    }

    /// follow --events: an events file an application appends to (outcomes from scan, activity) is followed.
    @Test func followReadsAnEventsFileWithActivity() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("mail.log")
        try (Self.bounce("10:00", "a@example.net") + Self.bounce("12:00", "a@example.net") + Self.bounce("13:00", "a@example.net")).write(to: log, atomically: true, encoding: .utf8)
        let scanned = try run(["scan", "--timezone", "UTC", "--year", "2026", log.path]).stdout.split(separator: "\n").map(String.init)
        let h = try FollowHarness()
        h.options = policy + ["--events"]
        try h.appendText(scanned[0] + "\n" + #"{"type":"activity","recipient":"a@example.net","time":"2026-11-23T11:00:00Z"}"# + "\n" + scanned[1] + "\n", to: h.log)
        try h.start()
        let st = h.dir.appendingPathComponent("st")
        // One bounce since the activity: counting 1, not suppressed.
        #expect(waitUntil(seconds: 5) { (try? stateRows(st, "SELECT hard, suppressed FROM recipients WHERE address = 'a@example.net'")) == ["1|0"] })
        try h.appendText(scanned[2] + "\n", to: h.log)
        #expect(waitUntil(seconds: 5) { (try? stateRows(st, "SELECT hard, suppressed FROM recipients WHERE address = 'a@example.net'")) == ["2|1"] })
        h.stop()
    }

    @Test func aVersion2StateIsMigratedByTheNextWriter() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let state = dir.appendingPathComponent("st")
        #expect(try run(["suppress", "--state", state.path, "x@example.net"]).status == 0)
        // As the previous version left it: the queue's actions limited, user_version 2.
        try stateExecute(state, """
            CREATE TABLE c2 (id INTEGER PRIMARY KEY, action TEXT NOT NULL CHECK (action IN ('suppress', 'unsuppress')), address TEXT NOT NULL, reason TEXT, time INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0, seq INTEGER, note TEXT);
            INSERT INTO c2 SELECT * FROM commands; DROP TABLE commands; ALTER TABLE c2 RENAME TO commands; PRAGMA user_version = 2;
            """)
        #expect(try run(["list", "--state", state.path]).stdout.contains("x@example.net"), "a reader reads version 2 as it is")
        #expect(try run(["reset", "--state", state.path, "x@example.net"]).status == 0)
        #expect(try stateRows(state, "PRAGMA user_version") == ["4"])
        #expect(try stateRows(state, "SELECT count(*) FROM journals") == ["0"], "the journal table added on the way")
        try stateExecute(state, "INSERT INTO commands (action, address, time) VALUES ('activity', 'x@example.net', 0)")
        #expect(try run(["list", "--state", state.path]).stdout.contains("x@example.net"))
    }
}
