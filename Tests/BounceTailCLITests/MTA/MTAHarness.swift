import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a program to completion, its output going to a file rather than a pipe: an MTA command may leave
/// daemons behind that inherit its descriptors, and a pipe held open by them would never reach its end.
@discardableResult
func runTool(_ path: String, _ args: [String], in dir: URL, stdin: String? = nil) throws -> (status: Int32, output: String) {
    let out = dir.appendingPathComponent("tool-\(UUID().uuidString).out")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: out) }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    p.currentDirectoryURL = dir
    let handle = try FileHandle(forWritingTo: out)
    p.standardOutput = handle
    p.standardError = handle
    if let stdin {
        let input = dir.appendingPathComponent("tool-\(UUID().uuidString).in")
        try stdin.write(to: input, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: input) }
        p.standardInput = try FileHandle(forReadingFrom: input)
        try p.run()
    } else {
        p.standardInput = FileHandle.nullDevice
        try p.run()
    }
    p.waitUntilExit()
    try handle.close()
    return (p.terminationStatus, (try? String(contentsOf: out, encoding: .utf8)) ?? "")
}

/// A long-running process started by a test (paths in its arguments absolute), with its output in a file, stopped by its pid. Spawned with an
/// empty signal mask and default handlers: the test runner's threads block signals that an MTA daemon relies on
/// (Exim's queue runner waits for SIGALRM and reaps on SIGCHLD), and a child inherits the mask.
final class Daemon {
    let pid: pid_t
    let output: URL
    private(set) var exitStatus: Int32?

    init(_ path: String, _ args: [String], in dir: URL, output name: String) throws {
        output = dir.appendingPathComponent(name)
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGCHLD, SIGALRM, SIGPIPE, SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output.path, O_WRONLY | O_APPEND, 0)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([path] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, path, &actions, &attr, argv, environ)
        guard rc == 0 else { throw MTAError.failed("cannot start \(path): \(String(cString: strerror(rc)))") }
        pid = child
    }

    var isRunning: Bool {
        if exitStatus != nil { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            return false
        }
        return true
    }

    /// Sends `signal` and waits up to `seconds` for the exit, then kills it.
    func stop(signal: Int32 = SIGTERM, seconds: Double = 10) {
        guard isRunning else { return }
        kill(pid, signal)
        if !waitUntil(seconds: seconds, { !self.isRunning }) {
            kill(pid, SIGKILL)
            waitUntil(seconds: 5) { !self.isRunning }
        }
    }

    var text: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

    deinit { stop(signal: SIGKILL, seconds: 2) }
}

/// Polls `condition` every 100 ms for up to `seconds`; true if it held.
@discardableResult
func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if condition() { return true }
        usleep(100_000)
    }
    return condition()
}

/// A real MTA running from its Debian package in a private directory, relaying everything to a peer.
protocol LoopbackMTA: AnyObject {
    /// The live main log.
    var log: URL { get }
    /// The directory its logs (live and rotated) are in.
    var logDirectory: URL { get }
    func send(from sender: String, to recipients: [String], subject: String) throws
    func queueIsEmpty() throws -> Bool
    /// Rotates the live log the way its package does in production.
    func rotateLog() throws
    func stop()
    /// Where it accepts SMTP on loopback, with bouncetail's exported list in force.
    var smtpPort: UInt16 { get }
    /// `bouncetail list --format` for this MTA, and installing its output where the MTA reads it.
    var listFormat: String { get }
    func installSuppressionList(_ text: String) throws
    /// What its log says when the list refuses a recipient.
    var refusalLogMarker: String { get }
    /// Where it asks `bouncetail serve` at RCPT (no answer there: the mail goes on).
    var policySocket: URL { get }
}

/// The recipients every round goes to; the peer answers each by its local part.
let scriptedRecipients = ["ok", "unknown", "nodomain", "full", "grey", "spam", "dmarc", "flaky"].map { "\($0)@example.net" }

/// A message-sending scenario through a real MTA with `bouncetail follow` on its live log: three rounds of mail
/// to every scripted recipient (the second round spells one address in mixed case), the live log rotated
/// between the second and third, then the queue left to drain until deferred mail expires.
struct MTAScenario {
    let dir: URL
    let policy = ["--hard-limit", "3", "--soft-limit", "3", "--soft-span", "2s"]

    func run(_ mta: LoopbackMTA) throws -> (follow: Daemon, deltas: [String], drained: Bool) {
        let follow = try Daemon(
            binary.path, ["follow", "--state", dir.appendingPathComponent("follow-state").path, "--deltas",
                          dir.appendingPathComponent("follow.jsonl").path, "--rotate-wait", "1s"] + policy + [mta.log.path],
            in: dir, output: "follow.err")
        usleep(300_000)
        // Each round waits for the first attempt at all its recipients, so the rotation cuts a log in use.
        func attempts(_ n: Int) -> Bool {
            waitUntil(seconds: 30) { ((try? scannedOutcomes(self.logFiles(mta), in: self.dir))?.count ?? 0) >= n }
        }
        try mta.send(from: "sender@sender.test", to: scriptedRecipients, subject: "round 1")
        _ = attempts(scriptedRecipients.count)
        usleep(1_000_000)
        try mta.send(from: "sender@sender.test", to: scriptedRecipients.map { $0 == "unknown@example.net" ? "UnKnown@Example.NET" : $0 },
                     subject: "round 2")
        _ = attempts(2 * scriptedRecipients.count)
        try mta.rotateLog()
        try mta.send(from: "sender@sender.test", to: scriptedRecipients, subject: "round 3")
        let drained = waitUntil(seconds: 60) { (try? mta.queueIsEmpty()) ?? false }
        usleep(1_500_000)  // the follower's next look and commit
        follow.stop()
        let deltas = ((try? String(contentsOf: dir.appendingPathComponent("follow.jsonl"), encoding: .utf8)) ?? "")
            .split(separator: "\n").map(String.init)
        return (follow, deltas, drained)
    }

    /// Every log file the MTA wrote (live and rotated), for a one-shot `track` or `scan`.
    func logFiles(_ mta: LoopbackMTA) -> [String] {
        let base = mta.log.lastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: mta.logDirectory.path)) ?? []
        return names.filter { $0 == base || $0.hasPrefix(base + ".") }.map { mta.logDirectory.appendingPathComponent($0).path }
    }
}

/// A delta without the file and line that caused it (a followed run names the live file; a one-shot run
/// names the rotated one it read the same line from).
func deltaWithoutSource(_ line: String) -> String {
    line.replacingOccurrences(of: #","file":.*"#, with: "", options: .regularExpression)
}

/// The last suppression delta per recipient that is still in force: recipient → (why, reason, hard, soft).
func suppressedRecipients(_ deltas: [String]) -> [String: (why: String, reason: String)] {
    var result: [String: (why: String, reason: String)] = [:]
    for d in deltas {
        guard let data = d.data(using: .utf8), let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let rcpt = o["recipient"] as? String, let action = o["action"] as? String
        else { continue }
        if action == "suppress" {
            result[rcpt] = ((o["why"] as? String) ?? "", (o["reason"] as? String) ?? "")
        } else {
            result[rcpt] = nil
        }
    }
    return result
}

/// `scan` outcomes as (recipient lower-cased, status) pairs.
func scannedOutcomes(_ files: [String], in dir: URL) throws -> [(recipient: String, status: String)] {
    let (status, out) = try runTool(binary.path, ["scan"] + files, in: dir)
    precondition(status == 0, out)
    return out.split(separator: "\n").compactMap { line in
        guard let data = line.data(using: .utf8), let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let r = o["recipient"] as? String, let s = o["status"] as? String
        else { return nil }
        return (r.lowercased(), s)
    }
}
