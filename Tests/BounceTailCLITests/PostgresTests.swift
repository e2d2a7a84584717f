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
        #expect(said.filter { $0.contains("schema bouncetail created at version 1") }.count == 1, "\(said)")
        #expect(said.filter { $0.contains("nothing to do") }.count == 2, "\(said)")
        let tables = try pg.rows("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'bouncetail'")
        #expect(tables == ["11"])
        #expect(try pg.rows("SELECT name, value FROM bouncetail.meta ORDER BY name") == ["last_seq|0", "schema_version|1"])
        // The list is a plain query for other tools (a Postfix pgsql: map, the sender's application).
        try pg.rows("INSERT INTO bouncetail.recipients (address, hard, soft, suppressed, suppress_why) VALUES ('a@example.net', 3, 0, true, 'hard')")
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
        #expect(newer.output.contains("schema version 7, this bouncetail writes version 1"), "\(newer.output)")
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

    @Test func theOtherCommandsSayWhatAPostgresStateCanDoAndMakeNoDirectory() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for args in [["track", "--state", "postgresql://u:pw@db.example.net/mail", "x.log"], ["list", "--state", "host=/run/postgresql dbname=mail"]] {
            let r = try runTool(binary.path, args, in: dir)
            #expect(r.status == 1, "\(args)")
            #expect(r.output.contains("a state in PostgreSQL is created by `bouncetail migrate --state`"), "\(r.output)")
            #expect(!r.output.contains(":pw@"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "no directory made of the URL")
    }
}
