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
              bouncetail track --state /var/lib/bouncetail \\
                  --deltas /var/lib/bouncetail/deltas.jsonl /var/log/mail.log*
              bouncetail scan mx1.log | bouncetail track --state st --events -
            """)

    @Option(help: "State directory (created if missing; one process at a time).")
    var state: String

    @Option(help: "Append deltas to this file, exactly once even across crashes (default: stdout, at least once).")
    var deltas: String?

    @Flag(help: "Inputs are outcome JSON Lines from `bouncetail scan`, not logs.")
    var events = false

    @Option(help: ArgumentHelp("Which suppressions an activity event (--events) lifts: soft (default) or none.", valueName: "soft|none"))
    var activityLifts: String = "soft"

    @Option(help: .hidden)
    var commitEvery: UInt64?

    @OptionGroup var output: DeltaOptions

    @OptionGroup var policy: PolicyOptions
    @OptionGroup var input: InputOptions

    func validate() throws {
        if activityLifts != "soft" && activityLifts != "none" { throw ValidationError("--activity-lifts: soft or none") }
        if events && input.journalInput.location != nil { throw ValidationError("--events reads outcome JSON Lines, not a journal") }
    }

    func run() throws {
        input.announceStdin()
        var settings = TrackSettings()
        settings.scan = input.settings()
        settings.scan.inFlightMaxAgeSeconds = policy.policy.pairMaxAgeSeconds
        settings.policy = policy.policy
        settings.events = events
        settings.activityLiftsSoft = activityLifts != "none"
        if let commitEvery { settings.commitEveryBytes = max(1, commitEvery) }
        output.apply(to: &settings)
        try runReportingErrors {
            let tracker = try Tracker(stateDirectory: state, settings: settings, deltasPath: deltas)
            let progress = input.progressLine()
            var lines = 0
            if progress.enabled {
                tracker.onProgress = { path, n, position, _ in
                    lines = n
                    progress.update(path, lines: n, position: position)
                }
                let warn = tracker.onWarning
                tracker.onWarning = { progress.clear(); warn($0) }
            }
            var failed = false
            for path in input.orderedFiles {
                lines = 0
                do {
                    try tracker.track(path: path)
                } catch let e as InputError {
                    progress.clear()
                    printError("bouncetail: \(e)")
                    failed = true
                }
                progress.finished(path, lines: lines)
            }
            if let location = input.journalInput.location {
                do {
                    try tracker.trackJournal(location, filter: input.journalInput.filter)
                } catch let e as InputError {
                    progress.clear()
                    printError("bouncetail: \(e)")
                    failed = true
                }
            }
            progress.clear()
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
    } catch let e as ServeError {
        printError("bouncetail: serve: \(e)")
        throw ExitCode(1)
    }
}

/// One suppressed address in each export format.
enum SuppressionListFormat {
    /// Appends one entry; false if the format cannot carry this key (the caller says so on stderr).
    @discardableResult
    static func append(_ key: [UInt8], _ r: BounceLedger.Recipient, format: ListFormat, to j: inout JSONBuffer) -> Bool {
        let address = String(decoding: key, as: UTF8.self)
        let reason = r.suppressReason ?? r.lastReason?.name ?? "manual"
        switch format {
        case .jsonl:
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
            r.appendCounters(to: &j)
            j.raw("}\n")
        case .csv:
            let fields = [address, reason, r.suppressedAt?.rfc3339 ?? "", r.until?.rfc3339 ?? "", "\(r.hard)", "\(r.soft)"]
            j.bytes += Array(fields.map(csvField).joined(separator: ",").utf8)
            j.byte(ASCII.newline)
        case .postfix:
            // postmap input: key, whitespace, action. A quoted local part is written as the address is (postmap
            // keeps the quotes and the blanks inside them, as Postfix's smtpd looks the address up).
            guard AddressSyntax.problem(key) == nil else { return false }
            j.bytes += key
            j.bytes += Array(" REJECT 5.1.1 suppressed: \(sanitised(reason))\n".utf8)
        case .exim:
            // lsearch: Exim's `recipients = lsearch;FILE` looks up the address as given, a quoted local part with
            // its quotes; a key with blanks, a colon, a quote or a # is written in lsearch's double quotes, with
            // backslash escapes.
            guard AddressSyntax.problem(key) == nil else { return false }
            let plain = key
            if plain.contains(where: { $0 == ASCII.space || $0 == ASCII.tab || $0 == ASCII.colon || $0 == ASCII.quote || $0 == UInt8(ascii: "#") || $0 == ASCII.backslash }) {
                j.byte(ASCII.quote)
                for b in plain {
                    if b == ASCII.quote || b == ASCII.backslash { j.byte(ASCII.backslash) }
                    j.byte(b)
                }
                j.byte(ASCII.quote)
            } else {
                j.bytes += plain
            }
            j.bytes += Array(": suppressed: \(sanitised(reason))\n".utf8)
        }
        return true
    }


    static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    static func sanitised(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || " .-_".contains($0) ? $0 : " " })
    }
}
