import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A private Exim (`exim4 -C FILE`) from Debian's `exim4-daemon-light`: its own spool and log directory, a
/// manualroute smarthost router to the scripted peer, retry rules of seconds. Debian's Exim and Postfix packages
/// conflict, so CI unpacks the Exim packages (`dpkg-deb -x`) into `$BOUNCETAIL_EXIM_ROOT` (default
/// /opt/bouncetail-ci/exim) instead of installing them; an installed Exim is used when present.
///
/// Exim started with `-C` on a configuration it does not trust gives up its privileges and logs to stderr
/// instead of its log files, so the configuration is written to one fixed path that
/// /etc/exim4/trusted_configs lists (`.ci/run` adds it), and it runs as the package's own user, Debian-exim
/// (which exim4-base's installation would create; `.ci/run` does).
final class EximInstance: LoopbackMTA {
    static var root: String { ProcessInfo.processInfo.environment["BOUNCETAIL_EXIM_ROOT"] ?? "/opt/bouncetail-ci/exim" }
    static var trustedConfig: String { root + "/bouncetail-test.conf" }

    /// The exim binary and Debian's exicyclog script, or nil.
    static var tools: (exim: String, exicyclog: String)? {
        for prefix in [root, ""] {
            let exim = prefix + "/usr/sbin/exim4", cycle = prefix + "/usr/sbin/exicyclog"
            let fm = FileManager.default
            if fm.isExecutableFile(atPath: exim), fm.fileExists(atPath: cycle) { return (exim, cycle) }
        }
        return nil
    }

    /// Why the tests cannot run here, or nil when they can.
    static var unavailable: String? {
        if tools == nil {
            return "Exim is not installed or unpacked (Debian exim4-daemon-light and exim4-base; .ci/run unpacks them into /opt/bouncetail-ci/exim)"
        }
        if getuid() != 0 { return "a private Exim with its own configuration needs root" }
        if getpwnam("Debian-exim") == nil { return "Exim's user Debian-exim does not exist (.ci/run creates it)" }
        let trusted = (try? String(contentsOfFile: "/etc/exim4/trusted_configs", encoding: .utf8)) ?? ""
        if !trusted.split(separator: "\n").contains(Substring(trustedConfig)) {
            return "Exim needs \(trustedConfig) listed in /etc/exim4/trusted_configs (.ci/run adds it)"
        }
        return nil
    }

    let dir: URL
    let exim: String
    let exicyclog: String
    var config: URL { URL(fileURLWithPath: Self.trustedConfig) }
    var logDirectory: URL { dir.appendingPathComponent("log") }
    var log: URL { logDirectory.appendingPathComponent("mainlog") }
    private var daemon: Daemon?

    /// Where its daemon listens on loopback (SMTP submission, with the exported suppression list in the ACL).
    let smtpPort: UInt16
    var suppressedList: URL { dir.appendingPathComponent("bouncetail_suppressed") }

    init(dir: URL, relayPort: UInt16) throws {
        guard let tools = Self.tools else { throw MTAError.failed("no exim") }
        (exim, exicyclog) = tools
        self.dir = dir
        smtpPort = try freeLoopbackPort()
        let fm = FileManager.default
        for sub in ["spool", "log"] { try fm.createDirectory(at: dir.appendingPathComponent(sub), withIntermediateDirectories: true) }
        chmod(dir.path, 0o755)
        try Self.configuration(exim: exim, dir: dir, relayPort: relayPort, listenPort: smtpPort)
            .write(to: config, atomically: true, encoding: .utf8)
        // The file `bouncetail list --format exim` makes, empty until the test fills it.
        try "".write(to: suppressedList, atomically: true, encoding: .utf8)
        // Exim gives up root for most work: its spool and logs belong to its user.
        for sub in ["spool", "log"] { _ = try runTool("/bin/chown", ["-R", "Debian-exim:Debian-exim", dir.appendingPathComponent(sub).path], in: dir) }
        let check = try runTool(exim, ["-C", config.path, "-bV"], in: dir)
        guard check.status == 0 else { throw MTAError.failed("exim -bV: \(check.output)") }
    }

    static func configuration(exim: String, dir: URL, relayPort: UInt16, listenPort: UInt16) -> String {
        """
        exim_path = \(exim)
        keep_environment =
        spool_directory = \(dir.path)/spool
        log_file_path = \(dir.path)/log/%slog
        primary_hostname = mta.test
        qualify_domain = sender.test
        local_interfaces = 127.0.0.1
        daemon_smtp_ports = \(listenPort)
        acl_smtp_rcpt = acl_check_rcpt
        delay_warning =
        ignore_bounce_errors_after = 0s
        timeout_frozen_after = 30s

        begin acl
        acl_check_rcpt:
          deny    recipients = lsearch;\(dir.path)/bouncetail_suppressed
                  message    = 5.1.1 $recipient_data
          deny    set acl_m_bt = ${readsocket{\(dir.path)/policy.sock}{$local_part@$domain\\n}{2s}{}{DUNNO}}
                  condition  = ${if match{$acl_m_bt}{\\N^REJECT \\N}}
                  message    = 5.1.1 ${sg{$acl_m_bt}{\\N^REJECT \\N}{}}
          accept  hosts = 127.0.0.1

        begin routers
        smarthost:
          driver = manualroute
          domains = *
          transport = remote_smtp
          route_list = * 127.0.0.1
          self = send
          no_more

        begin transports
        remote_smtp:
          driver = smtp
          port = \(relayPort)
          allow_localhost
          hosts_avoid_tls = *

        begin retry
        *   *   F,10s,2s

        """
    }

    func start() throws {
        daemon = try Daemon(exim, ["-C", config.path, "-bdf", "-q1s"], in: dir, output: "exim.out")
        guard waitUntil(seconds: 20, { FileManager.default.fileExists(atPath: self.log.path) }) else {
            throw MTAError.failed("exim did not start: \(daemon?.text ?? "")")
        }
    }

    func send(from sender: String, to recipients: [String], subject: String) throws {
        let message = "From: \(sender)\nSubject: \(subject)\nMessage-ID: <\(UUID().uuidString)@sender.test>\n\nbouncetail end-to-end test\n"
        // Queued only, for the daemon's queue runner to deliver: a process started with -C logs its own
        // deliveries to stderr, not to the main log.
        let r = try runTool(exim, ["-C", config.path, "-odq", "-f", sender, "-i", "--"] + recipients, in: dir, stdin: message)
        guard r.status == 0 else { throw MTAError.failed("exim: \(r.output)") }
    }

    let listFormat = "exim"
    let refusalLogMarker = "rejected RCPT <unknown@example.net>"
    var policySocket: URL { dir.appendingPathComponent("policy.sock") }

    /// lsearch files are read at each lookup: writing the file is enough.
    func installSuppressionList(_ text: String) throws {
        try text.write(to: suppressedList, atomically: true, encoding: .utf8)
    }

    func queueIsEmpty() throws -> Bool {
        let r = try runTool(exim, ["-C", config.path, "-bpc"], in: dir)
        return r.status == 0 && r.output.trimmingCharacters(in: .whitespacesAndNewlines) == "0"
    }

    /// Debian's `exicyclog`: mainlog → mainlog.01 (older ones shifted and gzipped), a fresh mainlog created.
    func rotateLog() throws {
        let r = try runTool("/bin/sh", [exicyclog, "-l", "\(logDirectory.path)/%slog", "-k", "5"], in: dir)
        guard r.status == 0 else { throw MTAError.failed("exicyclog: \(r.output)") }
    }

    func stop() {
        daemon?.stop()
        daemon = nil
    }

    deinit { stop() }
}

/// A TCP port on 127.0.0.1 that nothing listens on right now.
func freeLoopbackPort() throws -> UInt16 {
    let peer = try SMTPPeer()  // binds port 0: the kernel picks a free one
    let port = peer.port
    peer.stop()
    return port
}
