import Foundation
import Testing
import BounceTailTestSupport

/// A deterministic log with many suppressions and lifts: 40 recipients, bounces, deferrals and deliveries.
func syntheticLog(lines count: Int, seed: UInt64 = 7) -> String {
    var x = seed
    func next() -> UInt64 {
        x = x &* 6364136223846793005 &+ 1442695040888963407
        return x >> 33
    }
    var out = ""
    for i in 0..<count {
        let day = 1 + i * 25 / count
        let sec = i % 86400
        let stamp = String(format: "Nov %2d %02d:%02d:%02d", day, sec / 3600 % 24, sec / 60 % 60, sec % 60)
        let r = "user\(next() % 40)@example.net"
        let q = String(format: "Q%07X", next() % 200)
        switch next() % 5 {
        case 0, 1:
            out += "\(stamp) mx postfix/smtp[1]: \(q): to=<\(r)>, relay=mx[192.0.2.1]:25, delay=1, dsn=5.1.1, status=bounced (host mx[192.0.2.1] said: 550 5.1.1 User unknown)\n"
        case 2:
            out += "\(stamp) mx postfix/smtp[1]: \(q): to=<\(r)>, relay=mx[192.0.2.1]:25, delay=1, dsn=4.2.2, status=deferred (host mx[192.0.2.1] said: 452 4.2.2 Mailbox full)\n"
        case 3:
            out += "\(stamp) mx postfix/smtp[1]: \(q): to=<\(r)>, relay=mx[192.0.2.1]:25, delay=1, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n"
        default:
            out += "\(stamp) mx postfix/smtpd[2]: connect from unknown[192.0.2.\(next() % 255)]\n"
        }
    }
    return out
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("bouncetail-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Runs the binary with extra environment; returns the status (negative: killed by that signal).
func runWithEnvironment(_ args: [String], env: [String: String], in dir: URL, executable: String? = nil) throws
    -> (Int32, String)
{
    let p = Process()
    p.executableURL = executable.map { URL(fileURLWithPath: $0) } ?? binary
    p.arguments = args
    p.currentDirectoryURL = dir
    p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
    let err = Pipe()
    p.standardError = err
    p.standardOutput = FileHandle.nullDevice
    try p.run()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    let status = p.terminationReason == .uncaughtSignal ? -p.terminationStatus : p.terminationStatus
    return (status, String(decoding: e, as: UTF8.self))
}

@Suite(.serialized) struct TrackCommandTests {
    let common = ["--year", "2026", "--timezone", "UTC", "--commit-every", "20000", "--suppress-for", "3d"]

    private func reference(_ dir: URL, _ options: [String]? = nil) throws -> String {
        let (status, err) = try runWithEnvironment(
            ["track", "--state", "ref-state", "--deltas", "ref.jsonl"] + (options ?? common) + ["mail.log"], env: [:], in: dir)
        #expect(status == 0, "\(err)")
        return try String(contentsOf: dir.appendingPathComponent("ref.jsonl"), encoding: .utf8)
    }

    @Test(arguments: ["before-commit", "state-written", "state-committed", "deltas-partial", "deltas-appended"])
    func aCrashAtAnyWriteStepLeavesTheDeltasFileAsAnUninterruptedRunWould(point: String) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try syntheticLog(lines: 4000).write(to: dir.appendingPathComponent("mail.log"), atomically: true, encoding: .utf8)
        let expected = try reference(dir)
        #expect(expected.split(separator: "\n").count > 30)
        for hit in [1, 3, 7] {
            let state = "st-\(hit)"
            let deltas = "d-\(hit).jsonl"
            let args = ["track", "--state", state, "--deltas", deltas] + common + ["mail.log"]
            let (crashed, _) = try runWithEnvironment(args, env: ["BOUNCETAIL_FAILPOINT": "\(point):\(hit)"], in: dir)
            #expect(crashed == -9, "\(point):\(hit) did not fire")
            let (status, err) = try runWithEnvironment(args, env: [:], in: dir)
            #expect(status == 0, "\(err)")
            let got = try String(contentsOf: dir.appendingPathComponent(deltas), encoding: .utf8)
            #expect(got == expected, "\(point):\(hit)")
        }
    }

    /// A commit that falls due once an input is read to its end (here after the first half of a gzip file,
    /// whose compressed bytes were all read at once) waits for the end of the run: the state is saved once, not
    /// twice in a row; a commit due earlier in an input is still made then.
    @Test func aCommitDueWhenTheInputIsAllReadWaitsForTheRunsEnd() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = syntheticLog(lines: 8000)
        try log.write(to: dir.appendingPathComponent("mail.log"), atomically: true, encoding: .utf8)
        let (zipped, _) = try runWithEnvironment(["-c", "gzip -c mail.log > mail.log.gz"], env: [:], in: dir, executable: "/bin/sh")
        #expect(zipped == 0)
        var options = common
        options[5] = String(log.utf8.count / 2)
        let expected = try reference(dir, options)
        for (input, commits) in [("mail.log.gz", 1), ("mail.log", 2)] {
            let args = ["track", "--state", "st-\(input)", "--deltas", "d-\(input).jsonl"] + options + [input]
            // The commit after the last one expected would be killed here.
            let (status, err) = try runWithEnvironment(args, env: ["BOUNCETAIL_FAILPOINT": "before-commit:\(commits + 1)"], in: dir)
            #expect(status == 0, "\(input): \(err)")
            let got = try String(contentsOf: dir.appendingPathComponent("d-\(input).jsonl"), encoding: .utf8)
            #expect(got.replacingOccurrences(of: "mail.log.gz", with: "mail.log") == expected, "\(input)")
            // Fewer commits than expected would not be killed at the last one.
            let again = ["track", "--state", "st2-\(input)", "--deltas", "d2-\(input).jsonl"] + options + [input]
            let (killed, _) = try runWithEnvironment(again, env: ["BOUNCETAIL_FAILPOINT": "before-commit:\(commits)"], in: dir)
            #expect(killed == -9, "\(input)")
        }
    }

    @Test func killsAtRandomMomentsNeitherLoseNorRepeatDeltas() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try syntheticLog(lines: 20000).write(to: dir.appendingPathComponent("mail.log"), atomically: true, encoding: .utf8)
        var options = common
        options[5] = "40000"
        let expected = try reference(dir, options)
        let args = ["track", "--state", "st", "--deltas", "d.jsonl"] + options + ["mail.log"]
        var rng = SystemRandomNumberGenerator()
        var kills = 0
        for _ in 0..<40 {
            let p = Process()
            p.executableURL = binary
            p.arguments = args
            p.currentDirectoryURL = dir
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32.random(in: 2_000...40_000, using: &rng))
            if p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                kills += 1
            }
            p.waitUntilExit()
            if p.terminationReason == .exit && p.terminationStatus == 0 { break }
        }
        let (status, err) = try runWithEnvironment(args, env: [:], in: dir)
        #expect(status == 0, "\(err)")
        let got = try String(contentsOf: dir.appendingPathComponent("d.jsonl"), encoding: .utf8)
        #expect(got == expected, "after \(kills) kills")
        #expect(kills > 0)
    }

    @Test func runsOnStdoutPrintEachDeltaOnceAndARunWithNothingNewPrintsNothing() throws {
        // On stdout deltas are "at least once" only across crashes: a run that ends normally must not leave
        // its deltas to be printed again by the next run.
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("mail.log")
        let all = syntheticLog(lines: 3000)
        let lines = all.split(separator: "\n").map(String.init)
        try (lines[0..<1500].joined(separator: "\n") + "\n").write(to: log, atomically: true, encoding: .utf8)
        let args = ["track", "--state", dir.appendingPathComponent("st").path] + common + [log.path]
        let first = try run(args)
        #expect(first.status == 0, "\(first.stderr)")
        let again = try run(args)
        #expect(again.status == 0 && again.stdout.isEmpty, "a run with nothing new printed: \(again.stdout.prefix(300))")
        let h = try FileHandle(forWritingTo: log)
        try h.seekToEnd()
        try h.write(contentsOf: Data((lines[1500...].joined(separator: "\n") + "\n").utf8))
        try h.close()
        let second = try run(args)
        let oneRun = try run(["track", "--state", dir.appendingPathComponent("st-one").path] + common + [log.path])
        #expect(first.stdout.split(separator: "\n").count > 5)
        #expect(first.stdout + second.stdout == oneRun.stdout)
    }

    @Test func aTruncatedArchiveTrackedAgainCountsItsLinesOnce() throws {
        // The lines before the damage are kept and committed with the position they reached, so a second run
        // (the archive still cut short) neither counts them again nor loses them.
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try syntheticLog(lines: 6000).write(to: dir.appendingPathComponent("mail.log"), atomically: true, encoding: .utf8)
        let cut = try run([], shell: "cd '\(dir.path)' && gzip -c mail.log > full.gz && head -c $(( $(stat -c %s full.gz) / 2 )) full.gz > cut.gz")
        #expect(cut.status == 0, "\(cut.stderr)")
        let state = dir.appendingPathComponent("st")
        let args = ["track", "--state", state.path, "--deltas", dir.appendingPathComponent("d.jsonl").path] + common
            + [dir.appendingPathComponent("cut.gz").path]
        let first = try run(args)
        #expect(first.status == 1 && first.stderr.contains("cut.gz: gzip data ends early"), "\(first.stderr)")
        func counters() throws -> [String] { try stateRows(state, "SELECT * FROM recipients ORDER BY address") }
        let afterFirst = try counters()
        let deltas = try String(contentsOf: dir.appendingPathComponent("d.jsonl"), encoding: .utf8)
        #expect(afterFirst.count > 5 && !deltas.isEmpty)
        let second = try run(args)
        #expect(second.status == 1)
        #expect(try counters() == afterFirst)
        #expect(try String(contentsOf: dir.appendingPathComponent("d.jsonl"), encoding: .utf8) == deltas)
    }

    @Test func aSecondProcessOnTheSameStateIsRefused() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("st"), withIntermediateDirectories: true)
        // The lock is the directory's own: no file inside can be deleted to get past it.
        let fd = open(dir.appendingPathComponent("st").path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        for command in [["track", "--state", "st", "/dev/null"], ["follow", "--state", "st", "mail.log"]] {
            let (status, err) = try runWithEnvironment(command, env: [:], in: dir)
            #expect(status == 1)
            #expect(err.contains("in use by another bouncetail process"), "\(err)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("st").path).isEmpty)
    }

    @Test func aCorruptStateDatabaseIsNamedAndLeftAlone() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try syntheticLog(lines: 3000).write(to: dir.appendingPathComponent("mail.log"), atomically: true, encoding: .utf8)
        let (made, madeErr) = try runWithEnvironment(["track", "--state", "good"] + common + ["mail.log"], env: [:], in: dir)
        #expect(made == 0, "\(madeErr)")
        // Everything in the database file itself (a writer leaves its last commits in the WAL).
        try stateExecute(dir.appendingPathComponent("good"), "PRAGMA wal_checkpoint(TRUNCATE)")
        let good = try Data(contentsOf: dir.appendingPathComponent("good/state.db"))
        #expect(good.count > 8192)
        // Cut short, its header overwritten, and pages of it overwritten with garbage.
        var damaged: [(String, Data)] = [("cut", good.prefix(good.count / 3)), ("header", Data(repeating: 0x41, count: 100) + good.dropFirst(100))]
        var garbage = good
        for page in stride(from: 4096, to: good.count, by: 4096) { garbage.replaceSubrange(page + 100..<page + 400, with: Data(repeating: 0xff, count: 300)) }
        damaged.append(("pages", garbage))
        for (name, bytes) in damaged {
            let state = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
            try bytes.write(to: state.appendingPathComponent("state.db"))
            for command in [["track", "--state", name] + common + ["mail.log"], ["list", "--state", name], ["check", "--state", name]] {
                let (status, err) = try runWithEnvironment(command, env: [:], in: dir)
                #expect(status == 1, "\(name) \(command[0]): \(err)")
                #expect(err.contains("\(name)/state.db") && (err.contains("corrupt") || err.contains("not a bouncetail state")),
                        "\(name) \(command[0]): \(err)")
            }
            #expect(try Data(contentsOf: state.appendingPathComponent("state.db")) == bytes, "\(name)")
        }
    }

    /// Random damage anywhere in the database file: every command reads it or names it (exit 0 or 1), never
    /// crashes, and never writes over a state it could not read.
    @Test func randomDamageToTheStateIsReadOrNamedNeverACrash() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try syntheticLog(lines: 800).write(to: dir.appendingPathComponent("mail.log"), atomically: true, encoding: .utf8)
        let (made, madeErr) = try runWithEnvironment(["track", "--state", "good"] + common + ["mail.log"], env: [:], in: dir)
        #expect(made == 0, "\(madeErr)")
        try stateExecute(dir.appendingPathComponent("good"), "PRAGMA wal_checkpoint(TRUNCATE)")
        let good = try Data(contentsOf: dir.appendingPathComponent("good/state.db"))
        var rng = SplitMix64(state: 20261202)
        for round in 0..<16 {
            var bytes = [UInt8](good)
            for _ in 0..<(1 + Int(rng.next() % 16)) {
                bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            let name = "fuzz\(round)"
            let state = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
            try Data(bytes).write(to: state.appendingPathComponent("state.db"))
            for command in [["list", "--state", name], ["check", "--state", name], ["track", "--state", name] + common + ["mail.log"]] {
                let (status, err) = try runWithEnvironment(command, env: [:], in: dir)
                #expect(status == 0 || status == 1, "\(name) \(command[0]): status \(status): \(err)")
                if status == 1 { #expect(err.contains("\(name)/state.db"), "\(name) \(command[0]): \(err)") }
                if command[0] == "track", status == 1 {
                    #expect(try Data(contentsOf: state.appendingPathComponent("state.db")) == Data(bytes), "\(name): written over")
                }
            }
        }
    }

    /// Values a state can hold but bouncetail never writes (edited by hand, damaged): each named, exit 1.
    @Test func outOfRangeValuesInTheStateAreReportedNotTrusted() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = "Nov 23 10:00:00 mx1 postfix/smtp[1]: 4ABCDEF123: to=<a@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.1] said: 550 5.1.1 User unknown (in reply to RCPT TO command))\n"
        for (name, sql, says) in [
            ("hard", "UPDATE recipients SET hard = -5", "hard -5 is not a counter"),
            ("soft", "UPDATE recipients SET soft = 9223372036854775807", "is not a counter"),
            ("time", "UPDATE recipients SET last_bounce = '10000-01-01T00:00:00Z'", "is not an RFC 3339 time"),
            ("offset", "UPDATE inputs SET offset = -1", "out of range"),
            ("seq", "UPDATE meta SET value = -3 WHERE name = 'last_seq'", "negative"),
        ] {
            let file = dir.appendingPathComponent("\(name).log")
            try log.write(to: file, atomically: true, encoding: .utf8)
            let args = ["track", "--state", name, "--deltas", "\(name).jsonl"] + common + [file.lastPathComponent]
            let (status, err) = try runWithEnvironment(args, env: [:], in: dir)
            #expect(status == 0, "\(err)")
            try stateExecute(dir.appendingPathComponent(name), sql)
            let dump = "SELECT 'r', * FROM recipients UNION ALL SELECT 'i', id, offset, line, run, 0, 0, 0, 0, 0, 0, 0, 0, 0 FROM inputs UNION ALL SELECT 'm', name, value, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 FROM meta"
            let before = try stateRows(dir.appendingPathComponent(name), dump)
            // The same address bounces again: its stored record is read, found wrong, and nothing is committed.
            try (log + log.replacingOccurrences(of: "10:00:00", with: "11:00:00")).write(to: file, atomically: true, encoding: .utf8)
            let (again, err2) = try runWithEnvironment(args, env: [:], in: dir)
            #expect(again == 1 && err2.contains("\(name)/state.db") && err2.contains(says), "\(name): \(err2)")
            #expect(try stateRows(dir.appendingPathComponent(name), dump) == before, "\(name)")
            let (checked, err3) = try runWithEnvironment(["check", "--state", name], env: [:], in: dir)
            #expect(checked == 1 && err3.contains(says), "\(name): \(err3)")
        }
    }

    @Test func aFullDiskStopsWithAnErrorAndTheNextRunCatchesUp() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try syntheticLog(lines: 3000).write(to: dir.appendingPathComponent("mail.log"), atomically: true, encoding: .utf8)
        let expected = try reference(dir)
        // A file size limit makes writes past 60 KiB fail as on a full disk (SIGXFSZ ignored: write says EFBIG).
        let limited = try run([], shell: "cd '\(dir.path)' && trap '' XFSZ && ulimit -f 60 && \"$BT\" track --state st --deltas d.jsonl \(common.joined(separator: " ")) mail.log")
        #expect(limited.status == 1, "\(limited.stderr)")
        #expect(limited.stderr.contains("st/state.db") || limited.stderr.contains("d.jsonl"), "\(limited.stderr)")
        let (again, err2) = try runWithEnvironment(
            ["track", "--state", "st", "--deltas", "d.jsonl"] + common + ["mail.log"], env: [:], in: dir)
        #expect(again == 0, "\(err2)")
        let got = try String(contentsOf: dir.appendingPathComponent("d.jsonl"), encoding: .utf8)
        #expect(got == expected)
    }

    @Test func scanThenTrackEventsGivesTheSameDeltasAsTrackingTheLog() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try syntheticLog(lines: 3000).write(to: dir.appendingPathComponent("mail.log"), atomically: true, encoding: .utf8)
        let expected = try reference(dir)
        let r = try run([], shell: "cd '\(dir.path)' && \"$BT\" scan --year 2026 --timezone UTC mail.log > events.jsonl && \"$BT\" track --state ev --deltas ev.jsonl --events --suppress-for 3d events.jsonl")
        #expect(r.status == 0, "\(r.stderr)")
        let got = try String(contentsOf: dir.appendingPathComponent("ev.jsonl"), encoding: .utf8)
        #expect(got == expected)
    }
}

@Suite struct InFlightAcrossRunsTests {
    /// A message deferred in one run and expired by qmgr in the next: the in-flight table saved in the state
    /// maps the expiry to its recipient, whose pair then ends (nothing of the message is left in the state).
    @Test func aDeferralInOneRunIsExpiredInTheNext() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("mail.log")
        let state = dir.appendingPathComponent("st")
        let deferral = "Nov 23 10:00:00 mx1 postfix/smtp[1]: 4ABCDEF123: to=<Full@Example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=4.2.2, status=deferred (host mx.example.net[192.0.2.1] said: 452 4.2.2 Mailbox full (in reply to RCPT TO command))\n"
        try deferral.write(to: log, atomically: true, encoding: .utf8)
        let args = ["track", "--state", state.path, "--timezone", "UTC", "--year", "2026", log.path]
        #expect(try run(args).status == 0)
        #expect(try stateRows(state, "SELECT * FROM messages").count == 1)
        #expect(try stateRows(state, "SELECT * FROM message_recipients").count == 1)
        #expect(try stateRows(state, "SELECT * FROM pairs").count == 1)

        let handle = try FileHandle(forWritingTo: log)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("Nov 28 10:00:00 mx1 postfix/qmgr[2]: 4ABCDEF123: from=<news@sender.test>, status=expired, returned to sender\nNov 28 10:00:00 mx1 postfix/qmgr[2]: 4ABCDEF123: removed\n".utf8))
        try handle.close()
        #expect(try run(args).status == 0)
        #expect(try stateRows(state, "SELECT * FROM messages").isEmpty)
        #expect(try stateRows(state, "SELECT * FROM message_recipients").isEmpty)
        #expect(try stateRows(state, "SELECT * FROM pairs").isEmpty)
        let outcomes = try run(["scan", "--timezone", "UTC", "--year", "2026", log.path]).stdout
        #expect(outcomes.contains(#""recipient":"full@example.net","original_recipient":null,"status":"expired""#), "\(outcomes)")
    }
}