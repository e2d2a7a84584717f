import Foundation
import Testing
import BounceTailIO
import BounceTailTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Why the journal tests cannot run here, if they cannot: a build without libsystemd, or no
/// systemd-journal-remote to write journal files with.
let journalUnavailable: String? = {
    if !JournalReader.available { return "this build has no journal support (libsystemd-dev missing)" }
    if JournalExport.remoteTool == nil { return "systemd-journal-remote is not installed" }
    return nil
}()

/// The systemd journal as an input, on real journal files written by systemd-journal-remote (no journald).
@Suite(.serialized, .enabled(if: journalUnavailable == nil, Comment(rawValue: journalUnavailable ?? "")))
struct JournalTests {
    let policy = ["--commit-every", "20000", "--suppress-for", "3d"]

    /// The synthetic log's lines (JournalExport turns them into entries).
    func lines(_ count: Int, seed: UInt64 = 7) -> [String] {
        syntheticLog(lines: count, seed: seed).split(separator: "\n").map(String.init)
    }

    /// Deltas with the input's name taken out (a file's path, the journal's description), the rest compared whole.
    func withoutFile(_ deltas: String) -> String {
        deltas.replacingOccurrences(of: #""file":"[^"]*""#, with: #""file":"-""#, options: .regularExpression)
    }

    /// `track` over `lines` written as a log file: what the journal must give.
    func reference(_ lines: [String], in dir: URL, options: [String]? = nil) throws -> String {
        try (lines.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("ref.log"), atomically: true, encoding: .utf8)
        let (status, err) = try runWithEnvironment(
            ["track", "--state", "ref-st", "--deltas", "ref.jsonl", "--year", "2026", "--timezone", "UTC"] + (options ?? policy) + ["ref.log"],
            env: [:], in: dir)
        #expect(status == 0, "\(err)")
        return withoutFile(try String(contentsOf: dir.appendingPathComponent("ref.jsonl"), encoding: .utf8))
    }

    /// nil when the two are equal, else where they first differ (a short message, not two whole files).
    func difference(_ got: String, _ expected: String) -> String? {
        let g = got.split(separator: "\n")
        let e = expected.split(separator: "\n")
        guard let i = (0..<min(g.count, e.count)).first(where: { g[$0] != e[$0] }) ?? (g.count == e.count ? nil : min(g.count, e.count)) else { return nil }
        return "\(g.count) deltas, expected \(e.count); first difference at \(i + 1): got \(i < g.count ? String(g[i]) : "nothing"), expected \(i < e.count ? String(e[i]) : "nothing")"
    }

    func expectSame(_ got: String, _ expected: String, _ note: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
        let d = difference(got, expected)
        #expect(d == nil, "\(note) \(d ?? "")", sourceLocation: sourceLocation)
    }

    func deltas(_ name: String, in dir: URL) throws -> String {
        withoutFile((try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)) ?? "")
    }

    @Test func trackOverAJournalFileEqualsTrackOverTheSameLinesAsAFile() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let all = lines(4000)
        let expected = try reference(all, in: dir)
        #expect(expected.split(separator: "\n").count > 30)
        try JournalExport.write(syslogLines: all, to: dir.appendingPathComponent("mail.journal").path)
        let (status, err) = try runWithEnvironment(
            ["track", "--state", "st", "--deltas", "d.jsonl", "--journal-file", "mail.journal"] + policy, env: [:], in: dir)
        #expect(status == 0, "\(err)")
        #expect(err.isEmpty, "\(err)")
        expectSame(try deltas("d.jsonl", in: dir), expected)
        // Run again: the cursor is where the state left off, nothing is read twice.
        let (again, err2) = try runWithEnvironment(
            ["track", "--state", "st", "--deltas", "d.jsonl", "--journal-file", "mail.journal"] + policy, env: [:], in: dir)
        #expect(again == 0, "\(err2)")
        expectSame(try deltas("d.jsonl", in: dir), expected)
        #expect(try stateRows(dir.appendingPathComponent("st"), "SELECT count(*) FROM journals WHERE cursor LIKE 's=%'") == ["1"])
    }

    @Test func scanAndReportReadTheJournalAsTheyReadTheFile() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let all = lines(600)
        try (all.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("mail.log"), atomically: true, encoding: .utf8)
        try JournalExport.write(syslogLines: all, to: dir.appendingPathComponent("mail.journal").path)
        let file = try runWithEnvironmentCapturing(["scan", "--year", "2026", "--timezone", "UTC", "mail.log"], in: dir)
        let journal = try runWithEnvironmentCapturing(["scan", "--journal-file", "mail.journal"], in: dir)
        #expect(journal.status == 0, "\(journal.stderr)")
        #expect(file.stdout.split(separator: "\n").count > 300)
        #expect(withoutFile(journal.stdout) == withoutFile(file.stdout))
        let r1 = try runWithEnvironmentCapturing(["report", "--json", "--year", "2026", "--timezone", "UTC", "mail.log"], in: dir)
        let r2 = try runWithEnvironmentCapturing(["report", "--json", "--journal-file", "mail.journal"], in: dir)
        #expect(r2.status == 0, "\(r2.stderr)")
        #expect(r1.stdout == r2.stdout)
        let text = try runWithEnvironmentCapturing(["report", "--journal-file", "mail.journal"], in: dir)
        #expect(text.stdout.hasPrefix("bouncetail report: journal file \(dir.path)/mail.journal, 2026-11-01T"), "\(text.stdout)")
    }

    @Test func entriesAddedLaterAreReadByTheNextRunOnly() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let all = lines(3000)
        let expected = try reference(all, in: dir)
        let journal = dir.appendingPathComponent("mail.journal").path
        let args = ["track", "--state", "st", "--deltas", "d.jsonl", "--journal-file", "mail.journal"] + policy
        for part in [all[..<1000], all[1000..<1001], all[1001...]] {
            try JournalExport.write(syslogLines: Array(part), to: journal)
            let (status, err) = try runWithEnvironment(args, env: [:], in: dir)
            #expect(status == 0, "\(err)")
        }
        expectSame(try deltas("d.jsonl", in: dir), expected)
    }

    @Test(arguments: ["before-commit", "state-written", "state-committed", "deltas-partial", "deltas-appended"])
    func aKillAtAnyWriteStepNeitherLosesNorRepeatsADelta(point: String) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let all = lines(4000)
        let expected = try reference(all, in: dir)
        try JournalExport.write(syslogLines: all, to: dir.appendingPathComponent("mail.journal").path)
        for hit in [1, 3] {
            let args = ["track", "--state", "st-\(hit)", "--deltas", "d-\(hit).jsonl", "--journal-file", "mail.journal"] + policy
            let (crashed, _) = try runWithEnvironment(args, env: ["BOUNCETAIL_FAILPOINT": "\(point):\(hit)"], in: dir)
            #expect(crashed == -9, "\(point):\(hit) did not fire")
            let (status, err) = try runWithEnvironment(args, env: [:], in: dir)
            #expect(status == 0, "\(err)")
            expectSame(try deltas("d-\(hit).jsonl", in: dir), expected, "\(point):\(hit)")
        }
    }

    @Test func aVacuumedCursorIsReportedWithTheTimeMissingAndReadingGoesOnAfterIt() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let all = lines(2000)
        let journalDir = dir.appendingPathComponent("journal")
        try FileManager.default.createDirectory(at: journalDir, withIntermediateDirectories: true)
        let first = journalDir.appendingPathComponent("a.journal").path
        try JournalExport.write(syslogLines: Array(all[..<1000]), to: first)
        let args = ["track", "--state", "st", "--deltas", "d.jsonl", "--journal-dir", "journal"] + policy
        let (s1, e1) = try runWithEnvironment(args, env: [:], in: dir)
        #expect(s1 == 0, "\(e1)")
        // The file read is vacuumed away; a later one holds entries from an hour after the last one read on.
        try FileManager.default.removeItem(atPath: first)
        let last = try #require(JournalExport.Entry(syslogLine: all[999]))
        var later = all[1000...].compactMap { JournalExport.Entry(syslogLine: $0) }
        for i in later.indices { later[i].realtimeMicros = max(later[i].realtimeMicros, last.realtimeMicros + 3_600_000_000) }
        try JournalExport.write(later, to: journalDir.appendingPathComponent("b.journal").path)
        let (s2, e2) = try runWithEnvironment(args, env: [:], in: dir)
        #expect(s2 == 0, "\(e2)")
        #expect(e2.contains("is no longer in the journal"), "\(e2)")
        #expect(e2.contains("60 min later"), "\(e2)")
        // Everything after the gap was read, once.
        let read = try stateRows(dir.appendingPathComponent("st"), "SELECT entries FROM journals")
        #expect(read == ["2000"])
        let (s3, e3) = try runWithEnvironment(args, env: [:], in: dir)
        #expect(s3 == 0 && e3.isEmpty, "\(e3)")
        let again = try stateRows(dir.appendingPathComponent("st"), "SELECT entries FROM journals")
        #expect(again == ["2000"])
    }

    @Test func followReadsEntriesAsTheyComeThroughAKillAndARotation() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let all = lines(3000)
        let expected = try reference(all, in: dir)
        let journalDir = dir.appendingPathComponent("journal")
        try FileManager.default.createDirectory(at: journalDir, withIntermediateDirectories: true)
        try JournalExport.write(syslogLines: Array(all[..<1000]), to: journalDir.appendingPathComponent("a.journal").path)
        // stderr of every follower into one file (a killed one leaves no pipe to drain).
        let errPath = dir.appendingPathComponent("follow.err")
        _ = FileManager.default.createFile(atPath: errPath.path, contents: nil)
        func start() throws -> Process {
            let p = Process()
            p.executableURL = binary
            p.arguments = ["follow", "--state", "st", "--deltas", "d.jsonl", "--journal-dir", "journal", "--quiet", "--suppress-for", "3d"]
            p.currentDirectoryURL = dir
            let err = try FileHandle(forWritingTo: errPath)
            try err.seekToEnd()
            p.standardError = err
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            try err.close()
            return p
        }
        var p = try start()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: true)
        func got() -> [Substring] { ((try? deltas("d.jsonl", in: dir)) ?? "").split(separator: "\n") }
        // The first part is read at start; entries appended to the live file, then a file rotated in, follow.
        let firstDeltas = try reference(Array(all[..<1000]), in: try temporaryDirectory()).split(separator: "\n").count
        #expect(waitUntil(seconds: 10) { got().count >= firstDeltas })
        try JournalExport.write(syslogLines: Array(all[1000..<2000]), to: journalDir.appendingPathComponent("a.journal").path)
        // Killed while it reads them (no goodbye) and started again: nothing lost, nothing repeated.
        usleep(UInt32.random(in: 0..<200_000))
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        p = try start()
        // Rotated as journald rotates: the live file renamed to an archive name, a new live file under the old name.
        #expect(waitUntil(seconds: 10) { got().count >= expectedLines.count / 2 })
        try FileManager.default.moveItem(at: journalDir.appendingPathComponent("a.journal"),
                                         to: journalDir.appendingPathComponent("a@0000000000000001-0000000000000001.journal"))
        try JournalExport.write(syslogLines: Array(all[2000..<2500]), to: journalDir.appendingPathComponent("a.journal").path)
        try JournalExport.write(syslogLines: Array(all[2500...]), to: journalDir.appendingPathComponent("b.journal").path)
        #expect(waitUntil(seconds: 10) { got().count >= expectedLines.count })
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        let e = (try? String(contentsOf: errPath, encoding: .utf8)) ?? ""
        #expect(p.terminationStatus == 0, "\(e)")
        expectSame(got().joined(separator: "\n"), expected)
    }

    @Test func identifiersAndUnitsChooseTheEntries() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bounce = "4ZbLw53kYzz9sXQ: to=<a@example.net>, relay=mx[192.0.2.1]:25, delay=1, dsn=5.1.1, status=bounced (host mx[192.0.2.1] said: 550 5.1.1 User unknown)"
        let t: UInt64 = 1_790_000_000_000_000
        let entries = [
            JournalExport.Entry(realtimeMicros: t, host: "mx", identifier: "postfix/smtp", pid: "10", message: bounce, unit: "postfix@-.service"),
            JournalExport.Entry(realtimeMicros: t + 1, host: "mx", identifier: "postfix-out/smtp", pid: "11", message: bounce.replacingOccurrences(of: "a@", with: "b@"), unit: "postfix@out.service"),
            // Not a mail program: passed over by default even with a Postfix-looking message.
            JournalExport.Entry(realtimeMicros: t + 2, host: "mx", identifier: "cron", pid: "12", message: bounce.replacingOccurrences(of: "a@", with: "c@"), unit: "cron.service"),
        ]
        try JournalExport.write(entries, to: dir.appendingPathComponent("m.journal").path)
        func recipients(_ extra: [String]) throws -> [String] {
            let r = try runWithEnvironmentCapturing(["scan", "--journal-file", "m.journal"] + extra, in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            return r.stdout.matches(of: /"recipient":"([^"]+)"/).map { String($0.1) }
        }
        #expect(try recipients([]) == ["a@example.net", "b@example.net"])
        #expect(try recipients(["--identifier", "postfix/*"]) == ["a@example.net"])
        #expect(try recipients(["--identifier", "postfix-out/*", "--identifier", "nothing"]) == ["b@example.net"])
        #expect(try recipients(["--unit", "postfix@out"]) == ["b@example.net"])
        // The line carries the entry's host, identifier and PID as syslog would have written them.
        let r = try runWithEnvironmentCapturing(["scan", "--journal-file", "m.journal"], in: dir)
        #expect(r.stdout.contains(#""host":"mx""#))
        #expect(r.stdout.contains(#""time":"2026-09-21T14:13:20Z""#))
    }

    @Test func eachEntryIsOneLineWhateverItsMessageHolds() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t: UInt64 = 1_790_000_000_250_000
        func bounce(_ r: String, _ text: String) -> String {
            "4ZbLw53kYzz9sXQ: to=<\(r)@example.net>, relay=mx[192.0.2.1]:25, delay=1, dsn=5.1.1, status=bounced (host mx[192.0.2.1] said: 550 5.1.1 \(text) (in reply to RCPT TO command))"
        }
        let long = String(repeating: "The mailbox does not exist here. ", count: 80)
        let entries = [
            // Line breaks inside a message (a multi-line reply logged as it came).
            JournalExport.Entry(realtimeMicros: t, host: "mx", identifier: "postfix/smtp", pid: "10", message: bounce("a", "User unknown\nsee https://help.example/5.1.1")),
            // No host name recorded.
            JournalExport.Entry(realtimeMicros: t + 1, host: "", identifier: "postfix/smtp", pid: "11", message: bounce("b", "User unknown")),
            // Long enough for the journal to store it compressed.
            JournalExport.Entry(realtimeMicros: t + 2, host: "mx", identifier: "postfix/smtp", pid: nil, message: bounce("c", long)),
        ]
        try JournalExport.write(entries, to: dir.appendingPathComponent("m.journal").path)
        let r = try runWithEnvironmentCapturing(["scan", "--journal-file", "m.journal"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let outcomes = r.stdout.split(separator: "\n")
        #expect(outcomes.count == 3, "\(r.stdout)")
        #expect(outcomes.first?.contains(#"User unknown see https://help.example/5.1.1"#) == true, "\(r.stdout)")
        #expect(outcomes.first?.contains(#""time":"2026-09-21T14:13:20.250000Z""#) == true)
        #expect(r.stdout.contains(#""host":"localhost""#), "\(r.stdout)")
        #expect(outcomes.last?.contains(long.trimmingCharacters(in: .whitespaces)) == true, "the compressed message read whole")
        // A message longer than the longest line read is skipped with a warning naming the entry's time.
        let short = try runWithEnvironmentCapturing(["scan", "--journal-file", "m.journal", "--max-line-bytes", "1024"], in: dir)
        #expect(short.status == 0)
        #expect(short.stdout.split(separator: "\n").count == 2)
        #expect(short.stderr.contains("entry at 2026-09-21T14:13:20Z: message longer than 1024 bytes skipped"), "\(short.stderr)")
    }

    @Test func aJournalThatIsNotThereIsAnErrorNotAnEmptyRun() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("empty"), withIntermediateDirectories: true)
        let missing = try runWithEnvironmentCapturing(["track", "--state", "st", "--journal-file", "nope.journal"], in: dir)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("journal file \(dir.path)/nope.journal: cannot open: no such file"), "\(missing.stderr)")
        // A log file named as a journal file, and a journal file cut short.
        try "Nov  2 23:58:01 mx1 postfix/smtpd[2101]: connect from unknown[192.0.2.1]\n".write(
            to: dir.appendingPathComponent("mail.log"), atomically: true, encoding: .utf8)
        let text = try runWithEnvironmentCapturing(["scan", "--journal-file", "mail.log"], in: dir)
        #expect(text.status == 1)
        #expect(text.stderr.contains("journal file \(dir.path)/mail.log: cannot open: ") && text.stderr.contains("not a journal file"),
                "\(text.stderr)")
        try JournalExport.write(syslogLines: lines(2000), to: dir.appendingPathComponent("whole.journal").path)
        let whole = try Data(contentsOf: dir.appendingPathComponent("whole.journal"))
        try whole.prefix(whole.count / 3).write(to: dir.appendingPathComponent("cut.journal"))
        let cut = try runWithEnvironmentCapturing(["scan", "--journal-file", "cut.journal"], in: dir)
        #expect(cut.status == 1)
        #expect(cut.stderr.contains("cut.journal: cannot open: a truncated journal file"), "\(cut.stderr)")
        let empty = try runWithEnvironmentCapturing(["scan", "--journal-dir", "empty"], in: dir)
        #expect(empty.status == 1)
        #expect(empty.stderr.contains("no journal files (*.journal) in it"), "\(empty.stderr)")
        let both = try runWithEnvironmentCapturing(["follow", "--state", "st", "--journal-dir", "empty", "mail.log"], in: dir)
        #expect(both.status != 0)
        #expect(both.stderr.contains("either log files or a journal"))
        let stray = try runWithEnvironmentCapturing(["scan", "--unit", "postfix", "mail.log"], in: dir)
        #expect(stray.stderr.contains("--unit and --identifier choose journal entries"))
        // This host's journal: an error when it has none, read (and exit 0) when it has one.
        let hasJournal = ["/run/log/journal", "/var/log/journal"].contains { d in
            (FileManager.default.enumerator(atPath: d)?.allObjects as? [String] ?? []).contains { $0.hasSuffix(".journal") }
        }
        if !hasJournal {
            let none = try runWithEnvironmentCapturing(["scan", "--journal"], in: dir)
            #expect(none.status == 1)
            #expect(none.stderr.contains("this host has none"), "\(none.stderr)")
        }
    }
}

/// Runs the binary in `dir`; status, stdout and stderr.
func runWithEnvironmentCapturing(_ args: [String], env: [String: String] = [:], in dir: URL) throws -> Run {
    let p = Process()
    p.executableURL = binary
    p.arguments = args
    p.currentDirectoryURL = dir
    p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
    let out = Pipe()
    // stderr into a file: a full stderr pipe must not stall stdout.
    let errPath = dir.appendingPathComponent(".stderr-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: errPath.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: errPath) }
    let err = try FileHandle(forWritingTo: errPath)
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    try err.close()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    let e = (try? Data(contentsOf: errPath)) ?? Data()
    return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}
