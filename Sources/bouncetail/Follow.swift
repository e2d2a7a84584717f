import ArgumentParser
import BounceTailCore
import BounceTailIO
import Foundation

#if canImport(Glibc)
import Glibc
#endif

struct Follow: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow live mail logs through rotation and keep the suppression list current.",
        discussion: """
            Runs until SIGINT or SIGTERM, then commits and exits 0. Starts where the state directory left off.
            Example:
              bouncetail follow --state /var/lib/bouncetail \\
                  --deltas /var/lib/bouncetail/deltas.jsonl /var/log/mail.log
              bouncetail follow --state /var/lib/bouncetail --journal --unit postfix@-
            """)

    @Option(help: "State directory (created if missing; one process at a time).")
    var state: String

    @Option(help: "Append deltas to this file, exactly once even across crashes (default: stdout, at least once).")
    var deltas: String?

    @Option(help: "With a fresh state, where to begin: start or end of the files.")
    var from: String = "start"

    @Option(help: ArgumentHelp("How long a rotated-away file must stay quiet before the new one is read.", valueName: "duration"))
    var rotateWait: String = "5s"

    @Option(help: ArgumentHelp("Longest pause between two looks at an idle file.", valueName: "duration"))
    var pollInterval: String = "250ms"

    @Flag(help: "Report lines per second on stderr every 10 seconds.")
    var verbose = false

    @OptionGroup var output: DeltaOptions

    @OptionGroup var policy: PolicyOptions

    @Option(help: "Zone of stamps that carry none: an IANA name, UTC or +01:00.")
    var timezone: String?

    @Option(help: "Log format: auto, postfix or exim.")
    var format: LogFormat = .auto

    @OptionGroup var lines: LineOptions

    @Flag(help: "The files hold outcome JSON Lines from `bouncetail scan` and activity events, not logs.")
    var events = false

    @Option(help: ArgumentHelp("Which suppressions an activity event (--events) lifts: soft (default) or none.", valueName: "soft|none"))
    var activityLifts: String = "soft"

    @Option(help: ArgumentHelp("Also answer the MTA at RCPT, as bouncetail serve does, on unix:PATH or inet:HOST:PORT (repeatable).", valueName: "spec"))
    var serve: [String] = []

    @Flag(help: "No routine notes on stderr (following, rotated); warnings and errors are still printed.")
    var quiet = false

    @OptionGroup var journalInput: JournalOptions

    @Argument(help: "The live log files to follow (none when following a journal).")
    var files: [String] = []

    func validate() throws {
        guard from == "start" || from == "end" else { throw ValidationError("--from must be start or end") }
        guard activityLifts == "soft" || activityLifts == "none" else { throw ValidationError("--activity-lifts: soft or none") }
        guard Self.seconds(rotateWait) != nil else { throw ValidationError("--rotate-wait: a duration such as 5s or 500ms") }
        guard Self.seconds(pollInterval) != nil else { throw ValidationError("--poll-interval: a duration such as 250ms") }
        guard SystemZone.named(timezone) != nil else { throw ValidationError("unknown time zone '\(timezone ?? "")'") }
        if journalInput.location != nil {
            guard files.isEmpty else { throw ValidationError("follow either log files or a journal, not both (run two followers with two states)") }
            guard !events else { throw ValidationError("--events reads outcome JSON Lines, not a journal") }
        } else {
            guard !files.isEmpty else { throw ValidationError("name at least one file to follow, or --journal") }
        }
    }

    static func seconds(_ text: String) -> Double? {
        if text.hasSuffix("ms"), let v = Double(text.dropLast(2)) { return v / 1000 }
        if let d = Duration(argument: text) { return Double(d.seconds) }
        return Double(text)
    }

    func run() throws {
        var settings = TrackSettings()
        settings.scan.format = format
        settings.scan.zone = SystemZone.named(timezone) ?? FixedZone.utc
        lines.apply(to: &settings.scan)
        settings.policy = policy.policy
        settings.scan.inFlightMaxAgeSeconds = policy.policy.pairMaxAgeSeconds
        output.apply(to: &settings)
        settings.events = events
        settings.activityLiftsSoft = activityLifts != "none"
        var f = FollowSettings()
        f.fromEnd = from == "end"
        f.rotateWaitSeconds = Self.seconds(rotateWait)!
        f.pollIntervalSeconds = Self.seconds(pollInterval)!
        if verbose { f.rateReportSeconds = 10 }
        f.quiet = quiet
        StopSignals.install()
        try runReportingErrors {
            let tracker = try Tracker(stateDirectory: state, settings: settings, deltasPath: deltas)
            // One unit does both: the policy service reads the state this follower commits, on a thread of its own.
            let service = try serve.isEmpty ? nil : PolicyServer(stateDirectory: state, settings: PolicySettings())
            let served = DispatchSemaphore(value: 0)
            let stopService = StopFlag()
            if let service {
                for spec in serve { try service.listen(spec) }
                signal(SIGPIPE, SIG_IGN)
                Thread {
                    service.run { StopSignals.requested || stopService.value }
                    served.signal()
                }.start()
                printError("bouncetail: serve: answering on \(serve.joined(separator: ", ")) from \(state)")
            }
            defer {
                if service != nil {
                    stopService.value = true
                    served.wait()
                }
            }
            if let location = journalInput.location {
                try tracker.followJournal(
                    location, filter: journalInput.filter, settings: f, shouldStop: { StopSignals.requested },
                    status: { printError("bouncetail: \($0)") })
            } else {
                try tracker.follow(
                    paths: files, settings: f, shouldStop: { StopSignals.requested },
                    status: { printError("bouncetail: \($0)") })
            }
        }
    }
}
