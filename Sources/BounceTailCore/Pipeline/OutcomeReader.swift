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

    @exclusivity(unchecked) public var inFlight: InFlightMessages
    /// Scans the lines of `scan(_:line:state:emit:)` (scanning in parallel uses one `LineScanner` per thread).
    public let lineScanner: LineScanner
    /// Bytes of a synthesised outcome (Postfix expiry), reused.
    private var synthetic: [UInt8] = []

    public init(classify: Bool = true, inFlightMaxAgeSeconds: Int64 = 10 * 86400) {
        inFlight = InFlightMessages(maxAgeSeconds: inFlightMaxAgeSeconds)
        lineScanner = LineScanner(classify: classify)
    }

    /// Scans one line; calls `emit` for each outcome it yields (none, one, or several for a Postfix expiry).
    @inline(__always)
    public func scan(
        _ l: UnsafeBufferPointer<UInt8>, line: Int, state: inout InputState,
        emit: (inout DeliveryOutcome) throws -> Void
    ) rethrows {
        var o = DeliveryOutcome(bytes: l, mta: .postfix)
        o.line = line
        var stamp = LogStamp.placeholder
        let kind = lineScanner.scan(l, format: &state.format, stamp: &stamp, into: &o)
        if kind.hasTime { o.time = state.resolver.instant(for: stamp) }
        try apply(kind, &o, emit: emit)
    }

    /// The part of a scanned line that needs the lines before it: messages in flight, and the outcomes of a
    /// Postfix expiry. Lines must come here in log order.
    @inline(__always)
    public func apply(_ kind: ScannedKind, _ o: inout DeliveryOutcome, emit: (inout DeliveryOutcome) throws -> Void)
        rethrows
    {
        switch kind {
        case .none, .recognised, .rejectedAtRCPT, .serverLine:
            return
        case .delivery:
            if o.mta == .postfix {
                switch o.status {
                case .deferred, .softBounce: inFlight.deferred(o)
                case .delivered, .bounced, .expired: inFlight.finished(o)
                case .probeDeliverable, .probeUndeliverable: break
                }
            }
            try emit(&o)
        case .removed:
            inFlight.removed(host: o.host, queueID: o.queueID, in: o.bytes)
        case .expired:
            let template = o
            try inFlight.expire(host: o.host, queueID: o.queueID, in: o.bytes) { recipient, original, dsn in
                try emitExpired(recipient, original, dsn, template: template, emit)
            }
        }
    }

    /// One `expired` outcome for a recipient still pending when qmgr expired its message. Its bytes (host,
    /// queue id, addresses) are put together in one reused buffer: nothing is allocated per recipient.
    private func emitExpired(
        _ recipient: UnsafeBufferPointer<UInt8>, _ original: UnsafeBufferPointer<UInt8>?, _ dsn: DSN?,
        template t: DeliveryOutcome, _ emit: (inout DeliveryOutcome) throws -> Void
    ) rethrows {
        synthetic.removeAll(keepingCapacity: true)
        func put(_ r: Range<Int>?) -> Range<Int>? {
            guard let r else { return nil }
            let s = synthetic.count
            for k in r { synthetic.append(t.bytes[k]) }
            return s..<synthetic.count
        }
        func put(_ bytes: UnsafeBufferPointer<UInt8>) -> Range<Int> {
            let s = synthetic.count
            synthetic.append(contentsOf: bytes)
            return s..<synthetic.count
        }
        let host = put(t.host)
        let queueID = put(t.queueID)!
        let recipientRange = put(recipient)
        let originalRange = original.map { put($0) }
        try synthetic.withUnsafeBufferPointer { buf in
            var o = DeliveryOutcome(bytes: buf, mta: .postfix)
            o.time = t.time
            o.line = t.line
            o.host = host
            o.queueID = queueID
            o.recipient = recipientRange
            o.originalRecipient = originalRange
            o.status = .expired
            o.dsn = dsn
            lineScanner.classify(&o)
            try emit(&o)
        }
    }
}
