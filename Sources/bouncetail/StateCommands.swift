import ArgumentParser
import BounceTailCore
import BounceTailIO
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `track` and `follow`'s options about the deltas the state keeps and numbers.
struct DeltaOptions: ParsableArguments {
    @Flag(help: "With a new state and a deltas file that already holds deltas, number on from the file's last seq.")
    var continueSeq = false

    @Option(help: "Deltas kept in the state for `bouncetail deltas --since` (besides those not yet written out).")
    var keepDeltas: UInt64 = 100_000

    @Option(help: ArgumentHelp("With --state postgresql://...: this host's name in the shared state (default: the system's host name).", valueName: "name"))
    var hostName: String?

    @Option(help: ArgumentHelp("With --state postgresql://...: how far behind the fleet's newest log time a host's outcomes are still placed exactly (default 1d).", valueName: "duration"))
    var reorderWindow: Duration?

    func apply(to settings: inout TrackSettings) {
        settings.continueSeq = continueSeq
        settings.keepDeltas = keepDeltas
        settings.hostName = hostName
        if let reorderWindow { settings.reorderWindowSeconds = reorderWindow.seconds }
    }
}

struct StateOptions: ParsableArguments {
    @Option(help: "State directory.")
    var state: String

    @Option(help: "Append the deltas to this file (as `track --deltas`; a running follow writes its own).")
    var deltas: String?
}

/// Suppress or unsuppress by hand: directly when no writer runs, else queued for the running one (which
/// applies it within a second and writes its delta to its own deltas file).
/// Where `suppress` and `unsuppress` take addresses from, and what they do with bad ones.
struct AddressOptions: ParsableArguments {
    @Option(name: .customLong("file"), help: ArgumentHelp(
        "Read addresses from this file (- for stdin): one per line, or a CSV export (the first column holding an @, or --column). Repeatable.",
        valueName: "file"))
    var files: [String] = []

    @Option(help: ArgumentHelp("The CSV column with the addresses: its number (1 is the first) or its header's name.", valueName: "n|name"))
    var column: String?

    @Flag(help: "Change the valid addresses and skip the others (default: change nothing if any is refused).")
    var skipInvalid = false

    @Argument(help: "Addresses (- reads them from stdin, one per line).")
    var addresses: [String] = []

    func validate() throws {
        if addresses.isEmpty && files.isEmpty { throw ValidationError("name addresses, or --file FILE (- for stdin)") }
    }

    /// The valid addresses; the refused ones are named on stderr, and unless --skip-invalid nothing is done.
    func read(suppressing: Bool) throws -> [String] { try readEntries(suppressing: suppressing).map(\.address) }

    func readEntries(suppressing: Bool) throws -> [AddressInput.Entry] {
        var input = try AddressInput.read(arguments: addresses, files: files, column: column)
        if suppressing {
            // postmaster must be accepted (RFC 5321) and abuse reachable (RFC 2142): never suppressed.
            let (protected, rest) = (input.entries.filter { AddressSyntax.isProtected(Array($0.address.utf8)) },
                                     input.entries.filter { !AddressSyntax.isProtected(Array($0.address.utf8)) })
            input.entries = rest
            input.refused += protected.map { ($0, "postmaster and abuse must stay reachable (RFC 5321, RFC 2142); never suppressed") }
        }
        for (e, why) in input.refused { printError("bouncetail: \(e.origin): \(e.address.isEmpty ? "\"\"" : e.address): refused: \(why)") }
        if !input.refused.isEmpty && !skipInvalid {
            printError("bouncetail: \(input.refused.count) address(es) refused; nothing changed (fix them, or pass --skip-invalid)")
            throw ExitCode(1)
        }
        if input.entries.isEmpty {
            printError("bouncetail: no addresses to change")
            throw ExitCode(1)
        }
        return input.entries
    }
}

/// A suppression's reason: the kind of entry (bounce, complaint, unsubscribe, manual, ...) or a short note.
func checkedReason(_ reason: String) throws -> String {
    let r = reason.trimmingCharacters(in: .whitespaces)
    guard !r.isEmpty, r.utf8.count <= 200, !r.unicodeScalars.contains(where: { $0.value < 32 || $0.value == 127 }) else {
        throw ValidationError("--reason: one line of at most 200 bytes (a kind such as complaint, unsubscribe or manual, or a short note)")
    }
    return r
}

func changeByHand(_ action: QueuedCommand.Action, _ options: StateOptions, _ addresses: [String], reason: String?,
                  times: [Instant]? = nil) throws {
    let now = Instant(seconds: Int64(Date().timeIntervalSince1970))
    let times = times ?? Array(repeating: now, count: addresses.count)
    try runReportingErrors {
        do {
            let tracker = try Tracker(stateDirectory: options.state, settings: TrackSettings(), deltasPath: options.deltas,
                                      byHand: PostgresState.isConnectionString(options.state))
            switch action {
            case .suppress: try tracker.suppress(addresses, reason: reason ?? "manual", at: now)
            case .unsuppress: try tracker.unsuppress(addresses, at: now)
            case .activity: try tracker.activity(Array(zip(addresses, times)).map { (address: $0.0, time: $0.1) }, liftsSoft: reason != "lifts none")
            case .reset: try tracker.reset(addresses)
            }
            try tracker.finish()
            return
        } catch let e as StateError where e.inUse {
            // A writer runs (follow, most likely): queue the change for it.
        }
        let store = try SQLiteStateStore(directory: options.state, access: .queue)
        let ids = try store.enqueue(zip(addresses, times).map { (action, $0.0, reason, $0.1) })
        var applied: [Int64: (seq: UInt64?, note: String?)] = [:]
        let deadline = Date().addingTimeInterval(5)
        while applied.count < ids.count && Date() < deadline {
            usleep(50_000)
            applied = try store.appliedCommands(ids)
        }
        for (id, address) in zip(ids, addresses) {
            guard let result = applied[id] else { continue }
            if let note = result.note { printError("bouncetail: \(address): \(note)") }
        }
        if applied.count < ids.count {
            printError("bouncetail: \(options.state): \(ids.count - applied.count) change(s) queued for the running bouncetail, which has not applied them yet (it applies them at its next look)")
        } else if options.deltas != nil {
            printError("bouncetail: applied by the running bouncetail; its deltas went to its own deltas file, not --deltas")
        }
    }
}

struct Suppress: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Suppress addresses by hand (a delta with \"why\":\"manual\"); works beside a running follow.",
        discussion: """
            Addresses are checked (RFC 5321 mailbox syntax, quoted local parts allowed); postmaster@ and abuse@ are \
            never suppressed. --reason says what kind of entry it is, as suppression lists keep them apart: \
            complaint, unsubscribe, manual (the default), bounce, or a short note.
            Examples:
              bouncetail suppress --state /var/lib/bouncetail --reason complaint \\
                  someone@example.net
              bouncetail suppress --state /var/lib/bouncetail --reason unsubscribe \\
                  --file unsubscribes.csv --column email
              cut -d, -f1 export.csv | bouncetail suppress --state /var/lib/bouncetail -
            """)

    @OptionGroup var options: StateOptions

    @Option(help: "What kind of entry (complaint, unsubscribe, manual, bounce) or a short note; kept with the suppression.")
    var reason: String = "manual"

    @OptionGroup var input: AddressOptions

    func validate() throws { _ = try checkedReason(reason) }

    func run() throws {
        let addresses = try input.read(suppressing: true)
        try changeByHand(.suppress, options, addresses, reason: try checkedReason(reason))
    }
}

struct Unsuppress: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Lift suppressions by hand and reset the counters (a delta with \"why\":\"manual\"); works beside a running follow.",
        discussion: "Example:\n  bouncetail unsuppress --state /var/lib/bouncetail someone@example.net")

    @OptionGroup var options: StateOptions

    @OptionGroup var input: AddressOptions

    func run() throws { try changeByHand(.unsuppress, options, try input.read(suppressing: false), reason: nil) }
}

struct Activity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record activity (an open, a click, a reply): the address is alive, its consecutive bounces start again.",
        discussion: """
            As marketing platforms count "consecutive bounces without recorded activity": the counters are reset \
            as a delivery resets them, at the activity's own time (an activity older than the last bounce does not \
            undo it). A soft suppression is lifted (a delta with "why":"activity") unless --activity-lifts none; a \
            hard or manual one stays until a delivery or an unsuppress. Works beside a running follow.
            Addresses as for suppress, or JSON Lines from an application: {"type":"activity","recipient":"a@b","time":"2026-12-02T10:00:00Z"}.
            Examples:
              bouncetail activity --state /var/lib/bouncetail reader@example.net
              app-events | bouncetail activity --state /var/lib/bouncetail --file -
            """)

    @OptionGroup var options: StateOptions

    @Option(help: ArgumentHelp("When the activity happened (RFC 3339; default now), for addresses without their own time.", valueName: "time"))
    var at: String?

    @Option(help: ArgumentHelp("Which suppressions activity lifts: soft (default) or none.", valueName: "soft|none"))
    var activityLifts: String = "soft"

    @OptionGroup var input: AddressOptions

    func validate() throws {
        if let at, Instant(rfc3339: at) == nil { throw ValidationError("--at: an RFC 3339 time such as 2026-12-02T10:00:00Z") }
        if activityLifts != "soft" && activityLifts != "none" { throw ValidationError("--activity-lifts: soft or none") }
    }

    func run() throws {
        let entries = try input.readEntries(suppressing: false)
        let fallback = at.flatMap { Instant(rfc3339: $0) } ?? Instant(seconds: Int64(Date().timeIntervalSince1970))
        try changeByHand(.activity, options, entries.map(\.address), reason: activityLifts == "soft" ? "lifts soft" : "lifts none",
                         times: entries.map { $0.time ?? fallback })
    }
}

struct Reset: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Zero addresses' bounce counters by hand without changing the list; works beside a running follow.",
        discussion: "Example:\n  bouncetail reset --state /var/lib/bouncetail reader@example.net")

    @OptionGroup var options: StateOptions

    @OptionGroup var input: AddressOptions

    func run() throws { try changeByHand(.reset, options, try input.read(suppressing: false), reason: nil) }
}

enum ListFormat: String, ExpressibleByArgument, CaseIterable {
    case jsonl, csv, postfix, exim
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the current suppression list: JSON Lines, CSV, a Postfix access table or an Exim lsearch file.",
        discussion: """
            Reads the state while track or follow write it.
            Examples:
              bouncetail list --state /var/lib/bouncetail
              bouncetail list --state /var/lib/bouncetail --format postfix \\
                  > /etc/postfix/bouncetail_suppressed
              bouncetail list --state /var/lib/bouncetail --format csv > suppressed.csv
            """)

    @Option(help: "State directory.")
    var state: String

    @Option(help: "Output format: jsonl, csv, postfix (check_recipient_access table) or exim (lsearch file).")
    var format: ListFormat = .jsonl

    @Flag(help: "List the refusals of bouncetail serve instead (per address and reason, most first; jsonl or csv).")
    var rejected = false

    func run() throws {
        if rejected { return try listRejected() }
        try runReportingErrors {
            let store = try readableStore(state)
            let out = OutputStream()
            var j = JSONBuffer()
            if format == .csv { j.raw("recipient,reason,since,until,hard,soft\n") }
            try store.forEachSuppressed { key, r in
                if !SuppressionListFormat.append(key, r, format: format, to: &j) {
                    printError("bouncetail: \(state): \(String(decoding: key, as: UTF8.self)): not an address a \(format.rawValue) table can hold; left out (bouncetail unsuppress it)")
                }
                if j.bytes.count >= 1 << 16 {
                    out.buffer = j.bytes
                    try out.flush()
                    j.bytes.removeAll(keepingCapacity: true)
                }
            }
            out.buffer = j.bytes
            try out.flush()
        }
    }

    private func listRejected() throws {
        guard format == .jsonl || format == .csv else { throw ValidationError("--rejected lists as jsonl or csv") }
        try runReportingErrors {
            _ = try SQLiteStateStore(directory: state, access: .read)  // a state directory, not a typo
            let rows = try RefusalLog.read(stateDirectory: state)
            var j = JSONBuffer()
            if format == .csv { j.raw("recipient,reason,count,first,last\n") }
            for r in rows {
                if format == .csv {
                    j.bytes += Array([r.address, r.reason, "\(r.count)", r.first, r.last].map(SuppressionListFormat.csvField).joined(separator: ",").utf8)
                    j.byte(ASCII.newline)
                } else {
                    j.raw("{\"type\":\"refusal\",\"recipient\":")
                    j.string(r.address)
                    j.raw(",\"reason\":")
                    j.string(r.reason)
                    j.raw(",\"count\":")
                    j.int(r.count)
                    j.raw(",\"first\":")
                    j.string(r.first)
                    j.raw(",\"last\":")
                    j.string(r.last)
                    j.raw("}\n")
                }
            }
            let out = OutputStream()
            out.buffer = j.bytes
            try out.flush()
        }
    }
}

struct Deltas: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the deltas the state keeps after a seq: for a consumer that lost its place.",
        discussion: """
            Example:
              bouncetail deltas --state /var/lib/bouncetail --since 1041
            Deltas are kept for --keep-deltas (track, follow; 100,000 by default). Asking for older ones than \
            are kept is an error (exit 1) naming the oldest kept, so a gap is never silent.
            """)

    @Option(help: "State directory.")
    var state: String

    @Option(help: "Print the deltas with a seq above this one.")
    var since: UInt64 = 0

    func run() throws {
        try runReportingErrors {
            let store = try readableStore(state)
            let last = UInt64(max(0, try store.metaValue("last_seq") ?? 0))
            if since < last, let oldest = try store.oldestKeptSeq(), oldest > since + 1 {
                throw StateError(message: "\(store.location): deltas \(since + 1)–\(oldest - 1) are no longer kept (the oldest kept is \(oldest), the last \(last)); `--since \(oldest - 1)` prints what is kept")
            }
            if since < last, try store.oldestKeptSeq() == nil {
                throw StateError(message: "\(store.location): deltas \(since + 1)–\(last) are no longer kept")
            }
            let out = OutputStream()
            try store.forEachDelta(after: since) { _, json in
                out.buffer += json
                try out.flushIfFull()
            }
            try out.flush()
        }
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a state directory: SQLite's integrity check and every stored value's range.",
        discussion: "Exit status 0 when it is sound, 1 with each problem on stderr.\nExample:\n  bouncetail check --state /var/lib/bouncetail")

    @Option(help: "State directory.")
    var state: String

    func run() throws {
        try runReportingErrors {
            let store = try readableStore(state)
            let problems = try store.check()
            for p in problems { printError("bouncetail: \(p)") }
            if !problems.isEmpty { throw ExitCode(1) }
            var suppressed = 0
            try store.forEachSuppressed { _, _ in suppressed += 1 }
            print("\(store.location): ok; \(suppressed) suppressed, last seq \(try store.metaValue("last_seq") ?? 0)")
        }
    }
}

/// A state opened for reading: a directory, or a database shared by many hosts.
func readableStore(_ state: String) throws -> StateStore {
    PostgresState.isConnectionString(state)
        ? try PostgresStateStore(state, host: PostgresState.systemHostName, access: .read)
        : try SQLiteStateStore(directory: state, access: .read)
}
