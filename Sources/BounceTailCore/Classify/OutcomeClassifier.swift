/// What decided a classification, for `explain`.
public enum Evidence: Equatable, Sendable {
    case text(rule: Int)
    /// A phrase with a meaning particular to the provider the relay belongs to.
    case provider(rule: Int, MailProvider)
    case enhancedCode(DSN, specific: Bool)
    /// A bounce processor's own verdict code (`X.0.9NN`), which names the reason it decided.
    case verdictCode(DSN)
    case replyCode(Int)
    /// A local delivery program's bare report: an exit status (`127`), or Postfix pipe(8)'s `temporary failure`.
    case localProgram
    case status
    case nothing
}

/// A rule that changed the verdict after the evidence was weighed, for `explain`.
public enum Refinement: Equatable, Sendable {
    case none
    /// An unknown-mailbox text given only after DATA: the address was accepted at RCPT, so it is the recipient
    /// side's filter speaking, not a missing mailbox.
    case refusedAfterData
    /// NTT docomo refuses at RCPT only an address it does not have, and after DATA a sender the recipient's
    /// own settings refuse, whatever words either refusal carries (when its code says nothing).
    case carrierStage
    /// An unknown-user text at the connection, HELO/EHLO or MAIL FROM: no recipient had been given, so the
    /// words are not about one; the reply is read without them.
    case noRecipientYet
    /// An expiry (a timeout text, a `4.4.7` code) on a deferral: the message is still queued, so one attempt
    /// failed (networkerror).
    case notFinal
    /// A refusal at the connection or at HELO/EHLO that its words do not explain: before MAIL FROM nothing but
    /// the sending host can be refused (blocked).
    case refusedBeforeMail
    /// A final failure with a temporary code and no words to go by: the message was returned after its retries
    /// ran out (expired).
    case temporaryOnFinal
}

/// Classifies failed outcomes: a reason (Sisimai 4's vocabulary), hard or soft, and whose fault it is.
///
/// Evidence: a bounce processor's verdict code (`X.0.9NN`) decides outright. Otherwise the text's first phrase
/// and the enhanced status code are weighed as the reference classifier weighs them: a code that says little
/// (`X.7.x` security, `X.3.x`/`X.4.x` system and network, `X.0.0`) yields to any phrase; a code that names a
/// cause yields to the phrases of some causes (`phrase(_:overrides:afterData:)`). Then a syntax reply code, the
/// status. The SMTP stage refines: an unknown user given only after DATA is `filtered`, one given before any
/// recipient is not read as one. Pure and allocation-free: phrases are matched by one precompiled automaton over
/// lower-cased bytes.
public final class OutcomeClassifier: Sendable {
    public static let shared = OutcomeClassifier()

    /// The general table, then the providers' rules (indices from `generalRuleCount` on).
    public let rules: [TextRule]
    public let generalRuleCount: Int
    private let matcher: PhraseMatcher
    /// The general rules of the address's own causes (unknown user or domain, no mail taken, over a limit), and
    /// the index in `rules` of each: asked only when a phrase that yields (`TextRule.Yield.toNamedCause`) came
    /// first.
    private let decisiveMatcher: PhraseMatcher
    private let decisiveIndex: [Int]
    /// Every provider's phrases in one matcher (local index i is rule `generalRuleCount + i`): a reply that
    /// holds none, nearly all of them, needs no look at its relay.
    private let anyProviderMatcher: PhraseMatcher
    /// Per provider (by raw value): a matcher over its phrases and the index in `rules` of each.
    private let providerMatchers: [(PhraseMatcher, [Int])?]

    public init() {
        let general = TextRules.all
        generalRuleCount = general.count
        rules = general + ProviderRules.all.map { TextRule(phrase: $0.phrase, reason: $0.reason) }
        matcher = PhraseMatcher(general.map(\.phrase))
        decisiveIndex = general.indices.filter {
            general[$0].yields == .never
                && [.userunknown, .hostunknown, .notaccept, .exceedlimit].contains(general[$0].reason)
        }
        decisiveMatcher = PhraseMatcher(decisiveIndex.map { general[$0].phrase })
        anyProviderMatcher = PhraseMatcher(ProviderRules.all.map(\.phrase))
        providerMatchers = MailProvider.allCases.map { p in
            let mine = ProviderRules.all.indices.filter { ProviderRules.all[$0].provider == p }
            guard p != .none, !mine.isEmpty else { return nil }
            return (PhraseMatcher(mine.map { ProviderRules.all[$0].phrase }), mine.map { general.count + $0 })
        }
    }

    public func classify(_ o: DeliveryOutcome) -> Classification? { classify(o, cache: nil) }

    /// As `classify(_:)`, remembering the text rule of each diagnostic text in `cache` (providers send the same
    /// texts over and over; matching them is most of the classifier's work).
    public func classify(_ o: borrowing DeliveryOutcome, cache: RuleCache?) -> Classification? {
        guard o.status.isFailure else { return nil }
        let (bytes, relay, diagnostic) = (o.bytes, o.relay, o.diagnostic)
        let reply = diagnostic.map { Self.replyText(bytes, $0) }
        let rule = reply.flatMap { r in
            textRule(bytes, reply: r, cache: cache) { MailProvider.of(bytes, relay: relay, diagnostic: diagnostic) }
        }
        var c = weigh(status: o.status, dsn: o.dsn, smtpCode: o.smtpCode, textRule: rule, text: bytes, diagnostic,
                      reply: reply) { MailProvider.of(bytes, relay: relay, diagnostic: diagnostic) }.classification
        if c.reason == .hostunknown || c.reason == .syntaxerror,
            let at = ByteSearch.last(ASCII.at, in: o.bytes, o.recipient),
            let p = DomainTypos.provider(near: o.bytes, domain: (at + 1)..<o.recipient.upperBound)
        {
            c.suggestion = p
        }
        return c
    }

    /// The verdict, the evidence that decided it and any refinement applied.
    public func classify(
        status: DeliveryStatus, dsn: DSN?, smtpCode: Int, text l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>?,
        provider: MailProvider = .none
    ) -> (classification: Classification, evidence: Evidence, refinement: Refinement) {
        let reply = r.map { Self.replyText(l, $0) }
        return weigh(status: status, dsn: dsn, smtpCode: smtpCode,
                     textRule: reply.flatMap { textRule(l, reply: $0, cache: nil) { provider } }, text: l, r,
                     reply: reply) { provider }
    }

    /// The provider a rule in `rules` belongs to (`.none` for the general table).
    public func provider(ofRule i: Int) -> MailProvider {
        i < generalRuleCount ? .none : ProviderRules.all[i - generalRuleCount].provider
    }

    /// The first text rule found in what the remote server said, `l[reply]` (`replyText`), the relay's
    /// provider's own first; the general rule and any provider phrase are remembered in `cache` if given.
    /// `provider` is asked only for a reply that holds a provider's phrase.
    private func textRule(_ l: UnsafeBufferPointer<UInt8>, reply: Range<Int>, cache: RuleCache?,
                          provider: () -> MailProvider) -> Int? {
        let (general, providerHit) = cache?.rules(l, reply) { firstRules(l, reply) } ?? firstRules(l, reply)
        guard let providerHit else { return general }
        let p = provider()
        if p == .none { return general }
        if p == self.provider(ofRule: providerHit) { return providerHit }
        // The first provider phrase was another provider's; this one's may come later in the reply (rare).
        return withStrippedReply(l, reply) { text in
            guard let (m, index) = providerMatchers[Int(p.rawValue)], let i = m.firstRule(in: text, 0..<text.count)
            else { return general }
            return index[i]
        }
    }

    /// Weighs the text rule found in `l[text]` against the codes (`reply`: its `replyText`, found once by the
    /// caller). The SMTP stage is looked for only when a verdict depends on it, and at most once.
    private func weigh(status: DeliveryStatus, dsn: DSN?, smtpCode: Int, textRule: Int?,
                       text l: UnsafeBufferPointer<UInt8>, _ text: Range<Int>?, reply: Range<Int>?,
                       relayProvider: () -> MailProvider)
        -> (classification: Classification, evidence: Evidence, refinement: Refinement)
    {
        var reason: BounceReason
        var evidence: Evidence
        var found: SMTPStage? = nil
        func stage() -> SMTPStage {
            if let found { return found }
            let s = text.map { SMTPStage.find(in: l, $0) } ?? .unknown
            found = s
            return s
        }
        var dsn = dsn
        if dsn.map({ $0.subject == 0 && $0.detail == 0 }) ?? true, let text, let e = Self.embeddedCode(l, text) {
            dsn = DSN(dsn?.klass ?? e.klass, e.subject, e.detail)
        }
        if let dsn, let verdict = Self.verdict(of: dsn) {
            // The reference has no verdict code of its own for a virus: it writes its block code (X.0.971).
            if verdict == .blocked, let t = textRule, rules[t].reason == .virusdetected {
                (reason, evidence) = (.virusdetected, .text(rule: t))
            } else {
                (reason, evidence) = (verdict, .verdictCode(dsn))
            }
        } else if let reply, Self.localProgramReport(l, reply) {
            (reason, evidence) = (.mailererror, .localProgram)
        } else if let t = textRule, t >= generalRuleCount {
            (reason, evidence) = (rules[t].reason, .provider(rule: t, provider(ofRule: t)))
        } else if let dsn, let code = Self.reason(for: dsn) {
            if let r = textRule, rules[r].reason != code, !Self.givesWay(rules[r].yields, to: code),
                Self.phrase(rules[r].reason, overrides: code, afterData: { stage() == .data })
            {
                (reason, evidence) = (rules[r].reason, .text(rule: r))
            } else {
                (reason, evidence) = (code, .enhancedCode(dsn, specific: !Self.saysLittle(code)))
            }
        } else if let t = textRule {
            (reason, evidence) = (rules[t].reason, .text(rule: t))
        } else if smtpCode > 0, let rc = Self.reason(forReply: smtpCode) {
            (reason, evidence) = (rc, .replyCode(smtpCode))
        } else {
            // A text that nothing in it explains is on hold (undecided); no text at all is undefined.
            (reason, evidence) = (text != nil ? .onhold : .undefined, .nothing)
        }
        var refinement = Refinement.none
        let userTextStage: SMTPStage? = if case .text = evidence, reason == .userunknown { stage() } else { nil }
        if userTextStage == .mailFrom || userTextStage?.isBeforeMail == true {
            // "Unknown user" said at the connection, to HELO or to MAIL FROM names no recipient of ours: read the
            // reply without it.
            var c = weigh(status: status, dsn: dsn, smtpCode: smtpCode, textRule: nil, text: l, text, reply: reply,
                          relayProvider: relayProvider)
            c.refinement = .noRecipientYet
            return c
        }
        let permanent = status == .bounced || status == .softBounce
        if permanent, text != nil, smtpCode == 0 || smtpCode >= 500, Self.namesNoCause(dsn), relayProvider() == .docomo,
            let carrier = Self.docomoReading(stage(), reason), carrier != reason
        {
            reason = carrier
            refinement = .carrierStage
        } else if userTextStage == .data {
            reason = .filtered
            refinement = .refusedAfterData
        } else if status == .bounced, reason == .onhold || reason == .undefined, Self.saysNothing(evidence),
            (dsn.map { $0.klass == 4 } ?? (smtpCode / 100 == 4)), reply.map({ Self.wordless(l, $0) }) ?? true
        {
            reason = .expired
            refinement = .temporaryOnFinal
        } else if Self.vague(reason, evidence), Self.refusedBeforeMail(stage(), evidence) {
            reason = .blocked
            refinement = .refusedBeforeMail
        } else if reason == .expired, status == .deferred {
            // One attempt that timed out is not an expiry: the message is still queued.
            reason = .networkerror
            refinement = .notFinal
        }
        var fault = Self.fault(of: reason)
        // docomo's refusal after DATA is the recipient's own choice to refuse our sender: it counts for them.
        if refinement == .carrierStage, reason == .rejected { fault = .recipient }
        if status == .expired {
            // Gave up after the queue lifetime; whose fault it was is what kept failing, when known.
            if reason == .expired || fault == .unknown { fault = .network }
            reason = .expired
            if case .nothing = evidence { evidence = .status }
        }
        let hard: Bool
        switch reason {
        case .userunknown, .hostunknown, .hasmoved: hard = permanent
        case .notaccept:
            let klass = dsn.map { Int($0.klass) } ?? (smtpCode > 0 ? smtpCode / 100 : 5)
            hard = permanent && klass == 5
        default: hard = false
        }
        let c = Classification(reason: reason, bounce: hard ? .hard : .soft, fault: fault, rule: textRule ?? -1)
        return (c, evidence, refinement)
    }

    /// No enhanced code, or one that names no cause and is no bounce processor's verdict.
    private static func namesNoCause(_ dsn: DSN?) -> Bool {
        guard let dsn else { return true }
        return verdict(of: dsn) == nil && reason(for: dsn) == nil
    }

    /// NTT docomo's refusals by stage (`.carrierStage`): an unknown address at RCPT, our sender refused by the
    /// recipient's settings after DATA. A text that names our side's doing at RCPT keeps its reading.
    private static func docomoReading(_ stage: SMTPStage, _ reason: BounceReason) -> BounceReason? {
        switch stage {
        case .data: return .rejected
        case .rcptTo:
            let f = fault(of: reason)
            return f == .sender || f == .message ? nil : .userunknown
        default: return nil
        }
    }

    /// The whole reply `l[r]` is what a local delivery program left: an exit status (a number that is no reply
    /// code, as Sendmail's `X-Unix; 127`), or pipe(8)'s word for a program that exited with EX_TEMPFAIL.
    private static func localProgramReport(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        var reply = r
        while reply.count > 0, l[reply.upperBound - 1] == ASCII.space || l[reply.upperBound - 1] == ASCII.dot {
            reply = reply.lowerBound..<(reply.upperBound - 1)
        }
        while reply.count > 0, l[reply.lowerBound] == ASCII.space { reply = (reply.lowerBound + 1)..<reply.upperBound }
        guard reply.count > 0, reply.count <= 17 else { return false }
        if reply.allSatisfy({ ASCII.isDigit(l[$0]) }) {
            guard reply.count <= 3 else { return false }
            let n = reply.reduce(0) { $0 * 10 + ASCII.digit(l[$1]) }
            return !(200..<600).contains(n)
        }
        return ByteSearch.hasPrefixCaseless("temporary failure", in: l, at: reply.lowerBound, end: reply.upperBound)
            && reply.count == 17
    }

    /// A reply `l[r]` with no words in it: empty, or a bare reply code (`421`), Postfix's stage note aside.
    private static func wordless(_ l: UnsafeBufferPointer<UInt8>, _ reply: Range<Int>) -> Bool {
        var end = reply.upperBound
        var from = reply.lowerBound
        while let at = ByteSearch.first("(in reply to ", in: l, from..<reply.upperBound) {
            end = at
            from = at + 1
        }
        for i in reply.lowerBound..<end where ASCII.isLetter(l[i]) {
            return false
        }
        return true
    }

    /// Evidence that names no cause at all: no text rule, no code that means something.
    private static func saysNothing(_ evidence: Evidence) -> Bool {
        switch evidence {
        case .nothing, .replyCode: true
        case .enhancedCode(_, specific: let specific): !specific
        default: false
        }
    }

    /// A verdict its evidence barely supports: a code that names no particular cause, or nothing.
    private static func vague(_ reason: BounceReason, _ evidence: Evidence) -> Bool {
        switch reason {
        case .systemerror, .securityerror, .onhold, .undefined, .policyviolation, .rejected: break
        default: return false
        }
        switch evidence {
        case .text, .verdictCode, .provider: return false
        case .enhancedCode(_, specific: let specific): return !specific
        default: return true
        }
    }

    /// Refused when the connection opened (Postfix's "refused to talk to me", Exim's "after initial connection"),
    /// or at HELO/EHLO with no code of its own: an X.7.x code at EHLO keeps its reading (securityerror), as the
    /// reference reads Gmail's own bounces.
    private static func refusedBeforeMail(_ stage: SMTPStage, _ evidence: Evidence) -> Bool {
        if stage == .connect { return true }
        if stage == .greeting, case .enhancedCode = evidence { return false }
        return stage == .greeting
    }

    /// Codes that name no particular cause: any clear phrase decides instead.
    private static func saysLittle(_ code: BounceReason) -> Bool {
        switch code {
        case .securityerror, .systemerror, .networkerror, .expired, .onhold, .undefined: true
        default: false
        }
    }

    /// Whether a phrase's reason beats the code's (a different one: the caller keeps a code the phrase
    /// agrees with as the evidence), as the reference weighs them (measured by asking it every pairing of a
    /// plain phrase and a code, at RCPT and after DATA):
    /// - a code that says little yields to any phrase (but see `givesWay(_:to:)`, checked by the caller);
    /// - a full mailbox, a message too big or over a recipient's limit are final codes: only a full mailbox
    ///   beats the latter two;
    /// - otherwise a full mailbox, a size, a disabled account or relaying always tell; an unknown user, an
    ///   unknown domain, a blocked host and a rate beat every code but the few causes checked before them; our
    ///   sender refused and spam tell only after DATA (at RCPT they are read as the code says). A moved mailbox
    ///   is trusted over an unknown-user text (providers say "not our customer" of both).
    private static func phrase(_ t: BounceReason, overrides code: BounceReason, afterData: () -> Bool) -> Bool {
        if saysLittle(code) { return true }
        // Greylisting says why a 4.7.1 came: a deliberate first refusal, not a block of our host.
        if t == .onhold, code == .blocked { return true }
        switch code {
        case .mailboxfull: return false
        case .exceedlimit, .mesgtoobig: return t == .mailboxfull
        default: break
        }
        switch t {
        case .mailboxfull, .exceedlimit, .mesgtoobig, .suspend, .norelaying: return true
        case .userunknown: return code != .suspend && code != .hasmoved
        case .hostunknown: return code != .userunknown && code != .rejected
        case .blocked: return code != .hostunknown && code != .rejected && code != .toomanyconn
        case .toomanyconn: return code != .userunknown && code != .hostunknown && code != .rejected
        // A text that names our sender as refused is never the recipient's unknown mailbox, whatever the code
        // (the reference keeps a 5.1.1 there; this project does not blame the recipient for it).
        case .rejected: return code == .userunknown || afterData()
        case .spamdetected: return code != .userunknown && code != .hostunknown && code != .rejected && afterData()
        // A moved mailbox and a recipient's filter: before the unknown user and after it.
        case .hasmoved: return code != .suspend
        case .filtered:
            switch code {
            case .suspend, .hasmoved, .norelaying, .userunknown: return false
            default: return true
            }
        default: return false
        }
    }

    /// Whether a phrase gives way to the code regardless of the reasons' weighing (`TextRule.Yield`).
    private static func givesWay(_ y: TextRule.Yield, to code: BounceReason) -> Bool {
        switch y {
        case .never: false
        case .toExpiry: code == .expired
        case .toNamedCause: !saysLittle(code)
        }
    }

    /// qmail and its kin end a reply with their own enhanced code (`(#5.7.1)`, `[#4.1.9]`), which Postfix does
    /// not carry into `dsn=` (it reads a code only at the reply's start): read when the logged code says nothing.
    static func embeddedCode(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> DSN? {
        var i = r.lowerBound
        while let h = ByteSearch.first(UInt8(ascii: "#"), in: l, i..<r.upperBound) {
            if h > r.lowerBound, l[h - 1] == UInt8(ascii: "(") || l[h - 1] == UInt8(ascii: "["),
                let (d, _) = DSN.parse(l, at: h + 1, end: r.upperBound), d.klass != 2
            {
                return d
            }
            i = h + 1
        }
        return nil
    }

    /// The remote server's own words in Postfix's `host NAME[ADDRESS] said: TEXT`: rules judge the reply, not
    /// the name of the host that gave it (an MX called `rbl.example.net` is no blocklist), and a provider's
    /// many hosts give the same replies, so the rule cache keys on the reply alone.
    static func replyText(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Range<Int> {
        guard ByteSearch.hasPrefix("host ", in: l, at: r.lowerBound, end: r.upperBound) else { return r }
        if let said = ByteSearch.first("] said: ", in: l, r.lowerBound..<min(r.upperBound, r.lowerBound + 300)) {
            return (said + 8)..<r.upperBound
        }
        // A host named without its address (`host mx.example.net said: ...`, as some tools write it).
        var i = r.lowerBound + 5
        while i < r.upperBound, l[i] != ASCII.space { i += 1 }
        guard ByteSearch.hasPrefix(" said: ", in: l, at: i, end: r.upperBound) else { return r }
        return (i + 7)..<r.upperBound
    }

    /// Matches the text with the reply-code prefixes of multi-line replies taken out: Gmail's
    /// `... unusual rate of 550-5.7.28 unsolicited mail` must read `unusual rate of unsolicited mail`.
    /// The first general rule and the first provider rule (of any provider) found in `l[r]`. A phrase that
    /// yields to named causes gives way to a phrase of the address's own cause found with it ("invalid mailbox
    /// ... account is disabled" is the unknown mailbox).
    private func firstRules(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> (Int?, Int?) {
        withStrippedReply(l, r) { text in
            var general = matcher.firstRule(in: text, 0..<text.count)
            if let g = general, rules[g].yields == .toNamedCause,
                let d = decisiveMatcher.firstRule(in: text, 0..<text.count)
            {
                general = decisiveIndex[d]
            }
            return (general, anyProviderMatcher.firstRule(in: text, 0..<text.count).map { generalRuleCount + $0 })
        }
    }

    private func withStrippedReply<T>(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>,
                                      _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        guard r.count > 0 else { return body(UnsafeBufferPointer(start: nil, count: 0)) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: r.count) { buf in
            var n = 0
            var tokenStart = 0
            var i = r.lowerBound
            while i < r.upperBound {
                if i == r.lowerBound || l[i - 1] == ASCII.space || l[i - 1] == ASCII.newline,
                    let skip = Self.replyPrefixLength(l, i, r.upperBound)
                {
                    i += skip
                    continue
                }
                let b = l[i]
                if b == ASCII.at {
                    // An address quoted in the reply names nobody's cause: `<virus-reports@example.com>` or
                    // `spam@example.net` must not read as a verdict. Its local part is taken back out.
                    n = tokenStart
                    i += 1
                    while i < r.upperBound, !Self.endsAddress(l[i]) { i += 1 }
                    continue
                }
                if b == UInt8(ascii: ";"), n >= 6, Self.isRFC822(buf, n - 6) {
                    // A DSN's address type (`rfc822;user@...`) is no complaint about RFC 822.
                    n -= 6
                    i += 1
                    tokenStart = n
                    continue
                }
                buf[n] = b
                n += 1
                i += 1
                if Self.endsAddress(b) { tokenStart = n }
            }
            return body(UnsafeBufferPointer(rebasing: buf[0..<n]))
        }
    }

    /// A byte that cannot be part of an address as replies quote them (`|` starts Exim's pipe commands).
    @inline(__always)
    private static func endsAddress(_ b: UInt8) -> Bool {
        switch b {
        case ASCII.space, ASCII.newline, UInt8(ascii: "\t"), ASCII.lessThan, UInt8(ascii: ">"), UInt8(ascii: "("),
            UInt8(ascii: ")"), UInt8(ascii: "["), UInt8(ascii: "]"), ASCII.quote, UInt8(ascii: "'"), UInt8(ascii: ","),
            UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "|"):
            true
        default: false
        }
    }

    private static func isRFC822(_ buf: UnsafeMutableBufferPointer<UInt8>, _ at: Int) -> Bool {
        ASCII.lower(buf[at]) == UInt8(ascii: "r") && ASCII.lower(buf[at + 1]) == UInt8(ascii: "f")
            && ASCII.lower(buf[at + 2]) == UInt8(ascii: "c") && buf[at + 3] == UInt8(ascii: "8")
            && buf[at + 4] == UInt8(ascii: "2") && buf[at + 5] == UInt8(ascii: "2")
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
            .systemfull:
            .recipient
        case .blocked, .rejected, .securityerror, .toomanyconn, .norelaying, .policyviolation, .syntaxerror,
            .mailererror:
            .sender
        case .spamdetected, .virusdetected, .contenterror, .mesgtoobig:
            .message
        case .networkerror, .expired:
            .network
        case .systemerror, .onhold, .undefined, .delivered:
            .unknown
        }
    }

    /// Bounce processors (Sisimai among them) write `X.0.9NN` into a bounce's status when they decided the
    /// reason from its text; the number names that reason.
    static func verdict(of d: DSN) -> BounceReason? {
        guard d.subject == 0, d.detail >= 900, d.detail <= 999 else { return nil }
        switch d.detail {
        case 900: return .undefined
        case 901: return .onhold
        case 902: return .syntaxerror
        case 909: return .norelaying
        case 910: return .filtered
        case 911: return .userunknown
        case 912: return .hostunknown
        case 918: return .rejected
        case 921: return .suspend
        case 922: return .mailboxfull
        case 930: return .systemerror
        case 931: return .systemfull
        case 932: return .notaccept
        case 934: return .mesgtoobig
        case 939: return .mailererror
        case 944: return .networkerror
        case 945: return .toomanyconn
        case 947: return .expired
        case 960: return .contenterror
        case 970: return .securityerror
        case 971: return .blocked
        case 972: return .policyviolation
        case 980: return .spamdetected
        default: return nil
        }
    }

    /// RFC 3463 (and RFC 7372, 7505) enhanced codes, read as the reference classifier reads them; nil where a
    /// code names no cause (`X.0.0`, `5.1.5`, `5.5.0`, ...).
    static func reason(for d: DSN) -> BounceReason? {
        let temporary = d.klass == 4
        switch (d.subject, d.detail) {
        case (1, 0), (1, 1), (1, 3): return temporary ? nil : .userunknown
        case (1, 2): return temporary ? nil : .hostunknown
        case (1, 4): return temporary ? nil : .filtered
        case (1, 6): return .hasmoved
        case (1, 7), (1, 8): return .rejected
        case (1, 9): return .systemerror
        case (1, 10): return .notaccept
        case (2, 0): return temporary ? nil : .filtered
        case (2, 1): return temporary ? .suspend : .filtered
        case (2, 2): return .mailboxfull
        case (2, 3): return .exceedlimit
        case (2, 4): return .filtered
        case (3, 0): return temporary ? nil : .systemerror
        case (3, 1): return .systemfull
        case (3, 2): return .notaccept
        case (3, 3), (3, 5): return .systemerror
        case (3, 4): return temporary ? nil : .mesgtoobig
        case (4, 0): return temporary ? nil : .networkerror
        case (4, 1): return temporary ? .expired : nil
        case (4, 2), (4, 4), (4, 6): return temporary ? .networkerror : (d.detail == 4 ? .hostunknown : nil)
        case (4, 3): return temporary ? nil : .systemerror
        case (4, 5): return temporary ? .systemfull : nil
        case (4, 7): return temporary ? .expired : nil
        case (5, 3): return temporary ? .systemerror : .toomanyconn
        case (5, 4), (5, 5): return .systemerror
        case (5, 6): return .securityerror
        case (6, _): return .contenterror
        case (7, 1), (7, 2), (7, 25): return temporary || d.detail == 25 ? .blocked : .securityerror
        case (7, 13): return temporary ? .securityerror : .suspend
        case (7, 16): return .mesgtoobig
        case (7, 17), (7, 18): return .hasmoved
        case (7, 27): return temporary ? .securityerror : .notaccept
        case (7, 606...649), (7, 650), (7, 651): return .blocked  // Microsoft: banned ranges, IP reputation
        case (7, 652): return .toomanyconn  // Microsoft: too many connections (S3115)
        case (7, _): return .securityerror
        default: return nil
        }
    }

    /// RFC 5321 reply codes, when nothing better is known: only a syntax error (`50x`) says what went wrong.
    /// The others name a class, not a cause (`552` is as often a size as a quota, `551` and `521` are said for
    /// anything), so they leave the verdict undecided (`onhold`), as the reference leaves them.
    static func reason(forReply code: Int) -> BounceReason? {
        (500...504).contains(code) ? .syntaxerror : nil
    }
}

/// The text rule that matched recent diagnostic texts, by a hash of their bytes: a fixed table (direct-mapped,
/// 4,096 entries) allocated once, so it costs no allocation, no growth and no exclusivity check per use.
public final class RuleCache {
    private let keys: UnsafeMutablePointer<UInt64>
    private let rules: UnsafeMutablePointer<Int32>  // -2: empty; -1: no rule matched
    private let providerRules: UnsafeMutablePointer<Int32>  // -1: no provider phrase

    public init() {
        keys = .allocate(capacity: 4096)
        keys.initialize(repeating: 0, count: 4096)
        rules = .allocate(capacity: 4096)
        rules.initialize(repeating: -2, count: 4096)
        providerRules = .allocate(capacity: 4096)
        providerRules.initialize(repeating: -1, count: 4096)
    }

    deinit {
        keys.deallocate()
        rules.deallocate()
        providerRules.deallocate()
    }

    @inline(__always)
    func rules(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ compute: () -> (Int?, Int?)) -> (Int?, Int?) {
        let key = Self.hash(l, r)
        let slot = Int(truncatingIfNeeded: key >> 52)
        if keys[slot] == key, rules[slot] != -2 {
            return (rules[slot] < 0 ? nil : Int(rules[slot]), providerRules[slot] < 0 ? nil : Int(providerRules[slot]))
        }
        let found = compute()
        keys[slot] = key
        rules[slot] = Int32(found.0 ?? -1)
        providerRules[slot] = Int32(found.1 ?? -1)
        return found
    }

    /// 64-bit hash of the text (ignoring ASCII case, as the rules do).
    @inline(__always)
    static func hash(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> UInt64 {
        ByteKey.hash(l, r, seed: 0x9E37_79B9_7F4A_7C15)
    }
}
