import BounceTailCore
import Foundation
import Testing

struct LabelledDiagnostic: CustomTestStringConvertible, Sendable {
    var status: DeliveryStatus
    var dsn: String
    var reason: String
    var bounce: String
    var fault: String
    var text: String
    var testDescription: String { "\(reason): \(text.prefix(80))" }
}

/// Tests/Data/diagnostics.tsv: the project's labelled set of real bounce texts.
let labelled: [LabelledDiagnostic] = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Data/diagnostics.tsv")
    let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
        let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        return LabelledDiagnostic(
            status: DeliveryStatus(name: f[0])!, dsn: f[1], reason: f[2], bounce: f[3], fault: f[4], text: f[6])
    }
}()

/// Classifies a text as the pipeline would: reply and enhanced codes come from the text, `dsn=` from the log.
func classify(_ d: LabelledDiagnostic) -> Classification {
    let bytes = Array(d.text.utf8)
    return bytes.withUnsafeBufferPointer { l in
        let reply = SMTPReply.find(in: l, 0..<l.count)
        let logged: DSN? = Array(d.dsn.utf8).withUnsafeBufferPointer { DSN.parse($0, at: 0, end: $0.count)?.0 }
        return OutcomeClassifier.shared.classify(
            status: d.status, dsn: logged ?? reply.dsn, smtpCode: reply.code, text: l, 0..<l.count
        ).classification
    }
}

@Suite struct ClassifierTests {
    @Test func theLabelledSetIsLargeAndDistinct() {
        #expect(labelled.count >= 300)
        #expect(Set(labelled.map(\.text)).count == labelled.count)
        // Every reason of the vocabulary that a log can show appears.
        let reasons = Set(labelled.map(\.reason))
        for r in ["userunknown", "hostunknown", "hasmoved", "mailboxfull", "suspend", "blocked", "spamdetected",
                  "authfailure", "badreputation", "requireptr", "norelaying", "rejected", "networkerror", "expired",
                  "mesgtoobig", "virusdetected", "notaccept", "speeding", "toomanyconn", "policyviolation"] {
            #expect(reasons.contains(r), "\(r)")
        }
    }

    @Test(arguments: labelled)
    func everyLabelledTextGetsItsReasonBounceAndFault(_ d: LabelledDiagnostic) {
        let c = classify(d)
        #expect(c.reason.name == d.reason)
        #expect(c.bounce.name.description == d.bounce)
        #expect(c.fault.name == d.fault)
    }

    @Test func clearTextBeatsAMisleadingCode() {
        let spam = LabelledDiagnostic(status: .bounced, dsn: "5.1.1", reason: "", bounce: "", fault: "",
                                      text: "550 5.1.1 Message rejected as spam by Content Filtering")
        #expect(classify(spam).reason == .spamdetected)
        #expect(classify(spam).bounce == .soft)
        let full = LabelledDiagnostic(status: .bounced, dsn: "", reason: "", bounce: "", fault: "",
                                      text: "550 Mailbox full")
        #expect(classify(full).reason == .mailboxfull)
    }

    @Test func codesDecideWhenTheTextSaysNothing() {
        func reason(_ dsn: String, _ text: String, _ status: DeliveryStatus = .bounced) -> (BounceReason, BounceKind) {
            let c = classify(LabelledDiagnostic(status: status, dsn: dsn, reason: "", bounce: "", fault: "", text: text))
            return (c.reason, c.bounce)
        }
        #expect(reason("5.1.1", "550 nope") == (.userunknown, .hard))
        #expect(reason("4.1.1", "450 nope", .deferred) == (.userunknown, .soft))  // a deferral is never hard
        #expect(reason("5.7.26", "550 nope") == (.authfailure, .soft))
        #expect(reason("", "552 nope") == (.mailboxfull, .soft))
        #expect(reason("", "421 nope", .deferred) == (.systemerror, .soft))
        #expect(reason("", "nope") == (.undefined, .soft))
    }

    @Test func expiryKeepsTheFaultOfWhatKeptFailing() {
        let full = classify(LabelledDiagnostic(status: .expired, dsn: "4.2.2", reason: "", bounce: "", fault: "", text: ""))
        #expect(full.reason == .expired && full.fault == .recipient && full.bounce == .soft)
        let net = classify(LabelledDiagnostic(status: .expired, dsn: "4.4.1", reason: "", bounce: "", fault: "", text: ""))
        #expect(net.reason == .expired && net.fault == .network)
    }

    @Test func typoDomainsOfLargeProvidersGetASuggestion() throws {
        let cases = [("gmial.com", "gmail.com"), ("hotmial.com", "hotmail.com"), ("outlookk.com", "outlook.com"),
                     ("yaho.com", "yahoo.com"), ("gmail.con", "gmail.com"), ("gmx.dr", "gmx.de")]
        for (typo, provider) in cases {
            let line = "Nov  3 00:00:05 mx postfix/smtp[1]: ABCDE12345: to=<Erin@\(typo)>, relay=none, delay=1, dsn=5.4.4, status=bounced (Host or domain name not found. Name service error for name=\(typo) type=A: Host not found)"
            let rows = try scanRows(line)
            #expect(rows.first?["suggestion"] == "erin@\(provider)", "\(typo)")
        }
        for fine in ["gmail.com", "example.com", "mail.com", "gmail.co.uk.example"] {
            let line = "Nov  3 00:00:05 mx postfix/smtp[1]: ABCDE12345: to=<erin@\(fine)>, relay=none, delay=1, dsn=5.4.4, status=bounced (Host or domain name not found. Name service error for name=\(fine) type=A: Host not found)"
            #expect(try scanRows(line).first?["suggestion"] == nil, "\(fine)")
        }
    }

    /// Rules read what the remote server said, not the name of the host that said it: an MX whose name holds
    /// a rule's phrase (`rbl`, `spamhaus`, `greylist`) does not make a blocked or greylisted verdict.
    @Test func theHostThatRepliedIsNotPartOfTheReply() throws {
        for host in ["mx.rbl.example.net", "spamhaus-relay.example.net", "greylist.example.org", "mx1.example.com"] {
            let said = "host \(host)[192.0.2.7] said: 550 5.1.1 <erin@example.com>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)"
            let line = "Nov  3 00:00:05 mx postfix/smtp[1]: ABCDE12345: to=<erin@example.com>, relay=\(host)[192.0.2.7]:25, delay=1, dsn=5.1.1, status=bounced (\(said))"
            #expect(try scanRows(line).first?["reason"] == "userunknown", "\(host)")
            let direct = LabelledDiagnostic(status: .bounced, dsn: "5.1.1", reason: "", bounce: "", fault: "", text: said)
            #expect(classify(direct).reason == .userunknown, "\(host)")
        }
        // Without Postfix's `host ... said:` the whole text is the reply.
        let bare = LabelledDiagnostic(status: .bounced, dsn: "5.7.1", reason: "", bounce: "", fault: "",
                                      text: "550 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org")
        #expect(classify(bare).reason == .blocked)
    }

    @Test func thePhraseMatcherFindsTheEarliestRuleAnywhereIgnoringCase() {
        let m = PhraseMatcher(["blocked using", "user unknown", "unknown", "spam"])
        func first(_ s: String) -> Int? { Array(s.utf8).withUnsafeBufferPointer { m.firstRule(in: $0, 0..<$0.count) } }
        #expect(first("550 USER UNKNOWN here") == 1)
        #expect(first("unknown user") == 2)
        #expect(first("blocked using spamhaus; user unknown") == 0)
        #expect(first("blockeD USING") == 0)
        #expect(first("bloc ked") == nil)
        #expect(first("xxspamxx") == 3)
    }
}
