/// One change to the suppression list: the output of `track` and `follow` (docs/FORMAT.md, `delta`).
public struct SuppressionDelta: Equatable, Sendable {
    public enum Action: String, Sendable { case suppress, unsuppress }
    public enum Why: String, Sendable { case hard, soft, delivered, expired, manual, activity }

    public var seq: UInt64
    public var time: Instant
    public var action: Action
    public var recipient: [UInt8]
    public var why: Why
    /// The reason of the failure that led to a suppression; `delivered` for a delivery; the operator's text
    /// for a manual suppression; nil otherwise.
    public var reason: String?
    public var hard: Int
    public var soft: Int
    public var firstBounce: Instant?
    public var lastBounce: Instant?
    public var until: Instant?
    /// Where in the logs it happened (nil for manual changes).
    public var file: [UInt8]?
    public var line: Int?

    public init(
        seq: UInt64, time: Instant, action: Action, recipient: [UInt8], why: Why, reason: String?, hard: Int,
        soft: Int, firstBounce: Instant?, lastBounce: Instant?, until: Instant?, file: [UInt8]?, line: Int?
    ) {
        self.seq = seq
        self.time = time
        self.action = action
        self.recipient = recipient
        self.why = why
        self.reason = reason
        self.hard = hard
        self.soft = soft
        self.firstBounce = firstBounce
        self.lastBounce = lastBounce
        self.until = until
        self.file = file
        self.line = line
    }

    /// Appends the delta as one JSON line.
    public func append(to j: inout JSONBuffer) {
        j.raw("{\"type\":\"delta\",\"seq\":")
        j.int(Int(seq))
        j.raw(",\"time\":")
        Self.appendInstant(time, &j)
        j.raw(",\"action\":")
        j.string(action.rawValue)
        j.raw(",\"recipient\":")
        recipient.withUnsafeBufferPointer { j.string($0, 0..<$0.count) }
        j.raw(",\"why\":")
        j.string(why.rawValue)
        j.raw(",\"reason\":")
        if let reason { j.string(reason) } else { j.null() }
        Self.appendCounters(hard: hard, soft: soft, firstBounce: firstBounce, lastBounce: lastBounce, to: &j)
        j.raw(",\"until\":")
        Self.appendInstant(until, &j)
        j.raw(",\"file\":")
        if let file { file.withUnsafeBufferPointer { j.string($0, 0..<$0.count) } } else { j.null() }
        j.raw(",\"line\":")
        if let line { j.int(line) } else { j.null() }
        j.raw("}\n")
    }

    /// `,"hard":N,"soft":N,"first_bounce":T,"last_bounce":T`, as deltas, the state file and `list` write them.
    public static func appendCounters(hard: Int, soft: Int, firstBounce: Instant?, lastBounce: Instant?,
                                      to j: inout JSONBuffer) {
        j.raw(",\"hard\":")
        j.int(hard)
        j.raw(",\"soft\":")
        j.int(soft)
        j.raw(",\"first_bounce\":")
        appendInstant(firstBounce, &j)
        j.raw(",\"last_bounce\":")
        appendInstant(lastBounce, &j)
    }

    public static func appendInstant(_ t: Instant?, _ j: inout JSONBuffer) {
        guard let t else { return j.null() }
        j.byte(ASCII.quote)
        t.appendRFC3339(to: &j.bytes)
        j.byte(ASCII.quote)
    }
}
