/// Reads one input's lines into delivery outcomes: the `scan` stage of the pipeline.
///
/// One reader serves a whole run: the table of in-flight Postfix messages is shared by all inputs, so a
/// message deferred in `mail.log.1` and expired in `mail.log` is matched up. Per input the caller keeps an
/// `InputState` (the stamp resolver and the detected format).
public final class OutcomeReader {
    public struct InputState {
        public var resolver: StampResolver
        public var format: LogFormat

        public init(resolver: StampResolver, format: LogFormat) {
            self.resolver = resolver
            self.format = format
        }
    }

    public var inFlight: InFlightMessages
    private let postfix = PostfixScanner()
    private let exim = EximScanner()
    private let classifier: OutcomeClassifier?
    /// Text rules of recently seen diagnostics.
    private let ruleCache = RuleCache()
    /// Bytes of a synthesised outcome (Postfix expiry), reused.
    private var synthetic: [UInt8] = []

    public init(classify: Bool = true, inFlightMaxAgeSeconds: Int64 = 10 * 86400) {
        inFlight = InFlightMessages(maxAgeSeconds: inFlightMaxAgeSeconds)
        classifier = classify ? OutcomeClassifier.shared : nil
    }

    /// Scans one line; calls `emit` for each outcome it yields (none, one, or several for a Postfix expiry).
    @inline(__always)
    public func scan(
        _ l: UnsafeBufferPointer<UInt8>, line: Int, state: inout InputState,
        emit: (inout DeliveryOutcome) throws -> Void
    ) rethrows {
        var o = DeliveryOutcome(bytes: l, mta: .postfix)
        o.line = line
        switch state.format {
        case .postfix:
            try postfixLine(l, &state, &o, emit)
        case .exim:
            try eximLine(l, &state, &o, emit)
        case .auto:
            if try postfixLine(l, &state, &o, emit) {
                state.format = .postfix
            } else if try eximLine(l, &state, &o, emit) {
                state.format = .exim
            }
        }
    }

    @discardableResult
    @inline(__always)
    private func postfixLine(
        _ l: UnsafeBufferPointer<UInt8>, _ state: inout InputState, _ o: inout DeliveryOutcome,
        _ emit: (inout DeliveryOutcome) throws -> Void
    ) rethrows -> Bool {
        switch postfix.scan(l, resolver: &state.resolver, into: &o) {
        case .none:
            return false
        case .delivery:
            switch o.status {
            case .deferred, .softBounce: inFlight.deferred(o)
            case .delivered, .bounced, .expired: inFlight.finished(o)
            case .probeDeliverable, .probeUndeliverable: break
            }
            try finish(&o, emit)
        case .removed:
            inFlight.removed(host: o.host, queueID: o.queueID, in: l)
        case .expired:
            let pending = inFlight.expire(host: o.host, queueID: o.queueID, in: l)
            for p in pending { try emitExpired(p, template: o, emit) }
        }
        return true
    }

    @discardableResult
    @inline(__always)
    private func eximLine(
        _ l: UnsafeBufferPointer<UInt8>, _ state: inout InputState, _ o: inout DeliveryOutcome,
        _ emit: (inout DeliveryOutcome) throws -> Void
    ) rethrows -> Bool {
        switch exim.scan(l, resolver: &state.resolver, into: &o) {
        case .none: return false
        case .completed: return true
        case .delivery:
            try finish(&o, emit)
            return true
        }
    }

    @inline(__always)
    private func finish(_ o: inout DeliveryOutcome, _ emit: (inout DeliveryOutcome) throws -> Void) rethrows {
        if o.status.isFailure, let classifier { o.classification = classifier.classify(o, cache: ruleCache) }
        try emit(&o)
    }

    /// One `expired` outcome for a recipient still pending when qmgr expired its message.
    private func emitExpired(
        _ p: InFlightMessages.Pending, template t: DeliveryOutcome, _ emit: (inout DeliveryOutcome) throws -> Void
    ) rethrows {
        synthetic.removeAll(keepingCapacity: true)
        func put(_ r: Range<Int>?) -> Range<Int>? {
            guard let r else { return nil }
            let s = synthetic.count
            for k in r { synthetic.append(t.bytes[k]) }
            return s..<synthetic.count
        }
        func put(_ bytes: [UInt8]) -> Range<Int> {
            let s = synthetic.count
            synthetic += bytes
            return s..<synthetic.count
        }
        let host = put(t.host)
        let queueID = put(t.queueID)!
        let recipient = put(p.recipient)
        let original = p.original.map { put($0) }
        try synthetic.withUnsafeBufferPointer { buf in
            var o = DeliveryOutcome(bytes: buf, mta: .postfix)
            o.time = t.time
            o.line = t.line
            o.host = host
            o.queueID = queueID
            o.recipient = recipient
            o.originalRecipient = original
            o.status = .expired
            o.dsn = p.dsn
            try finish(&o, emit)
        }
    }
}
