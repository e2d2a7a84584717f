/// Totals for `bouncetail report`: what happened to the mail in some logs, told the way a mail admin reads it —
/// how much bounced and why, which recipient domains bounce most, which refusals are the sender's own problem
/// (blocklists, DMARC, rate limits) per receiving provider, what the suppression list did, and how much mail
/// still went to suppressed addresses.
public struct BounceReport {
    public struct Counts: Sendable {
        public var delivered = 0
        public var deferred = 0
        public var hardBounced = 0
        public var softBounced = 0
        public var expired = 0
        /// Final failures: bounced (hard or soft) or expired.
        public var failed: Int { hardBounced + softBounced + expired }
        /// Final outcomes: delivered or failed.
        public var final: Int { delivered + failed }

        /// Counts one outcome of `status` (`hard`: its bounce class); probes count nowhere.
        mutating func add(_ status: DeliveryStatus, hard: Bool) {
            switch status {
            case .delivered: delivered += 1
            case .deferred: deferred += 1
            case .bounced, .softBounce: if hard { hardBounced += 1 } else { softBounced += 1 }
            case .expired: expired += 1
            case .probeDeliverable, .probeUndeliverable: break
            }
        }
    }

    public struct DomainLine: Sendable {
        public var domain: String
        public var counts: Counts
        /// Failed share of final outcomes.
        public var bounceRate: Double { counts.final == 0 ? 0 : Double(counts.failed) / Double(counts.final) }
    }

    public struct SenderProblem: Sendable {
        public var provider: String
        public var reason: BounceReason
        public var count: Int
        /// The first text seen, to show what the provider said.
        public var example: String
    }

    public private(set) var totals = Counts()
    /// Final failures and deferrals by reason.
    public private(set) var failuresByReason: [BounceReason: (failed: Int, deferred: Int)] = [:]
    private var domains: [String: Counts] = [:]
    /// Suppression deltas by action and why.
    public private(set) var suppressions: [String: Int] = [:]
    /// Outcomes for an address while it was suppressed (the mail was sent anyway).
    public private(set) var sentWhileSuppressed = 0
    /// Refusals at RCPT by the exported table (the MTA stopped it: the list works).
    public private(set) var rejectedAtRCPT = 0
    public private(set) var recipientsSeen = 0
    private var recipientKeys = ByteKeyedTable<Bool>()
    /// Final failures logged again for the same message and recipient (Exim logs a frozen, then thawed,
    /// message's failure a second time): counted in the totals as lines, and here apart.
    public private(set) var repeatedFinals = 0
    /// A 64-bit hash of (queue id, recipient) per final failure seen.
    private var finalKeys: Set<UInt64> = []
    /// The addresses suppressed over these logs, in the order it happened.
    public private(set) var suppressedAddresses: [(address: String, why: String, reason: String?, time: Instant)] = []
    /// The addresses mailed while suppressed, and how often.
    public private(set) var sentWhileSuppressedBy: [String: Int] = [:]
    /// Outcomes per UTC day (days since 1970-01-01) and per hour of the day (UTC).
    public private(set) var byDay: [Int64: Counts] = [:]
    public private(set) var byHour = [Counts](repeating: Counts(), count: 24)
    /// Refused at SMTP time (never queued), by stage and reason.
    public private(set) var smtpRejects = 0
    public private(set) var rejectsByReason: [String: Int] = [:]
    /// Messages accepted into the queue, their bytes (where the log gives them), per sender.
    public private(set) var received = 0
    public private(set) var receivedBytes = 0
    public private(set) var senders: [String: (messages: Int, bytes: Int)] = [:]
    /// warning/fatal/panic lines by level, program and text.
    public private(set) var problems: [String: Int] = [:]
    /// Delivery delays per recipient domain (Postfix's delay=, Exim's QT= with +queue_time): deliveries, sum, max.
    public private(set) var delays: [String: (count: Int, total: Double, max: Double)] = [:]
    /// Every failure (final or deferred) by receiving provider and reason, with the first text; and of them the
    /// refusals of our sending (sender-side problems), with the first text of those.
    private var failuresByProvider: [String: (provider: String, reason: BounceReason, failed: Int, deferred: Int, example: String,
                                              senderSide: Int, senderExample: String)] = [:]
    /// Final failures per UTC day and reason (for the picture of `report --html`).
    public private(set) var failuresByDayAndReason: [Int64: [BounceReason: Int]] = [:]
    /// Outcomes per recipient address (at most `maxSenders` addresses are kept).
    public private(set) var recipientOutcomes: [String: (outcomes: Int, failed: Int)] = [:]
    /// Postfix queue ids received (cleanup) whose first qmgr line, with sender and size, is still to come.
    private var awaitingQmgr: Set<String> = []
    private static let maxSenders = 100_000

    public init() {}

    /// Adds one outcome; `suppressed`: whether its recipient was on the list when it happened.
    public mutating func add(_ o: DeliveryOutcome, suppressed: Bool) {
        let l = o.bytes
        if o.status == .probeDeliverable || o.status == .probeUndeliverable { return }
        let hard = o.classification?.bounce == .hard
        totals.add(o.status, hard: hard)
        if o.status == .bounced || o.status == .expired || o.status == .softBounce {
            if !finalKeys.insert(ByteKey.hash(l, o.queueID, seed: ByteKey.hash(l, o.recipient))).inserted { repeatedFinals += 1 }
        }
        let key = o.originalRecipient ?? o.recipient
        let address = String(decoding: ByteKey.lowered(l, key), as: UTF8.self)
        if suppressed {
            sentWhileSuppressed += 1
            sentWhileSuppressedBy[address, default: 0] += 1
        }
        let day = o.time.seconds >= 0 ? o.time.seconds / 86400 : (o.time.seconds - 86399) / 86400
        byDay[day, default: Counts()].add(o.status, hard: hard)
        byHour[Int(o.time.seconds - day * 86400) / 3600].add(o.status, hard: hard)
        let hash = ByteKey.hash(l, key)
        if recipientKeys.find(hash: hash, { ByteKey.equals($0, l, key) }) == nil {
            _ = recipientKeys.insertLowered(l, key, hash: hash, value: true)
            recipientsSeen += 1
        }
        let domain = Self.domain(of: o.recipient, in: l)
        let senderSide = o.classification.map { $0.fault == .sender || $0.fault == .message } ?? false
        // The domain table is about the recipients' side: a refusal of our sending is not the domain's bounce
        // rate (it is under sender-side problems, and must not read as "drop this domain").
        if !senderSide { domains[domain, default: Counts()].add(o.status, hard: hard) }
        if recipientOutcomes[address] != nil || recipientOutcomes.count < Self.maxSenders {
            recipientOutcomes[address, default: (0, 0)].outcomes += 1
            if o.status.isFailure { recipientOutcomes[address, default: (0, 0)].failed += 1 }
        }
        if o.status == .delivered, let d = Self.delay(in: l) {
            var e = delays[domain] ?? (0, 0, 0)
            e.count += 1
            e.total += d
            e.max = Swift.max(e.max, d)
            delays[domain] = e
        }
        guard let c = o.classification else { return }
        // Postfix writes relay=none when it found no host (DNS): the provider is then the recipient's domain.
        let provider = o.relay.flatMap { r -> String? in let p = Self.provider(ofRelay: r, in: l); return p == "none" ? nil : p } ?? domain
        let fk = provider + " " + c.reason.name
        if o.status != .deferred { failuresByDayAndReason[day, default: [:]][c.reason, default: 0] += 1 }
        let text = { String((o.diagnostic.map { String(decoding: UnsafeBufferPointer(rebasing: l[$0]), as: UTF8.self) } ?? "").prefix(160)) }
        var f = failuresByProvider[fk] ?? (provider, c.reason, 0, 0, text(), 0, "")
        if o.status == .deferred { f.deferred += 1 } else { f.failed += 1 }
        if senderSide {
            if f.senderSide == 0 { f.senderExample = text() }
            f.senderSide += 1
        }
        failuresByProvider[fk] = f
        var r = failuresByReason[c.reason] ?? (0, 0)
        if o.status == .deferred { r.deferred += 1 } else { r.failed += 1 }
        failuresByReason[c.reason] = r
    }

    public mutating func addRejectedAtRCPT(_ count: Int = 1) { rejectedAtRCPT += count }

    /// Counts one of the MTA's other lines (`ServerLine`).
    public mutating func add(serverLine l: UnsafeBufferPointer<UInt8>) {
        guard let kind = ServerLine.kind(of: l) else { return }
        switch kind {
        case .reject(let stage, let reason):
            smtpRejects += 1
            rejectsByReason["\(stage): \(reason)", default: 0] += 1
        case .received(let queueID, let sender, let bytes):
            received += 1
            if let queueID {
                if awaitingQmgr.count > 100_000 { awaitingQmgr.removeAll() }  // qmgr lines that never came
                awaitingQmgr.insert(queueID)
            }
            if let sender { countSender(sender, bytes ?? 0) }
            receivedBytes += bytes ?? 0
        case .queued(let queueID, let sender, let bytes):
            // qmgr logs a message again each time it comes back from the deferred queue: only the first counts.
            guard awaitingQmgr.remove(queueID) != nil else { return }
            receivedBytes += bytes
            countSender(sender, bytes)
        case .problem(let level, let program, let text):
            problems["\(level) \(program): \(text)", default: 0] += 1
        }
    }

    private mutating func countSender(_ sender: String, _ bytes: Int) {
        let key = sender.isEmpty || sender == "<>" ? "<> (bounces)" : sender.lowercased()
        guard senders[key] != nil || senders.count < Self.maxSenders else { return }
        senders[key, default: (0, 0)].messages += 1
        senders[key, default: (0, 0)].bytes += bytes
    }

    /// The first `n` of a count table, largest first.
    public static func top(_ d: [String: Int], _ n: Int) -> [(String, Int)] {
        d.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(n).map { ($0.key, $0.value) }
    }

    /// Postfix's `delay=1.2` or Exim's `QT=1m2s` in a delivery line, in seconds.
    static func delay(in l: UnsafeBufferPointer<UInt8>) -> Double? {
        let all = 0..<l.count
        if let d = ByteSearch.first(", delay=", in: l, all) {
            var i = d + 8
            var whole = 0.0
            var scale = 0.0
            while i < l.count, ASCII.isDigit(l[i]) || l[i] == ASCII.dot {
                if l[i] == ASCII.dot { scale = 1 } else {
                    if scale > 0 { scale /= 10; whole += Double(l[i] - 0x30) * scale } else { whole = whole * 10 + Double(l[i] - 0x30) }
                }
                i += 1
            }
            return i > d + 8 ? whole : nil
        }
        guard let q = ByteSearch.first(" QT=", in: l, all) else { return nil }
        var i = q + 4
        var total = 0.0
        var n = 0.0
        while i < l.count, l[i] != ASCII.space {
            let b = l[i]
            if ASCII.isDigit(b) { n = n * 10 + Double(b - 0x30) } else {
                switch b {
                case UInt8(ascii: "w"): total += n * 604_800
                case UInt8(ascii: "d"): total += n * 86400
                case UInt8(ascii: "h"): total += n * 3600
                case UInt8(ascii: "m"): total += n * 60
                case UInt8(ascii: "s"): total += n
                default: return nil
                }
                n = 0
            }
            i += 1
        }
        return total + n
    }

    /// Recipient domains by average delivery delay, slowest first (at least `minimum` deliveries).
    public func slowestDomains(_ n: Int, minimum: Int = 1) -> [(domain: String, deliveries: Int, average: Double, max: Double)] {
        delays.filter { $0.value.count >= minimum }.map { ($0.key, $0.value.count, $0.value.total / Double($0.value.count), $0.value.max) }
            .sorted { ($0.2, $0.0) > ($1.2, $1.0) }.prefix(n).map { $0 }
    }

    /// Failures (final and deferred) by receiving provider and reason, most first, with the first text.
    public func failuresByRelay(_ n: Int) -> [(provider: String, reason: BounceReason, failed: Int, deferred: Int, example: String)] {
        failuresByProvider.values.sorted { ($0.failed + $0.deferred, $1.provider) > ($1.failed + $1.deferred, $0.provider) }
            .prefix(n).map { ($0.provider, $0.reason, $0.failed, $0.deferred, $0.example) }
    }

    /// Recipients by outcomes, most first.
    public func topRecipients(_ n: Int) -> [(address: String, outcomes: Int, failed: Int)] {
        recipientOutcomes.sorted { ($0.value.outcomes, $1.key) > ($1.value.outcomes, $0.key) }.prefix(n)
            .map { ($0.key, $0.value.outcomes, $0.value.failed) }
    }

    /// Senders by messages received, most first.
    public func topSenders(_ n: Int) -> [(sender: String, messages: Int, bytes: Int)] {
        senders.sorted { ($0.value.messages, $1.key) > ($1.value.messages, $0.key) }.prefix(n)
            .map { ($0.key, $0.value.messages, $0.value.bytes) }
    }

    public mutating func add(_ d: SuppressionDelta) {
        suppressions["\(d.action.rawValue) \(d.why.rawValue)", default: 0] += 1
        if d.action == .suppress {
            suppressedAddresses.append((String(decoding: d.recipient, as: UTF8.self), d.why.rawValue, d.reason, d.time))
        }
    }

    /// The addresses mailed while suppressed, most often first.
    public var mostSentWhileSuppressed: [(address: String, count: Int)] {
        sentWhileSuppressedBy.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { ($0.key, $0.value) }
    }

    /// Recipient domains with at least `minimum` final outcomes, highest bounce rate first.
    public func topDomains(_ n: Int, minimum: Int = 5) -> [DomainLine] {
        domains.filter { $0.value.final >= minimum && $0.value.failed > 0 }
            .map { DomainLine(domain: $0.key, counts: $0.value) }
            .sorted { ($0.bounceRate, $0.counts.failed, $1.domain) > ($1.bounceRate, $1.counts.failed, $0.domain) }
            .prefix(n).map { $0 }
    }

    /// Sender-side refusals per receiving provider and reason, most frequent first.
    public var senderSideProblems: [SenderProblem] {
        failuresByProvider.values.filter { $0.senderSide > 0 }
            .map { SenderProblem(provider: $0.provider, reason: $0.reason, count: $0.senderSide, example: $0.senderExample) }
            .sorted { ($0.count, $1.provider) > ($1.count, $0.provider) }
    }

    public var domainCount: Int { domains.count }

    /// The part after the last `@`, lower-cased (`(none)` for a local name).
    static func domain(of r: Range<Int>, in l: UnsafeBufferPointer<UInt8>) -> String {
        guard let at = ByteSearch.last(ASCII.at, in: l, r) else { return "(none)" }
        return String(decoding: ByteKey.lowered(l, (at + 1)..<r.upperBound), as: UTF8.self)
    }

    /// The receiving provider of a relay (`mx4.gmail.test[192.0.2.166]:25` → `gmail.test`): the last two labels
    /// of its host name, or the address when it has none.
    static func provider(ofRelay r: Range<Int>, in l: UnsafeBufferPointer<UInt8>) -> String {
        var end = r.upperBound
        // Postfix writes `host[ip]:port`, Exim `host [ip]`: the name ends at the bracket or the blank.
        if let bracket = ByteSearch.first(ASCII.openBracket, in: l, r) { end = bracket }
        if let blank = ByteSearch.first(ASCII.space, in: l, r.lowerBound..<end) { end = blank }
        let host = String(decoding: ByteKey.lowered(l, r.lowerBound..<end), as: UTF8.self)
        let labels = host.split(separator: ".")
        if host.isEmpty { return String(decoding: UnsafeBufferPointer(rebasing: l[r]), as: UTF8.self) }
        return labels.suffix(2).joined(separator: ".")
    }
}
