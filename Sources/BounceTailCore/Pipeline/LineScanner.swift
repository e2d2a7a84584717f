/// What one line was, after scanning: the part of a line's meaning that needs no other line.
public enum ScannedKind: UInt8, Sendable {
    /// Nothing the pipeline uses.
    case none
    /// Recognised as the format's own line, but without an outcome (Exim `Completed`).
    case recognised
    /// A per-recipient outcome, filled in and classified.
    case delivery
    /// Postfix qmgr removed the message (queue id and host filled in).
    case removed
    /// Postfix qmgr expired the message (queue id, host and stamp filled in).
    case expired
    /// The MTA refused a recipient at RCPT because it is on bouncetail's exported list (only when asked).
    case rejectedAtRCPT
    /// Another line `report` counts (`ServerLine`: refusals at SMTP time, messages received, warnings).
    case serverLine

    /// The line's stamp must be resolved to a time.
    public var hasTime: Bool { self == .delivery || self == .expired }
}

/// Scans lines into outcomes without touching anything shared, so several threads can each scan their own
/// part of a log with one scanner each: what needs the lines in order (the year of a stamp, messages in
/// flight, counters) is left to `OutcomeReader.apply`.
public final class LineScanner {
    private let postfix = PostfixScanner()
    private let exim = EximScanner()
    private let classifier: OutcomeClassifier?
    /// Text rules of recently seen diagnostics (per scanner: it is not shared between threads).
    let ruleCache = RuleCache()
    /// Lines that are no outcome are also checked for a refusal at RCPT of a suppressed address (`report`).
    let findsRejectedAtRCPT: Bool

    public init(classify: Bool = true, findsRejectedAtRCPT: Bool = false) {
        classifier = classify ? OutcomeClassifier.shared : nil
        self.findsRejectedAtRCPT = findsRejectedAtRCPT
    }

    /// Scans one line in the given format; `.auto` becomes the format of the first line recognised.
    /// `toMark` is where the line's first `: to=` is when the caller knows (`-1`: none), or `unknownMark`.
    @inline(__always)
    public func scan(
        _ l: UnsafeBufferPointer<UInt8>, toMark: Int = LineScanner.unknownMark, format: inout LogFormat,
        stamp: inout LogStamp, into o: inout DeliveryOutcome
    ) -> ScannedKind {
        let kind = scanFormat(l, toMark: toMark, format: &format, stamp: &stamp, into: &o)
        if kind == .none, findsRejectedAtRCPT {
            if SuppressedReject.recipient(in: l) != nil { return .rejectedAtRCPT }
            if ServerLine.isCandidate(l) { return .serverLine }
        }
        return kind
    }

    @inline(__always)
    private func scanFormat(
        _ l: UnsafeBufferPointer<UInt8>, toMark: Int, format: inout LogFormat, stamp: inout LogStamp,
        into o: inout DeliveryOutcome
    ) -> ScannedKind {
        switch format {
        case .postfix:
            return postfixLine(l, toMark, &stamp, &o)
        case .exim:
            return eximLine(l, &stamp, &o)
        case .auto:
            let p = postfixLine(l, toMark, &stamp, &o)
            if p != .none {
                format = .postfix
                return p
            }
            let e = eximLine(l, &stamp, &o)
            if e != .none { format = .exim }
            return e
        }
    }

    public static let unknownMark = -2

    @inline(__always)
    private func postfixLine(_ l: UnsafeBufferPointer<UInt8>, _ toMark: Int, _ stamp: inout LogStamp,
                             _ o: inout DeliveryOutcome) -> ScannedKind
    {
        // A mark inside the first 16 bytes is not where the scanner looks: search as it would.
        let toAt = toMark >= 16 ? toMark : toMark == -1 ? nil : PostfixScanner.findTo(l)
        switch postfix.scan(l, toAt: toAt, stamp: &stamp, into: &o) {
        case .none: return .none
        case .delivery:
            classify(&o)
            return .delivery
        case .removed: return .removed
        case .expired: return .expired
        }
    }

    @inline(__always)
    private func eximLine(_ l: UnsafeBufferPointer<UInt8>, _ stamp: inout LogStamp, _ o: inout DeliveryOutcome)
        -> ScannedKind
    {
        switch exim.scan(l, stamp: &stamp, into: &o) {
        case .none: return .none
        case .completed: return .recognised
        case .delivery:
            classify(&o)
            return .delivery
        }
    }

    /// Classifies a failure (the classification depends on the line alone).
    @inline(__always)
    func classify(_ o: inout DeliveryOutcome) {
        if o.status.isFailure, let classifier { o.classification = classifier.classify(o, cache: ruleCache) }
    }
}
