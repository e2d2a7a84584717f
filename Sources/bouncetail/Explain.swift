import ArgumentParser
import BounceTailCore
import BounceTailIO
import Foundation

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show how a bounce text (or a whole log line) is classified, and which rule decided.",
        discussion: """
            Examples:
              bouncetail explain "550 5.7.1 Client host [192.0.2.1] blocked using zen.spamhaus.org"
              bouncetail explain --relay aspmx.l.google.com "421 4.7.0 Try again later, closing connection."
              bouncetail explain --line "$(grep -m1 status=bounced /var/log/mail.log)"
            """)

    @Flag(help: "The text is a whole Postfix or Exim log line, not just the server's reply.")
    var line = false

    @Option(help: "Status to assume for a bare text: bounced, deferred or expired (default: from the reply code).")
    var status: String?

    @Option(help: "The enhanced status code logged beside the text (Postfix's dsn=), if any.")
    var dsn: String?

    @Option(help: "The relay host that gave the reply (Postfix's relay=), for providers' own meanings.")
    var relay: String?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Argument(help: "The diagnostic text or log line.")
    var text: String

    func validate() throws {
        if let dsn, Array(dsn.utf8).withUnsafeBufferPointer({ DSN.parse($0, at: 0, end: $0.count) }) == nil {
            throw ValidationError("--dsn must look like 5.1.1")
        }
        if let status, !["bounced", "deferred", "expired", "softbounce"].contains(status) {
            throw ValidationError("--status must be bounced, deferred, expired or softbounce")
        }
    }

    func run() throws {
        let bytes = Array(text.utf8)
        let classifier = OutcomeClassifier.shared
        var report: [(String, String)] = []
        var verdict: (Classification, Evidence, Refinement)? = nil
        var stage = SMTPStage.unknown
        var provider = MailProvider.none
        var suggestion: String? = nil
        bytes.withUnsafeBufferPointer { l in
            if line {
                let reader = OutcomeReader(classify: false)
                var state = OutcomeReader.InputState(
                    resolver: StampResolver(
                        zone: FixedZone.utc, reference: Instant(seconds: Int64(Date().timeIntervalSince1970))),
                    format: .auto)
                reader.scan(l, line: 1, state: &state) { o in
                    report = [
                        ("recipient", String(decoding: UnsafeBufferPointer(rebasing: l[o.recipient]), as: UTF8.self)),
                        ("status", o.status.name.description),
                        ("dsn", o.dsn?.description ?? "-"),
                        ("reply code", o.smtpCode > 0 ? "\(o.smtpCode)" : "-"),
                    ]
                    guard o.status.isFailure else { return }
                    provider = MailProvider.of(l, relay: o.relay, diagnostic: o.diagnostic)
                    verdict = classifier.classify(status: o.status, dsn: o.dsn, smtpCode: o.smtpCode, text: l, o.diagnostic,
                                                  provider: provider)
                    if let d = o.diagnostic { stage = SMTPStage.find(in: l, d) }
                    if let c = classifier.classify(o), c.suggestion >= 0 { suggestion = DomainTypos.providers[c.suggestion] }
                }
            } else {
                var reply = SMTPReply.find(in: l, 0..<l.count)
                if let dsn, let logged = Array(dsn.utf8).withUnsafeBufferPointer({ DSN.parse($0, at: 0, end: $0.count)?.0 }) {
                    reply.dsn = logged
                }
                let assumed: DeliveryStatus =
                    status.flatMap { DeliveryStatus(name: $0) }
                    ?? ((reply.dsn?.klass == 4 || (400..<500).contains(reply.code)) ? .deferred : .bounced)
                report = [
                    ("status", assumed.name.description + (status == nil ? " (assumed)" : "")),
                    ("dsn", reply.dsn?.description ?? "-"),
                    ("reply code", reply.code > 0 ? "\(reply.code)" : "-"),
                ]
                provider = relay.map { r in
                    Array(r.utf8).withUnsafeBufferPointer { MailProvider.of(host: $0, 0..<$0.count) }
                } ?? MailProvider.of(l, relay: nil, diagnostic: 0..<l.count)
                verdict = classifier.classify(status: assumed, dsn: reply.dsn, smtpCode: reply.code, text: l, 0..<l.count,
                                              provider: provider)
                stage = SMTPStage.find(in: l, 0..<l.count)
            }
        }
        if report.isEmpty {
            printError("bouncetail: explain: no delivery outcome in that line")
            throw ExitCode(1)
        }
        if stage != .unknown { report.append(("stage", stage.name.description)) }
        if provider != .none { report.append(("provider", provider.name.description)) }
        guard let (c, evidence, refinement) = verdict else {
            print(json ? #"{"reason":"delivered"}"# : "not a failure: nothing to classify (\(report.map { "\($0.0) \($0.1)" }.joined(separator: ", ")))")
            return
        }
        var because = describe(evidence, classifier)
        if case .enhancedCode(let d, _) = evidence, let logged = report.first(where: { $0.0 == "dsn" })?.1,
            logged != d.description
        {
            because += ", written at the end of the reply (qmail's style), for a logged code that says nothing"
        }
        if case .enhancedCode = evidence, c.rule >= 0, classifier.rules[c.rule].reason != c.reason {
            let words = classifier.rules[c.rule].phrase
            switch classifier.rules[c.rule].yields {
            case .toExpiry: because += "; the words \"\(words)\" tell how one connection failed, which an expiry code outranks"
            case .toNamedCause: because += "; the words \"\(words)\" give way to a code that names a cause"
            case .never: break
            }
        }
        if refinement == .refusedAfterData {
            because += "; refused only after DATA, so the recipient side's filter (filtered), not an unknown mailbox"
        } else if refinement == .carrierStage {
            because += "; NTT docomo refuses at RCPT only an address it does not have, and after DATA a sender the recipient's settings refuse"
        } else if refinement == .noRecipientYet {
            because += "; an unknown-user text before any recipient was given (at the connection, HELO or MAIL FROM), so not read as one"
        } else if refinement == .notFinal {
            because += "; a deferral, so one attempt that failed (networkerror), not yet an expiry"
        } else if refinement == .temporaryOnFinal {
            because += "; a final failure under a temporary code with no words, so the retries ran out (expired)"
        } else if refinement == .refusedBeforeMail {
            because += "; refused at the connection or HELO, before any address, so our sending host (blocked)"
        }
        if json {
            var j = JSONBuffer()
            j.raw("{\"reason\":")
            j.string(c.reason.name)
            j.raw(",\"bounce\":\"")
            j.raw(c.bounce.name)
            j.raw("\",\"fault\":")
            j.string(c.fault.name)
            j.raw(",\"decided_by\":")
            j.string(because)
            for (k, v) in report where k != "recipient" {
                j.raw(",")
                j.string(k.replacingOccurrences(of: " ", with: "_"))
                j.raw(":")
                if v == "-" {
                    j.null()
                } else if k == "reply code", let n = Int(v) {
                    j.int(n)
                } else if k == "status", v.hasSuffix(" (assumed)") {
                    j.string(String(v.dropLast(10)))
                    j.raw(",\"status_assumed\":true")
                } else {
                    j.string(v)
                }
            }
            j.raw("}")
            print(String(decoding: j.bytes, as: UTF8.self))
            return
        }
        print("reason      \(c.reason.name)")
        print("bounce      \(c.bounce.name)\(c.bounce == .hard ? " (the address itself is bad)" : "")")
        print("fault       \(c.fault.name)\(c.fault == .sender || c.fault == .message ? " (does not count against the recipient)" : "")")
        print("decided by  \(because)")
        for (k, v) in report { print(k.padding(toLength: 12, withPad: " ", startingAt: 0) + v) }
        if let suggestion { print("suggestion  did you mean …@\(suggestion)?") }
    }

    private func describe(_ e: Evidence, _ classifier: OutcomeClassifier) -> String {
        switch e {
        case .text(let rule):
            return "text rule #\(rule) \"\(classifier.rules[rule].phrase)\""
        case .enhancedCode(let d, let specific):
            return "enhanced status code \(d)\(specific ? "" : " (generic class)")"
        case .verdictCode(let d): return "enhanced status code \(d) (a bounce processor's verdict code)"
        case .provider(let rule, let p):
            return "\(p.name) rule #\(rule) \"\(classifier.rules[rule].phrase)\" (what this provider's reply means)"
        case .replyCode(let c): return "reply code \(c)"
        case .localProgram: return "a local delivery program's bare report (an exit status, or pipe's \"temporary failure\")"
        case .status: return "the status alone"
        case .nothing: return "nothing: no text rule, and no code that names a cause"
        }
    }
}
