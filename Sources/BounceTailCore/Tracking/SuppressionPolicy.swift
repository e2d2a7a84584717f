/// When a recipient is suppressed and for how long (flags of `track` and `follow`; docs/TRACKING.md).
public struct SuppressionPolicy: Sendable, Equatable {
    /// Suppress after this many consecutive hard bounces.
    public var hardLimit: Int = 3
    /// Suppress after this many consecutive soft failures...
    public var softLimit: Int = 5
    /// ...that span at least this long (seconds of log time).
    public var softSpanSeconds: Int64 = 7 * 86400
    /// How long a suppression lasts; nil is forever.
    public var suppressForSeconds: Int64? = nil
    /// Count failures whose fault is the sender's or the message's against the recipient too.
    public var countSenderFaults = false
    /// Forget a message's recipients this long after they were last seen (a log without `removed` lines).
    public var pairMaxAgeSeconds: Int64 = 10 * 86400

    public init() {}

    /// When a suppression made at `time` ends (nil: never). Past the year 9999 an end cannot be written as a
    /// time: such an end is the last second of it.
    public func end(ofSuppressionAt time: Instant) -> Instant? {
        guard let d = suppressForSeconds else { return nil }
        let latest = Instant.latestStorable.seconds
        return time.seconds > latest - min(d, latest)
            ? Instant.latestStorable
            : Instant(seconds: time.seconds + d, nanoseconds: time.nanoseconds, fractionDigits: time.fractionDigits)
    }
}
