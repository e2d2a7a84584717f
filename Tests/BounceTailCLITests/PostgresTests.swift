import BounceTailTestSupport
import Foundation
import Testing

/// A private PostgreSQL from Debian's packages: `initdb` into a temporary directory and `pg_ctl start` on a
/// Unix socket there (no TCP, no system service), run as the `postgres` user (PostgreSQL refuses root).
final class PostgresInstance {
    static let binDir: String? = {
        let root = "/usr/lib/postgresql"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        let versions = names.compactMap { Int($0) }.sorted()
        guard let newest = versions.last else { return nil }
        let bin = "\(root)/\(newest)/bin"
        return FileManager.default.isExecutableFile(atPath: bin + "/initdb") ? bin : nil
    }()

    /// Why the PostgreSQL tests cannot run here, if they cannot.
    static let unavailable: String? = {
        if binDir == nil { return "PostgreSQL is not installed (apt-get install postgresql)" }
        if getuid() != 0 { return "the private PostgreSQL is started as the postgres user, which needs root" }
        if getpwnam("postgres") == nil { return "no postgres user" }
        return nil
    }()

    let dir: URL
    /// libpq's key=value string for the instance's `postgres` database.
    var conninfo: String { "host=\(dir.path) user=bouncetail dbname=postgres" }

    init() throws {
        dir = try temporaryDirectory()
        let bin = Self.binDir!
        _ = chown(dir.path, getpwnam("postgres")!.pointee.pw_uid, getpwnam("postgres")!.pointee.pw_gid)
        try Self.asPostgres(["\(bin)/initdb", "-D", dir.appendingPathComponent("data").path, "-A", "trust", "-U", "bouncetail"], in: dir)
        try start()
    }

    private var server: Daemon?

    /// The postmaster as a daemon of the test (started with an empty signal mask: it lives on signals, which
    /// the test runner's threads block), as the postgres user through setpriv (which execs, so the daemon's pid
    /// is the server's).
    func start() throws {
        let data = dir.appendingPathComponent("data").path
        server = try Daemon("/usr/bin/setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "\(Self.binDir!)/postgres",
                                                 "-D", data, "-k", dir.path, "-c", "listen_addresses="],
                            in: dir, output: "server.log")
        let ready = waitUntil(seconds: 30) {
            (try? runTool("\(Self.binDir!)/pg_isready", ["-q", "-h", self.dir.path], in: self.dir).status) == 0
        }
        guard ready else { throw PostgresFailure(message: "PostgreSQL did not start: \(server?.text ?? "")") }
    }

    /// Fast shutdown (SIGINT): sessions ended, the server's state consistent on disk.
    func stop() {
        server?.stop(signal: SIGINT, seconds: 20)
        server = nil
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: dir)
    }

    /// Runs `sql` with psql; the rows, values separated by `|`.
    @discardableResult
    func rows(_ sql: String) throws -> [String] {
        let (status, out) = try runTool("/usr/bin/psql", [conninfo, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], in: dir)
        guard status == 0 else { throw PostgresFailure(message: "psql: \(out)") }
        return out.split(separator: "\n").map(String.init)
    }

    static func asPostgres(_ command: [String], in dir: URL) throws {
        let (status, out) = try runTool("/usr/sbin/runuser", ["-u", "postgres", "--"] + command, in: dir)
        guard status == 0 else { throw PostgresFailure(message: "\(command[0]): \(out)") }
    }
}

struct PostgresFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

@Suite(.serialized, .enabled(if: PostgresInstance.unavailable == nil, Comment(rawValue: PostgresInstance.unavailable ?? "")))
struct PostgresTests {
    @Test func migrateCreatesTheSchemaOnceWhenHostsMigrateAtOnce() throws {
        let pg = try PostgresInstance()
        // Three hosts at the same moment: one creates, the others wait for it and find it done.
        let processes = (0..<3).map { _ -> (Process, Pipe) in
            let p = Process()
            p.executableURL = binary
            p.arguments = ["migrate", "--state", pg.conninfo]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            return (p, out)
        }
        for (p, _) in processes { try p.run() }
        var said: [String] = []
        for (p, out) in processes {
            said.append(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "\(said.last ?? "")")
        }
        #expect(said.filter { $0.contains("schema bouncetail created at version 2") }.count == 1, "\(said)")
        #expect(said.filter { $0.contains("nothing to do") }.count == 2, "\(said)")
        let tables = try pg.rows("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'bouncetail'")
        #expect(tables == ["10"])
        #expect(try pg.rows("SELECT name, value FROM bouncetail.meta ORDER BY name") == ["last_seq|0", "schema_version|2"])
        // The list is a plain query for other tools (a Postfix pgsql: map, the sender's application).
        try pg.rows("INSERT INTO bouncetail.recipients (address, hard, soft, suppressed, suppress_why, timeline) VALUES ('a@example.net', 3, 0, true, 'hard', '')")
        #expect(try pg.rows("SELECT address FROM bouncetail.recipients WHERE suppressed") == ["a@example.net"])
        let again = try runTool(binary.path, ["migrate", "--state", "postgresql:///postgres?host=\(pg.dir.path)&user=bouncetail"], in: pg.dir)
        #expect(again.status == 0 && again.output.contains("nothing to do"), "\(again.output)")
    }

    @Test func aSchemaFromANewerBouncetailIsRefusedAndLeftAsItIs() throws {
        let pg = try PostgresInstance()
        #expect(try runTool(binary.path, ["migrate", "--state", pg.conninfo], in: pg.dir).status == 0)
        try pg.rows("UPDATE bouncetail.meta SET value = 7 WHERE name = 'schema_version'")
        let newer = try runTool(binary.path, ["migrate", "--state", pg.conninfo], in: pg.dir)
        #expect(newer.status == 1)
        #expect(newer.output.contains("schema version 7, this bouncetail writes version 2"), "\(newer.output)")
        #expect(try pg.rows("SELECT value FROM bouncetail.meta WHERE name = 'schema_version'") == ["7"])
        // A schema of that name that bouncetail did not make.
        try pg.rows("DELETE FROM bouncetail.meta")
        let foreign = try runTool(binary.path, ["migrate", "--state", pg.conninfo], in: pg.dir)
        #expect(foreign.status == 1 && foreign.output.contains("not a state bouncetail made"), "\(foreign.output)")
    }

    @Test func aServerThatCannotBeReachedIsNamedWithoutItsPassword() throws {
        let pg = try PostgresInstance()
        pg.stop()
        let r = try runTool(binary.path, ["migrate", "--state", "postgresql://bouncetail:hunter2@/postgres?host=\(pg.dir.path)"], in: pg.dir)
        #expect(r.status == 1)
        #expect(r.output.contains("postgresql://bouncetail:***@/postgres") && r.output.contains("cannot connect"), "\(r.output)")
        #expect(!r.output.contains("hunter2"))
        let kv = try runTool(binary.path, ["migrate", "--state", "host=\(pg.dir.path) user=bouncetail password=hunter2 dbname=postgres"], in: pg.dir)
        #expect(kv.status == 1 && !kv.output.contains("hunter2") && kv.output.contains("password=***"), "\(kv.output)")
        // Started again, the same command works.
        try pg.start()
        #expect(try runTool(binary.path, ["migrate", "--state", pg.conninfo], in: pg.dir).status == 0)
    }

    @Test func readersOfAnUnreachableServerSaySoAndMakeNoDirectory() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for args in [["deltas", "--state", "postgresql://u:pw@db.example.net/mail"], ["report", "--state", "host=/run/postgresql dbname=mail"]] {
            let r = try runTool(binary.path, args, in: dir)
            #expect(r.status == 1, "\(args)")
            #expect(r.output.contains("cannot connect"), "\(r.output)")
            #expect(!r.output.contains(":pw@"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "no directory made of the URL")
    }

    /// Lines of three MTA hosts, one outcome a minute at most, each host's in its own log; recipients shared.
    static func fleetLogs(seed: UInt64, lines: Int, hosts: [String] = ["mx1", "mx2", "mx3"], from start: Int = 0)
        -> (byHost: [String: String], merged: String, end: Int)
    {
        var rng = SplitMix64(state: seed)
        var byHost: [String: String] = [:]
        var merged = ""
        var minute = start
        let replies = [
            "dsn=2.0.0, status=sent (250 2.0.0 Ok)", "dsn=2.0.0, status=sent (250 2.0.0 Ok)",
            "dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.1] said: 550 5.1.1 User unknown (in reply to RCPT TO command))",
            "dsn=4.2.2, status=deferred (host mx.example.net[192.0.2.1] said: 452 4.2.2 Mailbox full (in reply to RCPT TO command))",
        ]
        for _ in 0..<lines {
            minute += Int.random(in: 1...10, using: &rng)
            let hostIndex = Int.random(in: 0..<hosts.count, using: &rng)
            let host = hosts[hostIndex]
            let stamp = String(format: "2026-11-%02d %02d:%02d:00", 1 + minute / 1440, minute / 60 % 24, minute % 60)
                .replacingOccurrences(of: " ", with: "T") + "+00:00"
            let qid = "Q" + String(format: "%05d", Int.random(in: 0..<4000, using: &rng)) + "A\(hostIndex)"
            let l = "\(stamp) \(host) postfix/smtp[1]: \(qid): to=<r\(Int.random(in: 0..<50, using: &rng))@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, delays=0/0/0/0, \(replies[Int.random(in: 0..<replies.count, using: &rng)])\n"
            byHost[host, default: ""] += l
            merged += l
        }
        return (byHost, merged, minute)
    }

    /// What one `track` over the merged lines lists, from a state directory.
    static func listOfOneTrack(_ merged: String, in dir: URL, _ options: [String]) throws -> String {
        try merged.write(to: dir.appendingPathComponent("merged.log"), atomically: true, encoding: .utf8)
        let t = try runTool(binary.path, ["track", "--state", "ref", "--deltas", "ref.jsonl"] + options + ["merged.log"], in: dir)
        #expect(t.status == 0, "\(t.output)")
        let l = try runTool(binary.path, ["list", "--state", "ref"], in: dir)
        #expect(l.status == 0, "\(l.output)")
        return l.output
    }

    /// Every host's deltas, by seq: no seq twice; applied in seq order they give the list.
    static func checkDeltas(_ files: [URL], add list: String) {
        var seen: [Int: String] = [:]
        for f in files {
            for line in ((try? String(contentsOf: f, encoding: .utf8)) ?? "").split(separator: "\n") {
                guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let seq = o["seq"] as? Int else {
                    Issue.record("not a delta: \(line)")
                    continue
                }
                #expect(seen[seq] == nil, "seq \(seq) twice: \(line)")
                seen[seq] = "\(o["action"]!) \(o["recipient"]!)"
            }
        }
        var listed = Set<String>()
        for (_, d) in seen.sorted(by: { $0.key < $1.key }) {
            let parts = d.split(separator: " ")
            if parts[0] == "suppress" { listed.insert(String(parts[1])) } else { listed.remove(String(parts[1])) }
        }
        let want = Set(list.split(separator: "\n").compactMap { l -> String? in
            (try? JSONSerialization.jsonObject(with: Data(l.utf8)) as? [String: Any])?["recipient"] as? String
        })
        #expect(listed == want, "the deltas add up to \(listed.sorted()), the list holds \(want.sorted())")
    }

    @Test func hostsCommittingInAnyOrderListWhatOneTrackOverTheMergedLogsLists() throws {
        let pg = try PostgresInstance()
        let (byHost, merged, _) = Self.fleetLogs(seed: 11, lines: 2500)
        for (h, text) in byHost { try text.write(to: pg.dir.appendingPathComponent("\(h).log"), atomically: true, encoding: .utf8) }
        let options = ["--hard-limit", "2", "--soft-limit", "3", "--soft-span", "1h"]
        let want = try Self.listOfOneTrack(merged, in: pg.dir, options)
        #expect(want.split(separator: "\n").count >= 5, "the logs suppress too few to tell: \(want)")
        for order in [["mx1", "mx2", "mx3"], ["mx3", "mx1", "mx2"]] {
            try? pg.rows("DROP SCHEMA IF EXISTS bouncetail CASCADE")
            for h in order {
                // Each host in two runs, the second over lines appended since, as cron would.
                let lines = byHost[h]!.split(separator: "\n", omittingEmptySubsequences: false)
                let log = pg.dir.appendingPathComponent("live-\(h).log")
                try (lines.prefix(lines.count / 2).joined(separator: "\n") + "\n").write(to: log, atomically: true, encoding: .utf8)
                for run in 0..<2 {
                    if run == 1 { try byHost[h]!.write(to: log, atomically: false, encoding: .utf8) }
                    let r = try runTool(binary.path, ["track", "--state", pg.conninfo, "--host-name", h, "--reorder-window", "60d",
                                                      "--deltas", "\(h).jsonl"] + options + [log.lastPathComponent], in: pg.dir)
                    #expect(r.status == 0, "\(r.output)")
                }
            }
            let got = try runTool(binary.path, ["list", "--state", pg.conninfo], in: pg.dir)
            #expect(got.status == 0)
            #expect(got.output == want, "order \(order)")
            Self.checkDeltas(order.map { pg.dir.appendingPathComponent("\($0).jsonl") }, add: want)
            for h in order { try? FileManager.default.removeItem(at: pg.dir.appendingPathComponent("\(h).jsonl")) }
        }
        // A host committing beyond the window: its old outcomes are applied at the window's start, documented.
        #expect(try pg.rows("SELECT count(*) FROM bouncetail.hosts") == ["3"])
        #expect(try pg.rows("SELECT max(seq) = count(*) FROM bouncetail.deltas") == ["t"], "one fleet-wide seq without gaps")
        let deltas = try runTool(binary.path, ["deltas", "--state", pg.conninfo, "--since", "0"], in: pg.dir)
        let kept = Int(try pg.rows("SELECT count(*) FROM bouncetail.deltas")[0])!
        #expect(deltas.status == 0 && deltas.output.split(separator: "\n").count == kept)
        let report = try runTool(binary.path, ["report", "--state", pg.conninfo], in: pg.dir)
        #expect(report.status == 0 && report.output.contains("\(want.split(separator: "\n").count) suppressed"), "\(report.output)")
        #expect(try runTool(binary.path, ["check", "--state", pg.conninfo], in: pg.dir).status == 0)
    }

    @Test func changesByHandGoStraightToTheSharedStateAndEveryHostSeesThem() throws {
        let pg = try PostgresInstance()
        let s = try runTool(binary.path, ["suppress", "--state", pg.conninfo, "--reason", "complaint", "A@Example.net", "b@example.net"], in: pg.dir)
        #expect(s.status == 0, "\(s.output)")
        #expect(s.output.components(separatedBy: "\"action\":\"suppress\"").count == 3, "\(s.output)")
        let u = try runTool(binary.path, ["unsuppress", "--state", pg.conninfo, "b@example.net"], in: pg.dir)
        #expect(u.status == 0 && u.output.contains("\"action\":\"unsuppress\""), "\(u.output)")
        #expect(try pg.rows("SELECT address, suppress_why, suppress_reason FROM bouncetail.recipients WHERE suppressed") == ["a@example.net|manual|complaint"])
        // A host's delivery to the address lifts it, as in one state directory.
        let log = "2099-01-01T00:00:00+00:00 mx1 postfix/smtp[1]: 4A1B2C3D: to=<a@example.net>, relay=mx[192.0.2.1]:25, delay=1, dsn=2.0.0, status=sent (250 ok)\n"
        try log.write(to: pg.dir.appendingPathComponent("m.log"), atomically: true, encoding: .utf8)
        let t = try runTool(binary.path, ["track", "--state", pg.conninfo, "--host-name", "mx1", "m.log"], in: pg.dir)
        #expect(t.status == 0 && t.output.contains("\"why\":\"delivered\""), "\(t.output)")
        #expect(try runTool(binary.path, ["list", "--state", pg.conninfo], in: pg.dir).output.isEmpty)
        // Two writers under one host name: the second is refused, naming the host.
        let holder = try PostgresConnectionHolder(pg, host: "mx1")
        let second = try runTool(binary.path, ["track", "--state", pg.conninfo, "--host-name", "mx1", "m.log"], in: pg.dir)
        #expect(second.status == 1 && second.output.contains("host mx1 is already tracking into this state"), "\(second.output)")
        _ = holder
    }

    /// Three `follow` processes as three hosts on three logs written as the MTAs write them; one is killed
    /// with SIGKILL and started again mid-run, and the database is restarted once. The list and the deltas
    /// are those of one `track` over the union.
    @Test func threeFollowersSurviveAKilledHostAndARestartedDatabase() throws {
        let pg = try PostgresInstance()
        let hosts = ["mx1", "mx2", "mx3"]
        let options = ["--hard-limit", "2", "--soft-limit", "3", "--soft-span", "1h"]
        var followers: [String: Daemon] = [:]
        func start(_ h: String) throws {
            followers[h] = try Daemon(binary.path, ["follow", "--state", pg.conninfo, "--host-name", h, "--deltas", pg.dir.appendingPathComponent("\(h).jsonl").path,
                                                    "--from", "start", "--poll-interval", "50ms"] + options + [pg.dir.appendingPathComponent("\(h).log").path],
                                      in: pg.dir, output: "follow-\(h).err")
        }
        for h in hosts {
            _ = FileManager.default.createFile(atPath: pg.dir.appendingPathComponent("\(h).log").path, contents: nil)
            try start(h)
        }
        var merged = ""
        var minute = 0
        func append(round: Int) throws {
            let (byHost, m, end) = Self.fleetLogs(seed: UInt64(100 + round), lines: 400, from: minute)
            minute = end
            merged += m
            for (h, text) in byHost {
                let f = try FileHandle(forWritingTo: pg.dir.appendingPathComponent("\(h).log"))
                try f.seekToEnd()
                try f.write(contentsOf: Data(text.utf8))
                try f.close()
            }
        }
        for round in 0..<6 {
            try append(round: round)
            usleep(300_000)
            if round == 2 {
                followers["mx2"]!.stop(signal: SIGKILL)
                try append(round: 100)
                try start("mx2")
            }
            if round == 4 {
                pg.stop()
                try append(round: 200)
                usleep(500_000)
                try pg.start()
            }
        }
        // Every follower has committed to the end of its log.
        let sizes = try hosts.map { h in
            try FileManager.default.attributesOfItem(atPath: pg.dir.appendingPathComponent("\(h).log").path)[.size] as! Int
        }
        let caughtUp = waitUntil(seconds: 60) {
            let rows = (try? pg.rows("SELECT host || ' ' || \"offset\" FROM bouncetail.inputs ORDER BY host")) ?? []
            return rows == zip(hosts, sizes).map { "\($0) \($1)" }
        }
        #expect(caughtUp, "\(hosts.map { followers[$0]!.text })")
        for h in hosts {
            followers[h]!.stop(signal: SIGTERM)
            #expect(followers[h]!.exitStatus == 0, "\(h): \(followers[h]!.text)")
        }
        #expect(followers.values.contains { $0.text.contains("connection lost") }, "no follower saw the restart")
        let want = try Self.listOfOneTrack(merged, in: pg.dir, options)
        let got = try runTool(binary.path, ["list", "--state", pg.conninfo], in: pg.dir)
        #expect(got.output == want)
        Self.checkDeltas(hosts.map { pg.dir.appendingPathComponent("\($0).jsonl") }, add: want)
    }
}

/// Holds a host's writer lock as a running bouncetail would (a psql session that took it and waits).
final class PostgresConnectionHolder {
    let session: Daemon
    init(_ pg: PostgresInstance, host: String) throws {
        session = try Daemon("/usr/bin/psql", [pg.conninfo, "-X", "-q", "-c", "SELECT pg_advisory_lock(\(0x4254_4C53 >> 16), hashtext('\(host)'))",
                                               "-c", "SELECT pg_sleep(60)"], in: pg.dir, output: "holder.out")
        waitUntil(seconds: 10) { ((try? pg.rows("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")) ?? []) == ["1"] }
    }
    deinit { session.stop(signal: SIGKILL, seconds: 2) }
}
