/// A recipient's record in a state that many hosts write (docs/STATE.md, "Order across hosts").
///
/// Hosts commit in any order and late, so a record cannot be a counter that each commit increments: a
/// bounce committed after a delivery that happened later than it would count when it should not. Instead the
/// record keeps the points that changed it since its last delivery, in log-time order; a commit inserts its
/// points where they happened and replays them from the last delivery with the rules of `BounceLedger`. The
/// result is the record one `track` over all hosts' logs merged by time would have, whatever the commit order.
///
/// Bounded: points older than the delivery before them are dropped (nothing before a delivery matters), and
/// points older than the reordering window (or beyond `maxPoints`) are folded into `base`. A point older than
/// a folded base is applied as if it happened at the base's time: the limit of the rule.
public struct FleetTimeline: Equatable, Sendable {
    public struct Point: Equatable, Sendable {
        public enum Kind: UInt8, Sendable {
            case soft = 0x73  // s: a message counted soft
            case hard = 0x68  // h: a message counted hard
            case move = 0x6D  // m: a message counted soft before now counted hard
            case delivered = 0x64  // d
            case suppress = 0x70  // p: by hand (reason: the operator's text)
            case unsuppress = 0x75  // u: by hand
            case activityLifting = 0x61  // a: recorded activity that lifts a soft suppression
            case activity = 0x41  // A: recorded activity that lifts none
            case reset = 0x72  // r: counters reset by hand
        }
        public var kind: Kind
        public var time: Instant
        /// The failure's reason name, or the operator's text for a suppression by hand.
        public var reason: String?
        /// Where it was read, for the deltas it causes (not stored).
        public var file: [UInt8]?
        public var line: Int?

        public init(_ kind: Kind, _ time: Instant, reason: String? = nil, file: [UInt8]? = nil, line: Int? = nil) {
            self.kind = kind
            self.time = time
            self.reason = reason
            self.file = file
            self.line = line
        }

        public static func == (a: Point, b: Point) -> Bool {
            a.kind == b.kind && a.time == b.time && a.reason == b.reason
        }
    }

    /// The record before the first point.
    public var base = BounceLedger.Recipient()
    /// When `base` stands: the last delivery (`baseIsDelivery`), or the last point folded into it.
    public var baseTime: Instant?
    public var baseIsDelivery = false
    /// Since `baseTime`, oldest first (equal times in the order they were committed).
    public var points: [Point] = []
    /// The record as last committed: what the list shows and the deltas announced.
    public var record = BounceLedger.Recipient()

    public init() {}

    /// Nothing to keep but (perhaps) the time of a delivery.
    public var isBare: Bool { points.isEmpty && base.isEmpty && record.isEmpty }

    /// Inserts `new` where each happened, replays, and returns the deltas (seq 0: the store numbers them) that
    /// move the announced list to the new record. `now` is the newest log time the committing host has seen
    /// (timed suppressions ending by then are lifted); points before `keepAfter` are folded into the base.
    public mutating func merge(
        _ new: [Point], key: [UInt8], policy: SuppressionPolicy, now: Instant?, keepAfter: Instant?, maxPoints: Int = 64
    ) -> [SuppressionDelta] {
        var fresh = [Bool](repeating: false, count: points.count)
        for var p in new {
            if let t = baseTime, p.time < t {
                // Before the last delivery: history. Before a folded base: as if at its time.
                if baseIsDelivery { continue }
                p.time = t
            }
            var i = points.count
            while i > 0 && p.time < points[i - 1].time { i -= 1 }
            points.insert(p, at: i)
            fresh.insert(true, at: i)
        }
        var r = base
        var changes: [(delta: SuppressionDelta, fresh: Bool)] = []
        var lastDelivery: Int?
        for (i, p) in points.enumerated() {
            for d in Self.step(&r, p, key: key, policy: policy) { changes.append((d, fresh[i])) }
            if p.kind == .delivered { lastDelivery = i }
        }
        if let now, r.suppressed, let until = r.until, until <= now {
            r = BounceLedger.Recipient()
            changes.append((Self.delta(.unsuppress, key, .expired, nil, r, until, nil, nil), true))
        }
        // The deltas of this commit's points, as far as they agree with what was announced; then whatever
        // still differs (a late point changed history: a delivery before an announced suppression).
        var announced = record.suppressed
        var deltas: [SuppressionDelta] = []
        for (d, isFresh) in changes where isFresh && (d.action == .suppress) != announced {
            deltas.append(d)
            announced = d.action == .suppress
        }
        if announced != r.suppressed {
            if r.suppressed {
                deltas.append(Self.delta(.suppress, key, r.suppressWhy ?? .manual, r.suppressReason, r,
                                         r.suppressedAt ?? r.lastBounce ?? new.last?.time ?? Instant(seconds: 0), nil, nil))
            } else {
                let cause = new.last { [.delivered, .unsuppress, .activityLifting, .activity].contains($0.kind) }
                let why: SuppressionDelta.Why = switch cause?.kind {
                case .unsuppress: .manual
                case .activity, .activityLifting: .activity
                default: .delivered
                }
                deltas.append(Self.delta(.unsuppress, key, why, why == .manual ? nil : why.rawValue, r,
                                         cause?.time ?? new.last?.time ?? Instant(seconds: 0), cause?.file, cause?.line))
            }
        }
        record = r
        if let k = lastDelivery {
            base = BounceLedger.Recipient()
            baseTime = points[k].time
            baseIsDelivery = true
            points.removeFirst(k + 1)
        }
        var fold = 0
        while fold < points.count
            && (points.count - fold > maxPoints || keepAfter.map { points[fold].time < $0 } ?? false) { fold += 1 }
        if fold > 0 {
            for p in points[..<fold] { _ = Self.step(&base, p, key: key, policy: policy) }
            baseTime = points[fold - 1].time
            baseIsDelivery = false
            points.removeFirst(fold)
        }
        for i in points.indices {
            points[i].file = nil
            points[i].line = nil
        }
        return deltas
    }

    /// One point applied to a record, with `BounceLedger`'s rules; the deltas it makes.
    static func step(_ r: inout BounceLedger.Recipient, _ p: Point, key: [UInt8], policy: SuppressionPolicy)
        -> [SuppressionDelta]
    {
        typealias Recipient = BounceLedger.Recipient
        var out: [SuppressionDelta] = []
        let t = p.time
        if r.suppressed, let until = r.until, until <= t {
            r = Recipient()
            out.append(delta(.unsuppress, key, .expired, nil, r, until, nil, nil))
        }
        switch p.kind {
        case .soft, .hard, .move:
            let (newHard, newSoft) = p.kind == .hard ? (1, 0) : p.kind == .soft ? (0, 1) : (1, -1)
            let reason = p.reason.flatMap(BounceReason.init(name:)) ?? .undefined
            r.hard = min(r.hard + newHard, Recipient.maxCounter)
            r.soft = min(max(0, r.soft + newSoft), Recipient.maxCounter)
            if r.firstBounce == nil { r.firstBounce = t }
            r.lastBounce = t
            if r.lastReason == nil || ![.undefined, .expired, .onhold].contains(reason) { r.lastReason = reason }
            if newSoft > 0 && r.softSince == nil { r.softSince = t }
            if r.soft == 0 { r.softSince = nil }
            guard !r.suppressed else { break }
            var why: SuppressionDelta.Why? = nil
            if r.hard >= policy.hardLimit {
                why = .hard
            } else if r.soft >= policy.softLimit, let since = r.softSince, t.seconds - since.seconds >= policy.softSpanSeconds {
                why = .soft
            }
            if let why {
                let name = (r.lastReason ?? reason).name
                suppress(&r, at: t, why: why, reason: name, policy: policy)
                out.append(delta(.suppress, key, why, name, r, t, p.file, p.line))
            }
        case .delivered:
            guard !r.isEmpty else { break }
            let was = r.suppressed
            r = Recipient()
            if was { out.append(delta(.unsuppress, key, .delivered, "delivered", r, t, p.file, p.line)) }
        case .suppress:
            guard !r.suppressed else { break }
            let reason = p.reason ?? "manual"
            suppress(&r, at: t, why: .manual, reason: reason, policy: policy)
            out.append(delta(.suppress, key, .manual, reason, r, t, nil, nil))
        case .unsuppress:
            guard r.suppressed else { break }
            r = Recipient()
            out.append(delta(.unsuppress, key, .manual, nil, r, t, nil, nil))
        case .activity, .activityLifting:
            guard !r.isEmpty else { break }
            if let last = r.lastBounce, t < last { break }
            if r.suppressed && r.suppressWhy == .soft && p.kind == .activityLifting {
                r = Recipient()
                out.append(delta(.unsuppress, key, .activity, "activity", r, t, nil, nil))
            } else {
                zeroCounters(&r)
            }
        case .reset:
            guard r.hard > 0 || r.soft > 0 else { break }
            zeroCounters(&r)
        }
        return out
    }

    static func zeroCounters(_ r: inout BounceLedger.Recipient) {
        guard r.suppressed else { return r = BounceLedger.Recipient() }
        r.hard = 0
        r.soft = 0
        r.softSince = nil
    }

    static func suppress(_ r: inout BounceLedger.Recipient, at t: Instant, why: SuppressionDelta.Why, reason: String,
                         policy: SuppressionPolicy) {
        r.suppressed = true
        r.suppressedAt = t
        r.suppressReason = reason
        r.suppressWhy = why
        r.until = policy.end(ofSuppressionAt: t)
    }

    static func delta(
        _ action: SuppressionDelta.Action, _ key: [UInt8], _ why: SuppressionDelta.Why, _ reason: String?,
        _ r: BounceLedger.Recipient, _ time: Instant, _ file: [UInt8]?, _ line: Int?
    ) -> SuppressionDelta {
        SuppressionDelta(
            seq: 0, time: time, action: action, recipient: key, why: why, reason: reason, hard: r.hard, soft: r.soft,
            firstBounce: r.firstBounce, lastBounce: r.lastBounce, until: action == .suppress ? r.until : nil,
            file: file, line: line)
    }
}

// MARK: - As text (the shared store keeps it in one column per address)

extension FleetTimeline {
    /// Lines: `t1 BASETIME d|f`, `b RECORD` (the base), `r RECORD` (as committed), then one per point:
    /// `KIND TIME [REASON]`. A record is `hard soft first last soft_since last_reason suppressed suppressed_at
    /// until why [reason]`, `-` for what is not there; reasons last, as they may hold spaces.
    public var text: String {
        var lines = ["t1 \(baseTime?.rfc3339 ?? "-") \(baseIsDelivery ? "d" : "f")", "b " + Self.text(base), "r " + Self.text(record)]
        for p in points {
            lines.append(String(UnicodeScalar(p.kind.rawValue)) + " " + p.time.rfc3339 + (p.reason.map { " " + $0 } ?? ""))
        }
        return lines.joined(separator: "\n")
    }

    /// Reads `text`; nil when any part of it is not what `text` writes.
    public init?(text: String) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 3 else { return nil }
        let head = lines[0].split(separator: " ")
        guard head.count == 3, head[0] == "t1", head[2] == "d" || head[2] == "f" else { return nil }
        if head[1] != "-" {
            guard let t = Instant(rfc3339: String(head[1])) else { return nil }
            baseTime = t
        }
        baseIsDelivery = head[2] == "d"
        guard lines[1].hasPrefix("b "), let b = Self.record(lines[1].dropFirst(2)),
              lines[2].hasPrefix("r "), let r = Self.record(lines[2].dropFirst(2)) else { return nil }
        base = b
        record = r
        for l in lines[3...] {
            let f = l.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count >= 2, f[0].utf8.count == 1, let kind = Point.Kind(rawValue: f[0].utf8.first!),
                  let t = Instant(rfc3339: String(f[1])) else { return nil }
            points.append(Point(kind, t, reason: f.count == 3 ? String(f[2]) : nil))
        }
        guard zip(points, points.dropFirst()).allSatisfy({ !($1.time < $0.time) }) else { return nil }
    }

    static func text(_ r: BounceLedger.Recipient) -> String {
        func t(_ i: Instant?) -> String { i?.rfc3339 ?? "-" }
        var s = "\(r.hard) \(r.soft) \(t(r.firstBounce)) \(t(r.lastBounce)) \(t(r.softSince)) \(r.lastReason?.name ?? "-") "
        s += "\(r.suppressed ? 1 : 0) \(t(r.suppressedAt)) \(t(r.until)) \(r.suppressWhy?.rawValue ?? "-")"
        if let reason = r.suppressReason { s += " " + reason }
        return s
    }

    static func record(_ s: Substring) -> BounceLedger.Recipient? {
        let f = s.split(separator: " ", maxSplits: 10, omittingEmptySubsequences: false)
        guard f.count >= 10, let hard = Int(f[0]), let soft = Int(f[1]), hard >= 0, soft >= 0,
              hard <= BounceLedger.Recipient.maxCounter, soft <= BounceLedger.Recipient.maxCounter,
              f[6] == "0" || f[6] == "1" else { return nil }
        func t(_ x: Substring) -> Instant?? { x == "-" ? .some(nil) : Instant(rfc3339: String(x)).map { .some($0) } }
        guard let first = t(f[2]), let last = t(f[3]), let since = t(f[4]), let at = t(f[7]), let until = t(f[8]) else { return nil }
        var r = BounceLedger.Recipient()
        r.hard = hard
        r.soft = soft
        (r.firstBounce, r.lastBounce, r.softSince, r.suppressedAt, r.until) = (first, last, since, at, until)
        if f[5] != "-" {
            guard let reason = BounceReason(name: String(f[5])) else { return nil }
            r.lastReason = reason
        }
        r.suppressed = f[6] == "1"
        if f[9] != "-" {
            guard let why = SuppressionDelta.Why(rawValue: String(f[9])) else { return nil }
            r.suppressWhy = why
        }
        r.suppressReason = f.count == 11 ? String(f[10]) : nil
        return r
    }
}
