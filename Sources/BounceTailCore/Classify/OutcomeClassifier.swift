/// What decided a classification, for `explain`.
public enum Evidence: Equatable, Sendable {
    case text(rule: Int, strength: Strength)
    case enhancedCode(DSN, specific: Bool)
    case replyCode(Int)
    case status
    case nothing
}

/// Classifies failed outcomes: a reason (Sisimai's vocabulary), hard or soft, and whose fault it is.
///
/// Evidence, strongest first: a strong phrase of the text (real servers send misleading codes, e.g. `550
/// 5.1.1` for a spam block; a clear text beats the code); a specific enhanced status code (`X.1.1`, `X.2.2`,
/// `X.7.26`, ...); a weak phrase; a generic enhanced code (`X.7.1`, `X.0.0`); the reply code; the status.
/// Pure and allocation-free: phrases are matched by one precompiled automaton over lower-cased bytes.
public final class OutcomeClassifier: Sendable {
    public static let shared = OutcomeClassifier()

    public let rules: [TextRule]
    private let matcher: PhraseMatcher

    public init() {
        rules = TextRules.all
        matcher = PhraseMatcher(rules.map(\.phrase))
    }

    public func classify(_ o: DeliveryOutcome) -> Classification? { classify(o, cache: nil) }

    /// As `classify(_:)`, remembering the text rule of each diagnostic text in `cache` (providers send the same
    /// texts over and over; matching them is most of the classifier's work).
    public func classify(_ o: borrowing DeliveryOutcome, cache: RuleCache?) -> Classification? {
        guard o.status.isFailure else { return nil }
        var rule: Int? = nil
        if let r = o.diagnostic { rule = textRule(o.bytes, r, cache: cache) }
        var c = classify(status: o.status, dsn: o.dsn, smtpCode: o.smtpCode, textRule: rule, hasText: o.diagnostic != nil)
            .classification
        if c.reason == .hostunknown || c.reason == .syntaxerror,
            let at = ByteSearch.last(ASCII.at, in: o.bytes, o.recipient),
            let p = DomainTypos.provider(near: o.bytes, domain: (at + 1)..<o.recipient.upperBound)
        {
            c.suggestion = p
        }
        return c
    }

    /// The verdict and the evidence that decided it.
    public func classify(
        status: DeliveryStatus, dsn: DSN?, smtpCode: Int, text l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>?
    ) -> (classification: Classification, evidence: Evidence) {
        classify(status: status, dsn: dsn, smtpCode: smtpCode, textRule: r.flatMap { textRule(l, $0, cache: nil) },
                 hasText: r != nil)
    }

    /// The first text rule found in what the remote server said in `l[r]`, remembered in `cache` if given.
    private func textRule(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, cache: RuleCache?) -> Int? {
        let reply = Self.replyText(l, r)
        guard let cache else { return firstRule(l, reply) }
        return cache.rule(l, reply) { firstRule(l, reply) }
    }

    private func classify(status: DeliveryStatus, dsn: DSN?, smtpCode: Int, textRule: Int?, hasText: Bool)
        -> (classification: Classification, evidence: Evidence)
    {
        let codeReason = dsn.flatMap { Self.reason(for: $0) }
        var reason: BounceReason
        var evidence: Evidence
        if let t = textRule, rules[t].strength == .strong {
            (reason, evidence) = (rules[t].reason, .text(rule: t, strength: .strong))
        } else if let dsn, let (rc, specific) = codeReason, specific {
            (reason, evidence) = (rc, .enhancedCode(dsn, specific: true))
        } else if let t = textRule {
            (reason, evidence) = (rules[t].reason, .text(rule: t, strength: .weak))
        } else if let dsn, let (rc, _) = codeReason {
            (reason, evidence) = (rc, .enhancedCode(dsn, specific: false))
        } else if smtpCode > 0, let rc = Self.reason(forReply: smtpCode) {
            (reason, evidence) = (rc, .replyCode(smtpCode))
        } else {
            (reason, evidence) = (hasText ? .undefined : .onhold, .nothing)
        }
        var fault = Self.fault(of: reason)
        if status == .expired {
            // Gave up after the queue lifetime; whose fault it was is what kept failing, when known.
            if reason == .expired || fault != .recipient { fault = .network }
            reason = .expired
            if case .nothing = evidence { evidence = .status }
        }
        let permanent = status == .bounced || status == .softBounce
        let hard: Bool
        switch reason {
        case .userunknown, .hostunknown, .hasmoved: hard = permanent
        case .notaccept: hard = permanent && (dsn?.klass == 5 || smtpCode >= 500 || dsn == nil && smtpCode == 0)
        default: hard = false
        }
        let c = Classification(reason: reason, bounce: hard ? .hard : .soft, fault: fault, rule: textRule ?? -1)
        return (c, evidence)
    }

    /// The remote server's own words in Postfix's `host NAME[ADDRESS] said: TEXT`: rules judge the reply, not
    /// the name of the host that gave it (an MX called `rbl.example.net` is no blocklist), and a provider's
    /// many hosts give the same replies, so the rule cache keys on the reply alone.
    static func replyText(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Range<Int> {
        guard ByteSearch.hasPrefix("host ", in: l, at: r.lowerBound, end: r.upperBound),
            let said = ByteSearch.first("] said: ", in: l, r.lowerBound..<min(r.upperBound, r.lowerBound + 300))
        else { return r }
        return (said + 8)..<r.upperBound
    }

    /// Matches the text with the reply-code prefixes of multi-line replies taken out: Gmail's
    /// `... unusual rate of 550-5.7.28 unsolicited mail` must read `unusual rate of unsolicited mail`.
    private func firstRule(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int? {
        guard r.count > 0 else { return nil }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: r.count) { buf in
            var n = 0
            var i = r.lowerBound
            while i < r.upperBound {
                if i == r.lowerBound || l[i - 1] == ASCII.space || l[i - 1] == ASCII.newline,
                    let skip = Self.replyPrefixLength(l, i, r.upperBound)
                {
                    i += skip
                    continue
                }
                buf[n] = l[i]
                n += 1
                i += 1
            }
            return matcher.firstRule(in: UnsafeBufferPointer(rebasing: buf[0..<n]), 0..<n)
        }
    }

    /// `550-` or `550-5.7.28 ` or `550 5.7.28 ` at `i`: the length to skip, else nil.
    private static func replyPrefixLength(_ l: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int) -> Int? {
        guard i + 4 <= end, l[i] >= UInt8(ascii: "2"), l[i] <= UInt8(ascii: "5"), ASCII.isDigit(l[i + 1]),
            ASCII.isDigit(l[i + 2]), l[i + 3] == ASCII.dash || l[i + 3] == ASCII.space
        else { return nil }
        if let (_, after) = DSN.parse(l, at: i + 4, end: end), after < end, l[after] == ASCII.space {
            return after + 1 - i
        }
        return l[i + 3] == ASCII.dash ? 4 : nil
    }

    /// Whose problem a reason is.
    public static func fault(of reason: BounceReason) -> Fault {
        switch reason {
        case .userunknown, .hostunknown, .hasmoved, .notaccept, .mailboxfull, .suspend, .exceedlimit, .filtered,
            .systemfull, .mailererror:
            .recipient
        case .blocked, .rejected, .securityerror, .authfailure, .badreputation, .requireptr, .speeding, .toomanyconn,
            .norelaying, .policyviolation, .syntaxerror:
            .sender
        case .spamdetected, .virusdetected, .contenterror, .mesgtoobig, .notcompliantrfc:
            .message
        case .networkerror, .expired:
            .network
        case .systemerror, .onhold, .undefined, .delivered:
            .unknown
        }
    }

    /// RFC 3463 (and RFC 7372, 7505) enhanced codes; `specific` when the code names one cause.
    static func reason(for d: DSN) -> (BounceReason, Bool)? {
        switch (d.subject, d.detail) {
        case (1, 1), (1, 3): return (.userunknown, true)
        case (1, 2): return (.hostunknown, true)
        case (1, 6): return (.hasmoved, true)
        case (1, 7), (1, 8): return (.rejected, true)
        case (1, 10): return (.notaccept, true)
        case (1, _): return (.userunknown, false)
        case (2, 1): return (.suspend, true)
        case (2, 2): return (.mailboxfull, true)
        case (2, 3): return (.exceedlimit, true)
        case (2, _): return (.mailboxfull, false)
        case (3, 1): return (.systemfull, true)
        case (3, 2): return (.notaccept, true)
        case (3, 4): return (.mesgtoobig, true)
        case (3, _): return (.systemerror, false)
        case (4, 4): return (d.klass == 5 ? .hostunknown : .networkerror, true)
        case (4, 7): return (.expired, true)
        case (4, _): return (.networkerror, false)
        case (5, 3): return (.toomanyconn, true)
        case (5, _): return (.syntaxerror, false)
        case (6, _): return (.contenterror, false)
        case (7, 13): return (.suspend, true)
        case (7, 17), (7, 18): return (.hasmoved, true)
        case (7, 20), (7, 21), (7, 22), (7, 23), (7, 24), (7, 26), (7, 29): return (.authfailure, true)
        case (7, 25): return (.requireptr, true)
        case (7, 27): return (.rejected, true)
        case (7, 28): return (.badreputation, true)
        case (7, 606...649): return (.blocked, true)  // Microsoft: banned sending IP ranges
        case (7, 1): return (.blocked, false)
        case (7, _): return (.securityerror, false)
        default: return nil
        }
    }

    /// RFC 5321 reply codes, when nothing better is known.
    static func reason(forReply code: Int) -> BounceReason? {
        switch code {
        case 421: .systemerror
        case 450, 451: .systemerror
        case 452: .systemfull
        case 500...504: .syntaxerror
        case 521, 556: .notaccept
        case 551: .hasmoved
        case 552: .mailboxfull
        case 550, 553, 554: .onhold
        default: nil
        }
    }
}

/// The text rule that matched recent diagnostic texts, by a hash of their bytes: a fixed table (direct-mapped,
/// 4,096 entries) allocated once, so it costs no allocation, no growth and no exclusivity check per use.
public final class RuleCache {
    private let keys: UnsafeMutablePointer<UInt64>
    private let rules: UnsafeMutablePointer<Int32>  // -2: empty; -1: no rule matched

    public init() {
        keys = .allocate(capacity: 4096)
        keys.initialize(repeating: 0, count: 4096)
        rules = .allocate(capacity: 4096)
        rules.initialize(repeating: -2, count: 4096)
    }

    deinit {
        keys.deallocate()
        rules.deallocate()
    }

    @inline(__always)
    func rule(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ compute: () -> Int?) -> Int? {
        let key = Self.hash(l, r)
        let slot = Int(truncatingIfNeeded: key >> 52)
        if keys[slot] == key, rules[slot] != -2 { return rules[slot] < 0 ? nil : Int(rules[slot]) }
        let found = compute()
        keys[slot] = key
        rules[slot] = Int32(found ?? -1)
        return found
    }

    /// 64-bit hash of the text (ignoring ASCII case, as the rules do).
    @inline(__always)
    static func hash(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> UInt64 {
        ByteKey.hash(l, r, seed: 0x9E37_79B9_7F4A_7C15)
    }
}
