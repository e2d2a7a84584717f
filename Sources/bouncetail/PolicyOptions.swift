import ArgumentParser
import BounceTailCore

/// A length of log time: `7d`, `12h`, `30m`, `45s`, `2w`, or plain seconds; at most a hundred years.
struct Duration: ExpressibleByArgument {
    let seconds: Int64

    /// The longest duration taken: a hundred years (longer ones are refused, never wrapped around).
    static let longest: Int64 = 100 * 366 * 86400

    init?(argument: String) {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400]
        var value: Int64
        if let last = argument.last, let unit = units[last], let n = Int64(argument.dropLast()), n >= 0 {
            let (product, overflow) = n.multipliedReportingOverflow(by: unit)
            guard !overflow else { return nil }
            value = product
        } else if let n = Int64(argument), n >= 0 {
            value = n
        } else {
            return nil
        }
        guard value <= Self.longest else { return nil }
        seconds = value
    }

    /// As it is written on the command line: the largest unit that divides it (`7d`, `36h`, `90s`).
    var text: String {
        for (unit, size) in [("w", Int64(7 * 86400)), ("d", 86400), ("h", 3600), ("m", 60)] where seconds > 0 && seconds % size == 0 {
            if unit == "w" && seconds % 86400 == 0 { return "\(seconds / 86400)d" }
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }

    var defaultValueDescription: String { text }
}

/// `--suppress-for`: a duration or `forever`.
enum SuppressFor: ExpressibleByArgument {
    case forever
    case duration(Int64)

    init?(argument: String) {
        if argument == "forever" {
            self = .forever
        } else if let d = Duration(argument: argument), d.seconds > 0 {
            self = .duration(d.seconds)
        } else {
            return nil
        }
    }
}

/// The suppression policy flags shared by `track` and `follow`.
struct PolicyOptions: ParsableArguments {
    @Option(help: "Suppress after this many consecutive hard bounces.")
    var hardLimit: Int = 3

    @Option(help: "Suppress after this many consecutive soft failures...")
    var softLimit: Int = 5

    @Option(help: ArgumentHelp("...spanning at least this long (e.g. 7d, 36h).", valueName: "duration"))
    var softSpan: Duration = Duration(argument: "7d")!

    @Option(help: ArgumentHelp("How long a suppression lasts: a duration (7d) or forever.", valueName: "duration|forever"))
    var suppressFor: SuppressFor = .forever

    @Flag(help: "Count failures that are the sender's or the message's fault (blocklists, DMARC, spam) too.")
    var countSenderFaults = false

    @Option(help: ArgumentHelp("Forget in-flight messages not seen for this long.", valueName: "duration"))
    var inFlightMaxAge: Duration = Duration(argument: "10d")!

    func validate() throws {
        if hardLimit < 1 { throw ValidationError("--hard-limit must be at least 1") }
        if softLimit < 1 { throw ValidationError("--soft-limit must be at least 1") }
    }

    var policy: SuppressionPolicy {
        var p = SuppressionPolicy()
        p.hardLimit = hardLimit
        p.softLimit = softLimit
        p.softSpanSeconds = softSpan.seconds
        if case .duration(let s) = suppressFor { p.suppressForSeconds = s }
        p.countSenderFaults = countSenderFaults
        p.pairMaxAgeSeconds = inFlightMaxAge.seconds
        return p
    }
}
