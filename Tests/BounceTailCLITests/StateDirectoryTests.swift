import BounceTailTestSupport
import Foundation
import Testing

/// The state database and the deltas file as a user meets them: rotation of the deltas file, a state moved
/// away or restored, long lines, symbolic links, modes, an old state to import, commands beside a writer.
@Suite(.serialized) struct StateDirectoryTests {
    let common = ["--year", "2026", "--timezone", "UTC", "--suppress-for", "3d"]

    /// A log in two halves (the second appended later) and the deltas one run over all of it makes.
    func halves(_ dir: URL) throws -> (first: String, second: String, expected: String) {
        let lines = syntheticLog(lines: 4000).split(separator: "\n", omittingEmptySubsequences: false)
        let first = lines[..<2000].joined(separator: "\n") + "\n"
        let second = lines[2000...].joined(separator: "\n")
        try (first + second).write(to: dir.appendingPathComponent("all.log"), atomically: true, encoding: .utf8)
        let (status, err) = try runWithEnvironment(["track", "--state", "ref", "--deltas", "ref.jsonl"] + common + ["all.log"], env: [:], in: dir)
        #expect(status == 0, "\(err)")
        let expected = try String(contentsOf: dir.appendingPathComponent("ref.jsonl"), encoding: .utf8)
            .replacingOccurrences(of: "all.log", with: "mail.log")
        return (first, second, expected)
    }

    func text(_ dir: URL, _ name: String) -> String {
        (try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }

    func seqs(_ text: String) -> [Int] {
        text.split(separator: "\n").compactMap { line in
            line.range(of: #""seq":[0-9]+"#, options: .regularExpression).map { Int(line[$0].dropFirst(6))! }
        }
    }

    /// logrotate renames the deltas file and (with `create`) makes an empty one, or (as the shipped snippet
    /// now does) leaves none: the next run continues at the next seq in the new file, repeating nothing.
    @Test(arguments: ["create", "nocreate"])
    func aRotatedDeltasFileIsContinuedNotRepeated(mode: String) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (first, second, expected) = try halves(dir)
        let log = dir.appendingPathComponent("mail.log")
        try first.write(to: log, atomically: false, encoding: .utf8)
        let args = ["track", "--state", "st", "--deltas", "d.jsonl"] + common + ["mail.log"]
        #expect(try runWithEnvironment(args, env: [:], in: dir).0 == 0)
        try FileManager.default.moveItem(at: dir.appendingPathComponent("d.jsonl"), to: dir.appendingPathComponent("d.jsonl.1"))
        if mode == "create" { _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("d.jsonl").path, contents: nil) }
        let h = try FileHandle(forWritingTo: log)
        try h.seekToEnd()
        try h.write(contentsOf: Data(second.utf8))
        try h.close()
        let (status, err) = try runWithEnvironment(args, env: [:], in: dir)
        #expect(status == 0, "\(err)")
        let old = text(dir, "d.jsonl.1")
        let new = text(dir, "d.jsonl")
        #expect(!old.isEmpty && !new.isEmpty)
        #expect(old + new == expected)
        #expect(seqs(new).first == seqs(old).last.map { $0 + 1 })
    }

    /// `follow` notices its deltas file renamed away at its next append and continues in a new one.
    @Test func aDeltasFileRotatedUnderARunningFollowIsContinued() throws {
        let h = try FollowHarness()
        try h.start()
        try h.write(40)
        h.settle()
        try h.sh("mv d.jsonl d.jsonl.1")
        try h.write(40)
        h.settle()
        h.stop()
        try h.sh("cat d.jsonl.1 d.jsonl > both.jsonl && mv both.jsonl d.jsonl")
        let (got, want) = try h.compare()
        #expect(got == want)
        #expect(want.count > 10)
    }

    /// Starting afresh (the state moved away) with the old deltas file kept is an error naming both, and
    /// `--continue-seq` is the way on; a state older than its file (restored from a backup) is refused.
    @Test func aNewOrOlderStateBesideADeltasFileThatIsAheadIsRefused() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (first, second, _) = try halves(dir)
        let log = dir.appendingPathComponent("mail.log")
        try first.write(to: log, atomically: false, encoding: .utf8)
        let args = ["track", "--state", "st", "--deltas", "d.jsonl"] + common + ["mail.log"]
        #expect(try runWithEnvironment(args, env: [:], in: dir).0 == 0)
        let backup = dir.appendingPathComponent("st.backup")
        try FileManager.default.copyItem(at: dir.appendingPathComponent("st"), to: backup)
        try (first + second).write(to: log, atomically: false, encoding: .utf8)
        #expect(try runWithEnvironment(args, env: [:], in: dir).0 == 0)
        let file = text(dir, "d.jsonl")
        let last = seqs(file).last!

        // The state restored from the backup: behind the file.
        try FileManager.default.removeItem(at: dir.appendingPathComponent("st"))
        try FileManager.default.moveItem(at: backup, to: dir.appendingPathComponent("st"))
        let (behind, why) = try runWithEnvironment(args, env: [:], in: dir)
        #expect(behind == 1 && why.contains("d.jsonl holds deltas up to seq \(last)") && why.contains("st"), "\(why)")
        #expect(text(dir, "d.jsonl") == file)

        // A new state: refused, then numbered on with --continue-seq.
        try FileManager.default.removeItem(at: dir.appendingPathComponent("st"))
        let (fresh, freshWhy) = try runWithEnvironment(args, env: [:], in: dir)
        #expect(fresh == 1 && freshWhy.contains("is new") && freshWhy.contains("--continue-seq"), "\(freshWhy)")
        #expect(text(dir, "d.jsonl") == file)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("st"))
        let (continued, err) = try runWithEnvironment(args + ["--continue-seq", "--hard-limit", "1"], env: [:], in: dir)
        #expect(continued == 0, "\(err)")
        let more = seqs(text(dir, "d.jsonl"))
        #expect(more.count > seqs(file).count && more == Array(more.first!...more.last!))
    }

    /// A delta line far longer than 64 KiB (a long address) is found again as the file's last line; one torn
    /// in the middle by a crash is cut whole.
    @Test func deltaLinesOfAnyLengthRepairCorrectly() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Such an address comes from a log (by hand, addresses are held to RFC 5321's lengths).
        let long = String(repeating: "x", count: 100_000) + "@example.net"
        func line(_ n: Int, _ status: String) -> String {
            "Nov  3 10:00:0\(n) mx postfix/smtp[1]: 4QLONG\(n)Z: to=<\(long)>, relay=mx.example.net[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=\(status == "sent" ? "2.0.0" : "5.1.1"), status=\(status) (\(status == "sent" ? "250 ok" : "host mx.example.net[192.0.2.1] said: 550 5.1.1 User unknown (in reply to RCPT TO command)"))\n"
        }
        let log = dir.appendingPathComponent("mail.log")
        try Data(line(1, "bounced").utf8).write(to: log)
        let track = ["track", "--state", "st", "--deltas", "d.jsonl", "--hard-limit", "1", "--max-line-bytes", "200000",
                     "--timezone", "UTC", "--year", "2026", log.path]
        let (first, firstErr) = try runWithEnvironment(track, env: [:], in: dir)
        #expect(first == 0, "\(firstErr)")
        #expect(seqs(text(dir, "d.jsonl")) == [1])
        for (i, address) in ["short@example.net", "other@example.net"].enumerated() {
            let (status, err) = try runWithEnvironment(["suppress", "--state", "st", "--deltas", "d.jsonl", address], env: [:], in: dir)
            #expect(status == 0, "\(err)")
            #expect(seqs(text(dir, "d.jsonl")) == Array(1...(i + 2)))
        }
        // A torn long line at the end: cut, and the next delta follows the last whole one.
        let h = try FileHandle(forWritingTo: dir.appendingPathComponent("d.jsonl"))
        try h.seekToEnd()
        try h.write(contentsOf: Data(("{\"type\":\"delta\",\"seq\":4,\"recipient\":\"" + long).utf8))
        try h.close()
        let l = try FileHandle(forWritingTo: log)
        try l.seekToEnd()
        try l.write(contentsOf: Data(line(2, "sent").utf8))
        try l.close()
        let (status, err) = try runWithEnvironment(track, env: [:], in: dir)
        #expect(status == 0 && err.contains("removed a torn last line"), "\(err)")
        #expect(seqs(text(dir, "d.jsonl")) == [1, 2, 3, 4])
        #expect(text(dir, "d.jsonl").hasSuffix("}\n"))
    }

    @Test func symbolicLinksInTheStateDirectoryAreRefusedAndFilesArePrivate() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try runWithEnvironment(["suppress", "--state", "st", "--deltas", "st/d.jsonl", "a@example.net"], env: [:], in: dir).0 == 0)
        for name in ["st", "st/state.db", "st/d.jsonl"] {
            let mode = (try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(name).path)[.posixPermissions] as! Int)
            #expect(mode & 0o077 == 0, "\(name) is \(String(mode, radix: 8))")
        }
        // A dangling link where the database should be is not "no state yet"; a link to a file is not followed.
        for target in ["/nonexistent/state.db", dir.appendingPathComponent("st/state.db").path] {
            let other = dir.appendingPathComponent("linked")
            try? FileManager.default.removeItem(at: other)
            try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: other.appendingPathComponent("state.db").path, withDestinationPath: target)
            for command in [["track", "--state", "linked", "/dev/null"], ["list", "--state", "linked"]] {
                let (status, err) = try runWithEnvironment(command, env: [:], in: dir)
                #expect(status == 1 && err.contains("linked/state.db") && err.contains("symbolic link"), "\(err)")
            }
        }
        let (status, err) = try runWithEnvironment(["list", "--state", "missing"], env: [:], in: dir)
        #expect(status == 1 && err.contains("missing: no such state directory"), "\(err)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("missing").path))
    }

    /// A suppression's end past what a time can be written as is the last second of year 9999, and the
    /// next run reads it back.
    @Test func anEndPastTheYear9999IsClampedAndReadBack() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let line = "9999-12-30T10:00:00Z mx1 postfix/smtp[1]: 4ABCDEF123: to=<far@example.net>, relay=mx[192.0.2.1]:25, delay=1, dsn=5.1.1, status=bounced (host mx[192.0.2.1] said: 550 5.1.1 User unknown)\n"
        try line.write(to: dir.appendingPathComponent("mail.log"), atomically: true, encoding: .utf8)
        let args = ["track", "--state", "st", "--deltas", "d.jsonl", "--hard-limit", "1", "--suppress-for", "7d", "mail.log"]
        let (status, err) = try runWithEnvironment(args, env: [:], in: dir)
        #expect(status == 0, "\(err)")
        #expect(text(dir, "d.jsonl").contains(#""until":"9999-12-31T23:59:59Z""#), "\(text(dir, "d.jsonl"))")
        try (line + line.replacingOccurrences(of: "10:00:00", with: "11:00:00")).write(to: dir.appendingPathComponent("mail.log"), atomically: true, encoding: .utf8)
        let (again, err2) = try runWithEnvironment(args, env: [:], in: dir)
        #expect(again == 0, "\(err2)")
        #expect(try run(["list", "--state", dir.appendingPathComponent("st").path]).stdout.contains("far@example.net"))
    }

    /// A version 1 state (`state.jsonl`) is imported on first use, once, and kept as a backup.
    @Test func aVersion1StateIsImportedOnceAndKept() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let st = dir.appendingPathComponent("st")
        try FileManager.default.createDirectory(at: st, withIntermediateDirectories: true)
        let v1 = """
            {"type":"bouncetail-state","version":1,"last_seq":7,"run":3}
            {"type":"recipient","recipient":"kept@example.net","hard":3,"soft":0,"first_bounce":"2026-11-01T00:00:00Z","last_bounce":"2026-11-02T00:00:00Z","soft_since":null,"last_reason":"userunknown","suppressed":true,"suppressed_at":"2026-11-02T00:00:00Z","until":null,"suppress_reason":"userunknown","suppress_why":"hard"}
            {"type":"recipient","recipient":"counting@example.net","hard":1,"soft":0,"first_bounce":"2026-11-01T00:00:00Z","last_bounce":"2026-11-01T00:00:00Z","soft_since":null,"last_reason":"userunknown","suppressed":false,"suppressed_at":null,"until":null,"suppress_reason":null,"suppress_why":null}
            {"type":"end","records":2}

            """
        try v1.write(to: st.appendingPathComponent("state.jsonl"), atomically: true, encoding: .utf8)
        let bounce = "Nov 23 10:00:00 mx1 postfix/smtp[1]: 4ABCDEF123: to=<counting@example.net>, relay=mx[192.0.2.1]:25, delay=1, dsn=5.1.1, status=bounced (host mx[192.0.2.1] said: 550 5.1.1 User unknown)\n"
        try bounce.write(to: dir.appendingPathComponent("mail.log"), atomically: true, encoding: .utf8)
        let (status, err) = try runWithEnvironment(["track", "--state", "st", "--deltas", "d.jsonl", "--hard-limit", "2"] + common.prefix(4) + ["mail.log"], env: [:], in: dir)
        #expect(status == 0 && err.contains("imported"), "\(err)")
        #expect(FileManager.default.fileExists(atPath: st.appendingPathComponent("state.jsonl.v1-backup").path))
        #expect(!FileManager.default.fileExists(atPath: st.appendingPathComponent("state.jsonl").path))
        // The imported counter went on (1 + 1 = the limit of 2), numbered after the old state's last seq.
        #expect(seqs(text(dir, "d.jsonl")) == [8])
        let list = try run(["list", "--state", st.path]).stdout
        #expect(list.contains("kept@example.net") && list.contains("counting@example.net"))
    }

    /// With `follow` running (it holds the state), `list` reads and `suppress`/`unsuppress` queue their
    /// change, which the follower applies within a second and writes to its deltas file.
    @Test func listAndManualChangesWorkBesideARunningFollow() throws {
        let h = try FollowHarness()
        try h.start()
        try h.write(40)
        h.settle()
        let st = h.dir.appendingPathComponent("st").path
        let started = Date()
        let suppressed = try run(["suppress", "--state", st, "--reason", "asked to stop", "reader@example.org"])
        #expect(suppressed.status == 0, "\(suppressed.stderr)")
        #expect(Date().timeIntervalSince(started) < 1.5)
        #expect(h.text("d.jsonl").contains(#""recipient":"reader@example.org","why":"manual","reason":"asked to stop""#))
        let list = try run(["list", "--state", st, "--format", "postfix"])
        #expect(list.status == 0 && list.stdout.contains("reader@example.org REJECT"), "\(list.stderr)")
        let again = try run(["suppress", "--state", st, "reader@example.org"])
        #expect(again.status == 0 && again.stderr.contains("already suppressed"), "\(again.stderr)")
        let lifted = try run(["unsuppress", "--state", st, "reader@example.org"])
        #expect(lifted.status == 0, "\(lifted.stderr)")
        #expect(!(try run(["list", "--state", st]).stdout.contains("reader@example.org")))
        h.stop()
        let manual = h.text("d.jsonl").split(separator: "\n").filter { $0.contains("reader@example.org") }
        #expect(manual.count == 2)
        let all = seqs(h.text("d.jsonl"))
        #expect(all == Array(1...all.count))
    }

    /// A command queued while the follower is stopped dead (SIGSTOP), which is then killed: the restarted
    /// follower applies it once.
    @Test func aCommandQueuedForAFollowerKilledBeforeApplyingItIsAppliedOnceAfterTheRestart() throws {
        let h = try FollowHarness()
        try h.start()
        try h.write(20)
        h.settle()
        kill(h.process!.processIdentifier, SIGSTOP)
        let queued = try run(["suppress", "--state", h.dir.appendingPathComponent("st").path, "late@example.org"])
        #expect(queued.status == 0 && queued.stderr.contains("queued"), "\(queued.stderr)")
        h.stop(signal: SIGKILL)
        try h.start()
        h.settle()
        h.stop()
        #expect(h.text("d.jsonl").split(separator: "\n").filter { $0.contains("late@example.org") }.count == 1)
        let all = seqs(h.text("d.jsonl"))
        #expect(all == Array(1...all.count))
    }

    /// Down over two rotations (plain, then compressed): the generation written and rotated away meanwhile is
    /// found by content and read in order after the restart.
    @Test func aFollowerDownOverTwoRotationsReadsEveryGenerationInOrder() throws {
        let h = try FollowHarness()
        try h.write(20)
        try h.start()
        try h.write(10)
        h.settle()
        h.stop()
        try h.write(10)
        try h.sh("mv mail.log mail.log.1")
        try h.write(30)
        try h.sh("gzip -c mail.log.1 > mail.log.2.gz && rm mail.log.1 && mv mail.log mail.log.1")
        try h.write(30)
        // Rotated a while ago, as after a night down (not just now, which a look for recent writes would catch).
        try h.sh("touch -d @$(( $(date +%s) - 7200 )) mail.log.2.gz && touch -d @$(( $(date +%s) - 3600 )) mail.log.1")
        try h.start()
        h.settle()
        h.stop()
        let (got, want) = try h.compare()
        #expect(got == want)
        #expect(h.text("follow.err").contains("mail.log.1: written and rotated away while nobody read it"))
    }
}

extension FollowHarness {
    func text(_ name: String) -> String {
        (try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }
}
