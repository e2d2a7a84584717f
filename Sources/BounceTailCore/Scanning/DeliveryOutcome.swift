/// Which mail server wrote the line.
public enum MTA: UInt8, Sendable {
    case postfix, exim

    public var name: StaticString { self == .postfix ? "postfix" : "exim" }
}

/// What happened to one recipient in one delivery attempt.
public enum DeliveryStatus: UInt8, Sendable, CaseIterable {
    /// Accepted by the next hop or delivered locally (Postfix `sent`, Exim `=>`, `->`, `>>`).
    case delivered
    /// Failed for now; the MTA will try again (Postfix `deferred`, Exim `==`).
    case deferred
    /// Failed for good; a bounce goes back to the sender (Postfix `bounced`, Exim `**`).
    case bounced
    /// Gave up after the queue lifetime (Postfix `status=expired` from qmgr, Exim `retry timeout exceeded`).
    case expired
    /// Would have bounced, but `soft_bounce = yes` kept it queued (Postfix `SOFTBOUNCE`).
    case softBounce
    /// An address verification probe found the address deliverable; no mail was delivered.
    case probeDeliverable
    /// An address verification probe found the address undeliverable; no mail was bounced.
    case probeUndeliverable

    public var name: StaticString {
        switch self {
        case .delivered: "delivered"
        case .deferred: "deferred"
        case .bounced: "bounced"
        case .expired: "expired"
        case .softBounce: "softbounce"
        case .probeDeliverable: "probe_deliverable"
        case .probeUndeliverable: "probe_undeliverable"
        }
    }

    public init?(name: String) {
        guard let s = Self.allCases.first(where: { $0.name.description == name }) else { return nil }
        self = s
    }

    /// Not delivered: classified and counted by the tracker (probes are neither).
    public var isFailure: Bool {
        switch self {
        case .deferred, .bounced, .expired, .softBounce: true
        case .delivered, .probeDeliverable, .probeUndeliverable: false
        }
    }
}

/// An RFC 3463 enhanced status code `class.subject.detail`.
public struct DSN: Hashable, Sendable, CustomStringConvertible {
    public var klass: UInt8
    public var subject: UInt16
    public var detail: UInt16

    public init(_ klass: UInt8, _ subject: UInt16, _ detail: UInt16) {
        self.klass = klass
        self.subject = subject
        self.detail = detail
    }

    public var description: String { "\(klass).\(subject).\(detail)" }

    /// Parses `X.Y.Z` at `i` (class 2, 4 or 5; one to three digits each); returns the code and the end index.
    public static func parse(_ l: UnsafeBufferPointer<UInt8>, at i: Int, end: Int) -> (DSN, Int)? {
        guard i + 5 <= end, l[i] == UInt8(ascii: "2") || l[i] == UInt8(ascii: "4") || l[i] == UInt8(ascii: "5"),
            l[i + 1] == ASCII.dot
        else { return nil }
        var j = i + 2
        var parts: (Int, Int) = (0, 0)
        for part in 0..<2 {
            var v = 0
            var n = 0
            while j < end, ASCII.isDigit(l[j]), n < 3 {
                v = v * 10 + ASCII.digit(l[j])
                j += 1
                n += 1
            }
            guard n > 0 else { return nil }
            if part == 0 {
                parts.0 = v
                guard j < end, l[j] == ASCII.dot else { return nil }
                j += 1
            } else {
                parts.1 = v
            }
        }
        if j < end, ASCII.isDigit(l[j]) || l[j] == ASCII.dot && j + 1 < end && ASCII.isDigit(l[j + 1]) {
            return nil  // a version number or an address, not a status code
        }
        return (DSN(l[i] - 0x30, UInt16(parts.0), UInt16(parts.1)), j)
    }
}

/// One per-recipient delivery outcome: the seam between scanning and tracking.
///
/// Text fields are ranges into `bytes`, which is only valid during the call that hands the outcome out;
/// a consumer that keeps anything copies it. Addresses are as logged (without `<>`); consumers lower-case.
public struct DeliveryOutcome {
    public var bytes: UnsafeBufferPointer<UInt8>
    public var time: Instant
    public var mta: MTA
    public var host: Range<Int>?
    public var queueID: Range<Int>
    public var recipient: Range<Int>
    public var originalRecipient: Range<Int>?
    public var status: DeliveryStatus
    public var dsn: DSN?
    /// The SMTP reply code, or 0 when none was logged.
    public var smtpCode: Int
    public var relay: Range<Int>?
    public var diagnostic: Range<Int>?
    /// Line number in the input (1-based).
    public var line: Int
    /// Filled by the classifier for failures.
    public var classification: Classification?

    public init(bytes: UnsafeBufferPointer<UInt8>, mta: MTA) {
        self.bytes = bytes
        self.time = Instant(seconds: 0)
        self.mta = mta
        self.queueID = 0..<0
        self.recipient = 0..<0
        self.status = .delivered
        self.smtpCode = 0
        self.line = 0
    }
}
