import ArgumentParser
import Foundation
import BounceTailCore
import BounceTailIO

/// How log lines are read: the year of legacy stamps and the longest line (scan, track, report, follow).
struct LineOptions: ParsableArguments {
    @Option(help: "Year of the first legacy syslog stamp (default: from the file's modification time).")
    var year: Int?

    @Option(help: "Longest line read; longer lines are skipped with a warning.")
    var maxLineBytes: Int = 64 * 1024

    func validate() throws {
        if maxLineBytes < 256 { throw ValidationError("--max-line-bytes must be at least 256") }
        if maxLineBytes > 1 << 30 { throw ValidationError("--max-line-bytes must be at most 1073741824 (1 GiB)") }
        if let year, year < 1970 || year > 9999 { throw ValidationError("--year must be between 1970 and 9999") }
    }

    func apply(to s: inout ScanSettings) {
        s.fixedYear = year
        s.maxLineBytes = maxLineBytes
    }
}

/// Options of every command that reads logs.
struct InputOptions: ParsableArguments {
    @Option(help: "Log format: auto (detected per file), postfix or exim.")
    var format: LogFormat = .auto

    @Option(help: ArgumentHelp(
        "Zone of stamps that carry none (legacy syslog, Exim without +hhmm): an IANA name, UTC or +01:00.",
        valueName: "zone"))
    var timezone: String?

    @OptionGroup var lines: LineOptions

    @Flag(help: "No progress line on stderr (it is shown only when stderr is a terminal).")
    var quiet = false

    @OptionGroup var journalInput: JournalOptions

    @Argument(help: "Log files, plain or gzip, in any order (rotated sets are read oldest first); - or none (and no journal) for stdin.")
    var files: [String] = []

    func validate() throws {
        if SystemZone.named(timezone) == nil {
            throw ValidationError("unknown time zone '\(timezone ?? "")' (use an IANA name, UTC, or +hh:mm)")
        }
    }

    func settings() -> ScanSettings {
        var s = ScanSettings()
        s.format = format
        s.zone = SystemZone.named(timezone) ?? FixedZone.utc
        lines.apply(to: &s)
        return s
    }

    /// A progress line on stderr when it is a terminal and --quiet is not given.
    func progressLine() -> ProgressLine { ProgressLine(enabled: !quiet && isatty(2) == 1, files: orderedFiles) }

    /// Opens each input in reading order and hands it to `body`. An input that cannot be opened or read to its
    /// end is reported (file and reason) and the others still run; returns whether any was.
    func forEachInput(progress: ProgressLine? = nil, _ body: (String, OpenedInput) throws -> Void) throws -> Bool {
        var failed = false
        for path in orderedFiles {
            do {
                try body(path, try InputOpener.open(path))
            } catch let e as InputError {
                progress?.clear()
                printError("bouncetail: \(e)")
                failed = true
            }
            progress?.finished(path, lines: 0)
        }
        if let location = journalInput.location {
            do {
                try body(location.description, try InputOpener.journal(
                    location, filter: journalInput.filter, maxLineBytes: lines.maxLineBytes,
                    onWarning: { progress?.clear(); printError("bouncetail: \($0)") }))
            } catch let e as InputError {
                progress?.clear()
                printError("bouncetail: \(e)")
                failed = true
            }
        }
        return failed
    }

    /// Says so when the input is a terminal on stdin (no file named): otherwise the command seems to hang.
    func announceStdin() {
        if orderedFiles.contains("-"), isatty(0) == 1 {
            printError("bouncetail: reading log lines from stdin (a terminal); end with Ctrl-D, or name FILE arguments")
        }
    }

    /// The inputs in reading order.
    var orderedFiles: [String] {
        files.isEmpty ? (journalInput.location == nil ? ["-"] : []) : RotationOrder.oldestFirst(files)
    }
}

extension LogFormat: ExpressibleByArgument {}
