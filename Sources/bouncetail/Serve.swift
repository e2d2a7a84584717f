import ArgumentParser
import BounceTailCore
import BounceTailIO
import Foundation

#if canImport(Glibc)
import Glibc
#endif

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer the MTA at RCPT time from the suppression list: Postfix's policy service, Exim's readsocket.",
        discussion: """
            Reads the state while track or follow write it; a commit (manual suppress/unsuppress included) is \\
            answered within a second. Refusals are counted per address and reason in DIR/refusals.db \\
            (bouncetail list --rejected, report --state). Runs until SIGINT or SIGTERM.
            Postfix (main.cf):
              smtpd_recipient_restrictions = check_policy_service unix:/run/bouncetail/policy, ...
            Exim (RCPT ACL):
              deny  condition = ${if match{${readsocket{/run/bouncetail/policy}{$local_part@$domain\\n}{2s}{\\n}{DUNNO}}}{^REJECT}}
                    message   = 5.1.1 suppressed
            Example:
              bouncetail serve --state /var/lib/bouncetail --listen unix:/run/bouncetail/policy
            """)

    @Option(help: "State directory (read only).")
    var state: String

    @Option(help: ArgumentHelp("Where to listen: unix:PATH or inet:HOST:PORT (repeatable).", valueName: "spec"))
    var listen: [String] = []

    @Option(help: ArgumentHelp("Answer for a soft suppression: defer (DEFER_IF_PERMIT), reject or dunno.", valueName: "answer"))
    var soft: String = "defer"

    @Flag(help: "When the state cannot be read, answer DEFER_IF_PERMIT (default: DUNNO, mail flows).")
    var failClosed = false

    func validate() throws {
        if listen.isEmpty { throw ValidationError("name where to listen: --listen unix:PATH or inet:HOST:PORT") }
        if PolicySettings.SoftAnswer(rawValue: soft) == nil { throw ValidationError("--soft: defer, reject or dunno") }
    }

    func run() throws {
        var settings = PolicySettings()
        settings.soft = PolicySettings.SoftAnswer(rawValue: soft)!
        settings.failClosed = failClosed
        StopSignals.install()
        signal(SIGPIPE, SIG_IGN)
        try runReportingErrors {
            let server = try PolicyServer(stateDirectory: state, settings: settings)
            for spec in listen { try server.listen(spec) }
            printError("bouncetail: serve: answering on \(listen.joined(separator: ", ")) from \(state)")
            server.run { StopSignals.requested }
        }
    }
}
