import ArgumentParser
import BounceTailCore
import BounceTailIO
import Foundation

struct Track: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Keep per-recipient bounce counters and print suppression changes (deltas) as JSON Lines.",
        discussion: """
            Runs again over the same files only read what is new: inputs are recognised by content, so \
            rotation (mail.log → mail.log.1 → mail.log.2.gz) neither repeats nor skips anything.
            Examples:
              bouncetail track --state /var/lib/bouncetail --deltas /var/lib/bouncetail/deltas.jsonl /var/log/mail.log*
              bouncetail scan mx1.log | bouncetail track --state st --events -
            """)

    @Option(help: "State directory (created if missing; one process at a time).")
    var state: String

    @Option(help: "Append deltas to this file, exactly once even across crashes (default: stdout, at least once).")
    var deltas: String?

    @Flag(help: "Inputs are outcome JSON Lines from `bouncetail scan`, not logs.")
    var events = false

    @Option(help: .hidden)
    var commitEvery: UInt64?

    @OptionGroup var policy: PolicyOptions
    @OptionGroup var input: InputOptions

    func run() throws {
        var settings = TrackSettings()
        settings.scan = input.settings()
        settings.scan.inFlightMaxAgeSeconds = policy.policy.pairMaxAgeSeconds
        settings.policy = policy.policy
        settings.events = events
        if let commitEvery { settings.commitEveryBytes = max(1, commitEvery) }
        try runReportingErrors {
            let tracker = try Tracker(stateDirectory: state, settings: settings, deltasPath: deltas)
            var failed = false
            for path in input.orderedFiles {
                do {
                    try tracker.track(path: path)
                } catch let e as InputError {
                    printError("bouncetail: \(e)")
                    failed = true
                }
            }
            try tracker.finish()
            if failed { throw ExitCode(1) }
        }
    }
}

/// Runs `body`, turning state and output errors into a message and exit status 1, a closed stdout into 0.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch is BrokenPipe {
        return
    } catch let e as StateError {
        printError("bouncetail: \(e)")
        throw ExitCode(1)
    } catch let e as InputError {
        printError("bouncetail: \(e)")
        throw ExitCode(1)
    } catch let e as OutputError {
        printError("bouncetail: \(e)")
        throw ExitCode(1)
    }
}

struct StateOptions: ParsableArguments {
    @Option(help: "State directory.")
    var state: String

    @Option(help: "Append the deltas to this file (as `track --deltas`).")
    var deltas: String?
}

struct Suppress: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Suppress addresses by hand (a delta with \"why\":\"manual\").",
        discussion: "Example:\n  bouncetail suppress --state /var/lib/bouncetail --reason \"asked to stop\" someone@example.net")

    @OptionGroup var options: StateOptions

    @Option(help: "Why (kept with the suppression).")
    var reason: String = "manual"

    @Argument(help: "Addresses to suppress.")
    var addresses: [String]

    func run() throws {
        try runReportingErrors {
            let tracker = try Tracker(stateDirectory: options.state, settings: TrackSettings(), deltasPath: options.deltas)
            try tracker.suppress(addresses, reason: reason, at: Instant(seconds: Int64(Date().timeIntervalSince1970)))
            try tracker.finish()
        }
    }
}

struct Unsuppress: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Lift suppressions by hand and reset the counters (a delta with \"why\":\"manual\").",
        discussion: "Example:\n  bouncetail unsuppress --state /var/lib/bouncetail someone@example.net")

    @OptionGroup var options: StateOptions

    @Argument(help: "Addresses to unsuppress.")
    var addresses: [String]

    func run() throws {
        try runReportingErrors {
            let tracker = try Tracker(stateDirectory: options.state, settings: TrackSettings(), deltasPath: options.deltas)
            try tracker.unsuppress(addresses, at: Instant(seconds: Int64(Date().timeIntervalSince1970)))
            try tracker.finish()
        }
    }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the current suppression list as JSON Lines.",
        discussion: "Example:\n  bouncetail list --state /var/lib/bouncetail")

    @Option(help: "State directory.")
    var state: String

    func run() throws {
        try runReportingErrors {
            let store = try StateStore(directory: state)
            let ledger = BounceLedger(policy: SuppressionPolicy())
            var inFlight = InFlightMessages()
            _ = try store.load(into: ledger, inFlight: &inFlight)
            let out = OutputStream()
            var j = JSONBuffer()
            for (key, r) in ledger.snapshotRecipients where r.suppressed {
                j.raw("{\"type\":\"suppression\",\"recipient\":")
                key.withUnsafeBufferPointer { j.string($0, 0..<$0.count) }
                j.raw(",\"why\":")
                j.string(r.suppressWhy?.rawValue ?? "manual")
                j.raw(",\"reason\":")
                if let s = r.suppressReason { j.string(s) } else { j.null() }
                j.raw(",\"since\":")
                SuppressionDelta.appendInstant(r.suppressedAt, &j)
                j.raw(",\"until\":")
                SuppressionDelta.appendInstant(r.until, &j)
                j.raw(",\"hard\":")
                j.int(r.hard)
                j.raw(",\"soft\":")
                j.int(r.soft)
                j.raw(",\"first_bounce\":")
                SuppressionDelta.appendInstant(r.firstBounce, &j)
                j.raw(",\"last_bounce\":")
                SuppressionDelta.appendInstant(r.lastBounce, &j)
                j.raw("}\n")
            }
            out.buffer = j.bytes
            try out.flush()
        }
    }
}
