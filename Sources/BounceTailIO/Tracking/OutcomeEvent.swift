import BounceTailCore

/// Reads the `outcome` JSON Lines that `bouncetail scan` writes back into outcomes, so that many hosts can
/// scan and one place can track. Only the keys the tracker needs are read; unknown keys are skipped.
struct OutcomeEventParser {
    /// Strings of the current event, unescaped; outcome ranges point into it.
    private var scratch: [UInt8] = []
    private(set) var file: [UInt8] = []

    /// Parses one line; nil when it is not an outcome object (it is then reported by the caller).
    mutating func parse(_ l: UnsafeBufferPointer<UInt8>, line: Int) -> (outcome: DeliveryOutcomeBox, file: [UInt8])? {
        scratch.removeAll(keepingCapacity: true)
        var fields: [String: Range<Int>] = [:]
        var numbers: [String: Int] = [:]
        var i = 0
        func skipSpace() { while i < l.count, l[i] == ASCII.space || l[i] == ASCII.tab { i += 1 } }
        skipSpace()
        guard i < l.count, l[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        while true {
            skipSpace()
            if i < l.count, l[i] == UInt8(ascii: "}") { break }
            guard let key = readString(l, &i) else { return nil }
            let name = String(decoding: scratch[key], as: UTF8.self)
            skipSpace()
            guard i < l.count, l[i] == ASCII.colon else { return nil }
            i += 1
            skipSpace()
            guard i < l.count else { return nil }
            if l[i] == ASCII.quote {
                guard let v = readString(l, &i) else { return nil }
                fields[name] = v
            } else if ByteSearch.hasPrefix("null", in: l, at: i, end: l.count) {
                i += 4
            } else if ByteSearch.hasPrefix("true", in: l, at: i, end: l.count) {
                i += 4
            } else if ByteSearch.hasPrefix("false", in: l, at: i, end: l.count) {
                i += 5
            } else {
                var v = 0
                var neg = false
                if l[i] == ASCII.dash {
                    neg = true
                    i += 1
                }
                let s = i
                while i < l.count, ASCII.isDigit(l[i]) {
                    v = v * 10 + ASCII.digit(l[i])
                    i += 1
                }
                guard i > s else { return nil }
                numbers[name] = neg ? -v : v
            }
            skipSpace()
            if i < l.count, l[i] == ASCII.comma {
                i += 1
                continue
            }
            guard i < l.count, l[i] == UInt8(ascii: "}") else { return nil }
            break
        }
        func text(_ k: String) -> String? {
            fields[k].map { String(decoding: scratch[$0], as: UTF8.self) }
        }
        guard text("type") == "outcome", let status = text("status").flatMap(DeliveryStatus.init(name:)),
            let time = text("time").flatMap(Instant.init(rfc3339:)), let recipient = fields["recipient"],
            let queueID = fields["queue_id"]
        else { return nil }
        var o = DeliveryOutcomeBox(scratch: scratch)
        o.status = status
        o.time = time
        o.mta = text("mta") == "exim" ? .exim : .postfix
        o.recipient = recipient
        o.originalRecipient = fields["original_recipient"]
        o.queueID = queueID
        o.host = fields["host"]
        o.diagnostic = fields["diagnostic"]
        o.relay = fields["relay"]
        o.smtpCode = numbers["smtp_code"] ?? 0
        o.dsn = text("dsn").flatMap { s in Array(s.utf8).withUnsafeBufferPointer { DSN.parse($0, at: 0, end: $0.count)?.0 } }
        o.line = numbers["line"] ?? line
        if let reason = text("reason").flatMap(BounceReason.init(name:)),
            let fault = text("fault").flatMap({ f in Fault.allCases.first { $0.name == f } })
        {
            o.classification = Classification(
                reason: reason, bounce: text("bounce") == "hard" ? .hard : .soft, fault: fault, rule: -1)
        }
        let file = fields["file"].map { Array(scratch[$0]) } ?? []
        return (o, file)
    }

    /// Reads a JSON string at `i` into the scratch buffer; returns its range there.
    private mutating func readString(_ l: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Range<Int>? {
        guard i < l.count, l[i] == ASCII.quote else { return nil }
        i += 1
        let start = scratch.count
        while i < l.count {
            let b = l[i]
            if b == ASCII.quote {
                i += 1
                return start..<scratch.count
            }
            if b == ASCII.backslash, i + 1 < l.count {
                let e = l[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "n"): scratch.append(ASCII.newline)
                case UInt8(ascii: "r"): scratch.append(ASCII.carriageReturn)
                case UInt8(ascii: "t"): scratch.append(ASCII.tab)
                case UInt8(ascii: "b"): scratch.append(8)
                case UInt8(ascii: "f"): scratch.append(12)
                case UInt8(ascii: "u"):
                    guard i + 4 <= l.count, let v = UInt32(String(decoding: UnsafeBufferPointer(rebasing: l[i..<(i + 4)]), as: UTF8.self), radix: 16)
                    else { return nil }
                    i += 4
                    var value = v
                    if (0xD800..<0xDC00).contains(v), i + 6 <= l.count, l[i] == ASCII.backslash,
                        l[i + 1] == UInt8(ascii: "u"),
                        let low = UInt32(String(decoding: UnsafeBufferPointer(rebasing: l[(i + 2)..<(i + 6)]), as: UTF8.self), radix: 16)
                    {
                        value = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                    scratch += Array(String(Unicode.Scalar(value) ?? "\u{FFFD}").utf8)
                default: scratch.append(e)
                }
                continue
            }
            scratch.append(b)
            i += 1
        }
        return nil
    }
}

/// An outcome whose text lives in its own buffer (events read back from JSON).
struct DeliveryOutcomeBox {
    var scratch: [UInt8]
    var time = Instant(seconds: 0)
    var mta: MTA = .postfix
    var host: Range<Int>?
    var queueID = 0..<0
    var recipient = 0..<0
    var originalRecipient: Range<Int>?
    var status: DeliveryStatus = .delivered
    var dsn: DSN?
    var smtpCode = 0
    var relay: Range<Int>?
    var diagnostic: Range<Int>?
    var line = 0
    var classification: Classification?

    init(scratch: [UInt8]) { self.scratch = scratch }

    /// Calls `body` with the outcome viewed over the buffer (classified here when the event was not).
    func withOutcome<R>(_ body: (DeliveryOutcome) throws -> R) rethrows -> R {
        try scratch.withUnsafeBufferPointer { b in
            var o = DeliveryOutcome(bytes: b, mta: mta)
            o.time = time
            o.host = host
            o.queueID = queueID
            o.recipient = recipient
            o.originalRecipient = originalRecipient
            o.status = status
            o.dsn = dsn
            o.smtpCode = smtpCode
            o.relay = relay
            o.diagnostic = diagnostic
            o.line = line
            o.classification = classification ?? OutcomeClassifier.shared.classify(o)
            return try body(o)
        }
    }
}
