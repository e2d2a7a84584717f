import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A private Postfix instance (`postfix -c DIR/etc`) from the Debian package: its own queue, data directory and
/// `maillog_file`, no listener, everything relayed to the scripted peer on loopback, with queue lifetimes and
/// backoff of seconds so deferred mail expires within the test.
final class PostfixInstance: LoopbackMTA {
    static let command = "/usr/sbin/postfix"

    /// Why the tests cannot run here, or nil when they can.
    static var unavailable: String? {
        if !FileManager.default.isExecutableFile(atPath: command) { return "postfix is not installed (Debian package postfix; .ci/run installs it)" }
        if getuid() != 0 { return "a private Postfix instance needs root to start" }
        return nil
    }

    let dir: URL
    var etc: URL { dir.appendingPathComponent("etc") }
    var log: URL { dir.appendingPathComponent("maillog") }
    var logDirectory: URL { dir }
    private var master: Daemon?

    /// Where its smtpd listens on loopback (submission for the test, with the exported suppression table).
    let smtpPort: UInt16
    var suppressedTable: URL { etc.appendingPathComponent("bouncetail_suppressed") }

    init(dir: URL, relayPort: UInt16) throws {
        self.dir = dir
        smtpPort = try freeLoopbackPort()
        let fm = FileManager.default
        for sub in ["etc", "spool", "data"] { try fm.createDirectory(at: dir.appendingPathComponent(sub), withIntermediateDirectories: true) }
        // Queue and data directories must be reachable by the unprivileged daemons.
        chmod(dir.path, 0o755)
        try Self.mainCF(dir: dir, relayPort: relayPort).write(to: etc.appendingPathComponent("main.cf"), atomically: true, encoding: .utf8)
        try (Self.masterCF + "127.0.0.1:\(smtpPort) inet n - n - - smtpd\n")
            .write(to: etc.appendingPathComponent("master.cf"), atomically: true, encoding: .utf8)
        // The table `bouncetail list --format postfix` makes, empty until the test fills it.
        try "".write(to: suppressedTable, atomically: true, encoding: .utf8)
        try postmap()
        let perms = try runTool(Self.command, ["-c", etc.path, "set-permissions"], in: dir)
        guard perms.status == 0 else { throw MTAError.failed("postfix set-permissions: \(perms.output)") }
        let check = try runTool(Self.command, ["-c", etc.path, "check"], in: dir)
        guard check.status == 0 else { throw MTAError.failed("postfix check: \(check.output)") }
    }

    static func mainCF(dir: URL, relayPort: UInt16) -> String {
        """
        compatibility_level = 3.6
        queue_directory = \(dir.path)/spool
        data_directory = \(dir.path)/data
        maillog_file_prefixes = \(dir.path)
        maillog_file = \(dir.path)/maillog
        myhostname = mta.test
        mydomain = sender.test
        myorigin = sender.test
        mydestination =
        local_recipient_maps =
        alias_maps =
        alias_database =
        inet_interfaces = loopback-only
        inet_protocols = ipv4
        relayhost = [127.0.0.1]:\(relayPort)
        smtp_tls_security_level = none
        smtpd_tls_security_level = none
        maximal_queue_lifetime = 12s
        bounce_queue_lifetime = 12s
        minimal_backoff_time = 2s
        maximal_backoff_time = 3s
        queue_run_delay = 1s
        delay_warning_time = 0
        smtp_connect_timeout = 5s
        biff = no
        mynetworks = 127.0.0.0/8
        smtpd_recipient_restrictions = check_recipient_access hash:\(dir.path)/etc/bouncetail_suppressed, check_policy_service { unix:\(dir.path)/policy.sock, default_action=DUNNO, try_limit=1 }, permit_mynetworks, reject_unauth_destination

        """
    }

    /// The services a relay-only instance needs, none chrooted (the queue directory is not a prepared jail).
    static let masterCF = """
        pickup    unix  n       -       n       60      1       pickup
        cleanup   unix  n       -       n       -       0       cleanup
        qmgr      unix  n       -       n       300     1       qmgr
        rewrite   unix  -       -       n       -       -       trivial-rewrite
        bounce    unix  -       -       n       -       0       bounce
        defer     unix  -       -       n       -       0       bounce
        trace     unix  -       -       n       -       0       bounce
        verify    unix  -       -       n       -       1       verify
        flush     unix  n       -       n       1000?   0       flush
        proxymap  unix  -       -       n       -       -       proxymap
        proxywrite unix -       -       n       -       1       proxymap
        smtp      unix  -       -       n       -       -       smtp
        relay     unix  -       -       n       -       -       smtp
        showq     unix  n       -       n       -       -       showq
        error     unix  -       -       n       -       -       error
        retry     unix  -       -       n       -       -       error
        discard   unix  -       -       n       -       -       discard
        anvil     unix  -       -       n       -       1       anvil
        scache    unix  -       -       n       -       1       scache
        postlog   unix-dgram n  -       n       -       1       postlogd

        """

    func start() throws {
        master = try Daemon(Self.command, ["-c", etc.path, "start-fg"], in: dir, output: "postfix.out")
        // Up when the master has written its pid file and the log has its first line.
        guard waitUntil(seconds: 20, { FileManager.default.fileExists(atPath: self.log.path) }) else {
            throw MTAError.failed("postfix did not start: \(master?.text ?? "")")
        }
    }

    func send(from sender: String, to recipients: [String], subject: String) throws {
        let message = "From: \(sender)\nSubject: \(subject)\nMessage-ID: <\(UUID().uuidString)@sender.test>\n\nbouncetail end-to-end test\n"
        let r = try runTool("/usr/sbin/sendmail", ["-C", etc.path, "-f", sender, "-i", "--"] + recipients, in: dir, stdin: message)
        guard r.status == 0 else { throw MTAError.failed("sendmail: \(r.output)") }
    }

    let listFormat = "postfix"
    let refusalLogMarker = "NOQUEUE: reject: RCPT from"
    var policySocket: URL { dir.appendingPathComponent("policy.sock") }

    func installSuppressionList(_ text: String) throws {
        try text.write(to: suppressedTable, atomically: true, encoding: .utf8)
        try postmap()
        usleep(1_200_000)  // a hash table is noticed by its modification time, to the second
    }

    /// Builds the table's hash file, as an operator would after `bouncetail list --format postfix`.
    func postmap() throws {
        let r = try runTool("/usr/sbin/postmap", ["-c", etc.path, suppressedTable.path], in: dir)
        guard r.status == 0 else { throw MTAError.failed("postmap: \(r.output)") }
    }

    func queueIsEmpty() throws -> Bool {
        try runTool("/usr/sbin/postqueue", ["-c", etc.path, "-p"], in: dir).output.contains("Mail queue is empty")
    }

    /// `postfix logrotate`: renames maillog with a time suffix, has postlogd reopen it, gzips the old one.
    func rotateLog() throws {
        let r = try runTool(Self.command, ["-c", etc.path, "logrotate"], in: dir)
        guard r.status == 0 else { throw MTAError.failed("postfix logrotate: \(r.output)") }
    }

    /// Stops the master by the pid it wrote (`start-fg` runs it under a wrapper); the master stops its children.
    func stop() {
        let pidFile = dir.appendingPathComponent("spool/pid/master.pid")
        if let text = try? String(contentsOf: pidFile, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
            pid > 1
        {
            kill(pid, SIGTERM)
            if !waitUntil(seconds: 15, { kill(pid, 0) != 0 }) { kill(pid, SIGKILL) }
        }
        master?.stop()
        master = nil
    }

    deinit { stop() }
}

enum MTAError: Error, CustomStringConvertible {
    case failed(String)
    var description: String { if case .failed(let s) = self { s } else { "" } }
}
