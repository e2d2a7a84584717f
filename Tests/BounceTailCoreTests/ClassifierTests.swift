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

/// The classification of a failure with this logged dsn and text (a final failure unless told).
func classified(_ dsn: String, _ text: String, _ status: DeliveryStatus = .bounced) -> Classification {
    classify(LabelledDiagnostic(status: status, dsn: dsn, reason: "", bounce: "", fault: "", text: text))
}

/// The reason of a final failure with this logged dsn and text.
func reason(_ dsn: String, _ text: String) -> BounceReason {
    classified(dsn, text).reason
}

@Suite struct ClassifierTests {
    @Test func theLabelledSetIsLargeAndDistinct() {
        #expect(labelled.count >= 300)
        #expect(Set(labelled.map(\.text)).count == labelled.count)
        // Every reason of the vocabulary that a log can show appears.
        let reasons = Set(labelled.map(\.reason))
        for r in ["userunknown", "hostunknown", "hasmoved", "mailboxfull", "suspend", "blocked", "spamdetected",
                  "norelaying", "rejected", "networkerror", "expired", "filtered", "mesgtoobig", "virusdetected",
                  "notaccept", "toomanyconn", "policyviolation", "securityerror", "mailererror"] {
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

    @Test func aPhraseBeatsACodeOfACauseCheckedAfterIt() {
        // A blocklisted sender, a full mailbox or relaying named under an "unknown user" code is what it names.
        #expect(reason("5.1.1", "550 5.1.1 Client host [192.0.2.1] blocked using zen.spamhaus.org") == .blocked)
        #expect(reason("5.1.1", "550 5.1.1 Mailbox full") == .mailboxfull)
        #expect(reason("5.1.1", "550 5.1.1 Relay access denied") == .norelaying)
        // A full-mailbox code stays, whatever else the text says; so does an unknown user over a spam verdict.
        #expect(reason("5.2.2", "552 5.2.2 User unknown") == .mailboxfull)
        #expect(reason("5.1.1", "550 5.1.1 Message rejected as spam") == .userunknown)
        // Codes that name no cause yield to any clear phrase.
        #expect(reason("5.7.1", "550 5.7.1 User unknown") == .userunknown)
        #expect(reason("5.7.1", "554 5.7.1 Message rejected as spam") == .spamdetected)
        #expect(reason("", "550 Mailbox full") == .mailboxfull)
    }

    @Test func phrasesAndCodesAreWeighedAsTheReferenceWeighsThem() {
        func said(_ dsn: String, _ text: String, _ command: String) -> BounceReason {
            reason(dsn, "host mx.example.net[192.0.2.1] said: \(text) (in reply to \(command) command)")
        }
        // Size and quota codes are final; only a full mailbox beats a size code.
        #expect(said("5.3.4", "552 5.3.4 Relay access denied", "end of DATA") == .mesgtoobig)
        #expect(said("5.3.4", "552 5.3.4 Mailbox full", "end of DATA") == .mailboxfull)
        #expect(said("5.2.2", "552 5.2.2 Client host blocked using zen.spamhaus.org", "RCPT TO") == .mailboxfull)
        // A block or relaying beats a filter or a disabled-account code; an unknown user does not beat the latter.
        #expect(said("5.2.1", "550 5.2.1 Client host blocked using zen.spamhaus.org", "RCPT TO") == .blocked)
        #expect(said("4.2.1", "450 4.2.1 Relay access denied", "RCPT TO") == .norelaying)
        #expect(said("4.2.1", "450 4.2.1 User unknown", "RCPT TO") == .suspend)
        // An unknown domain does not beat an unknown-user code, nor a block an unknown-domain code.
        #expect(said("5.1.1", "550 5.1.1 Domain does not exist", "RCPT TO") == .userunknown)
        #expect(said("5.1.2", "550 5.1.2 Client host blocked using zen.spamhaus.org", "RCPT TO") == .hostunknown)
        // Spam is read over a block code only after DATA; at RCPT the code says what happened.
        #expect(said("4.7.1", "451 4.7.1 Message rejected as spam", "RCPT TO") == .blocked)
        #expect(said("4.7.1", "451 4.7.1 Message rejected as spam", "end of DATA") == .spamdetected)
        // Our sender refused is never the recipient's unknown mailbox (the reference keeps the 5.1.1 there).
        #expect(said("5.1.1", "550 5.1.1 <s@example.org>: Sender address rejected: Access denied", "RCPT TO") == .rejected)
    }

    @Test func verdictCodesOfBounceProcessorsDecide() {
        #expect(reason("5.0.911", "Unable to deliver message to <a@example.net>") == .userunknown)
        #expect(reason("5.0.910", "550 User unknown") == .filtered)
        #expect(reason("5.0.947", "connection refused") == .expired)
        #expect(reason("5.0.918", "Hello, the group you tried to contact may not exist") == .rejected)
        // Its block code stands for a virus too (it has none for one); a block without one stays a block.
        #expect(reason("5.0.971", "550 Virus detected: Win.Test.EICAR_HDB-1") == .virusdetected)
        #expect(reason("5.0.971", "550 Message refused") == .blocked)
        #expect(reason("5.0.970", "550 Nope") == .securityerror)
        #expect(reason("5.0.960", "550 Nope") == .contenterror)
        // Other X.0.NNN codes are not verdicts.
        #expect(reason("5.0.0", "mailbox unavailable") == .userunknown)
    }

    @Test func theStageOfTheRefusalRefinesTheVerdict() throws {
        func row(_ said: String, dsn: String = "5.0.0") throws -> Row {
            let line = "Nov  3 00:00:05 mx postfix/smtp[1]: ABCDE12345: to=<erin@example.jp>, relay=mx.example.jp[192.0.2.7]:25, delay=1, dsn=\(dsn), status=bounced (host mx.example.jp[192.0.2.7] said: \(said))"
            return try #require(try scanRows(line).first)
        }
        // Accepted at RCPT, refused after DATA: the recipient side's filter, not a missing mailbox.
        let afterData = try row("550 Unknown user erin@example.jp (in reply to end of DATA command)")
        #expect(afterData["reason"] == "filtered" && afterData["bounce"] == "soft")
        let atRcpt = try row("550 Unknown user erin@example.jp (in reply to RCPT TO command)")
        #expect(atRcpt["reason"] == "userunknown" && atRcpt["bounce"] == "hard")
        // Pipelining: the RCPT refusal arrives with DATA's "no valid recipients"; it was RCPT's answer.
        let piped = try row("550 <erin@example.jp>: User unknown 554 Error: no valid recipients (in reply to end of DATA command)")
        #expect(piped["reason"] == "userunknown")
        // A specific code is the address's verdict at any stage.
        #expect(try row("550 5.1.1 User unknown (in reply to end of DATA command)", dsn: "5.1.1")["reason"] == "userunknown")
        // Before any recipient was given, "unknown user" is not about ours: the reply is read without it.
        let atMail = try row("550 User unknown (in reply to MAIL FROM command)")
        #expect(atMail["reason"] == "onhold" && atMail["bounce"] == "soft", "\(atMail)")
        #expect(try row("550 5.7.1 No such user here (in reply to MAIL FROM command)", dsn: "5.7.1")["reason"] == "securityerror")
        #expect(try row("550 User unknown (in reply to EHLO command)")["reason"] == "blocked")
        // Exim names the stage before the reply.
        var l = Array("SMTP error from remote mail server after end of data: 550 user unknown".utf8)
        #expect(l.withUnsafeMutableBufferPointer { SMTPStage.find(in: UnsafeBufferPointer($0), 0..<$0.count) } == .data)
        l = Array("SMTP error from remote mail server after RCPT TO:<a@b.example>: 550 user unknown".utf8)
        #expect(l.withUnsafeMutableBufferPointer { SMTPStage.find(in: UnsafeBufferPointer($0), 0..<$0.count) } == .rcptTo)
    }

    @Test func aTimeoutOnAFinalFailureIsAnExpiryAndOnADeferralANetworkError() {
        let text = "connect to mx.example.net[192.0.2.10]:25: Connection timed out"
        let final = classified("4.4.1", text)
        #expect(final.reason == .expired && final.fault == .network)
        let once = classified("4.4.1", text, .deferred)
        #expect(once.reason == .networkerror)
    }

    /// On the real bounces of shared/corpus/bounces (when present), agreement with the reference's verdicts on
    /// the whole bounce email stays where Benchmarks/classify-agreement.pl measured it.
    @Test func agreesWithTheReferenceOnRealBounces() throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/corpus/bounces/sisimai-labelled.tsv")
        guard let text = try? String(contentsOf: corpus, encoding: .utf8) else { return }
        var n = 0, sameReason = 0, sameBounce = 0
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 7, !f[5].isEmpty else { continue }
            var said = f[4]
            let command = ["RCPT": "RCPT TO", "MAIL": "MAIL FROM", "DATA": "end of DATA", "EHLO": "EHLO", "HELO": "HELO"][f[3]]
            if let command { said += " (in reply to \(command) command)" }
            let d = LabelledDiagnostic(status: .bounced, dsn: f[2].isEmpty ? "5.0.0" : f[2], reason: "", bounce: "", fault: "",
                                       text: "host mx.example.net[192.0.2.1] said: " + said)
            let c = classify(d)
            n += 1
            if c.reason.name == f[5] { sameReason += 1 }
            let hard = ["userunknown", "hostunknown", "hasmoved"].contains(f[5]) || f[5] == "notaccept" && !f[2].hasPrefix("4")
            if (c.bounce == .hard) == hard { sameBounce += 1 }
        }
        #expect(n > 300)
        #expect(Double(sameReason) / Double(n) >= 0.94, "reason \(sameReason)/\(n)")
        #expect(Double(sameBounce) / Double(n) >= 0.97, "hard/soft \(sameBounce)/\(n)")
    }

    @Test func codesDecideWhenTheTextSaysNothing() {
        func reason(_ dsn: String, _ text: String, _ status: DeliveryStatus = .bounced) -> (BounceReason, BounceKind) {
            let c = classified(dsn, text, status)
            return (c.reason, c.bounce)
        }
        #expect(reason("5.1.1", "550 nope") == (.userunknown, .hard))
        #expect(reason("4.2.2", "452 nope", .deferred) == (.mailboxfull, .soft))
        #expect(reason("5.1.2", "550 nope", .deferred) == (.hostunknown, .soft))  // a deferral is never hard
        #expect(reason("5.7.26", "550 nope") == (.securityerror, .soft))
        #expect(reason("4.7.1", "451 nope", .deferred) == (.blocked, .soft))
        #expect(reason("5.2.1", "550 nope") == (.filtered, .soft))
        #expect(reason("4.7.652", "451 nope", .deferred) == (.toomanyconn, .soft))
        // A bare reply code names a class, not a cause: only 50x (syntax) says what went wrong.
        #expect(reason("", "552 nope") == (.onhold, .soft))
        #expect(reason("", "551 nope") == (.onhold, .soft))  // never a hard bounce on a reply code alone
        #expect(reason("", "421 nope", .deferred) == (.onhold, .soft))
        #expect(reason("", "501 nope") == (.syntaxerror, .soft))
        #expect(reason("", "nope") == (.onhold, .soft))  // a text nothing explains is undecided
    }

    @Test func aQmailCodeAtTheEndOfTheReplyStandsInForAnEmptyOne() {
        // Postfix logs dsn=5.0.0 for a reply whose code comes last, as qmail gives it.
        #expect(reason("5.0.0", "553 sorry, this cannot be done here (#5.7.1)") == .securityerror)
        // Words that name the cause still decide over it: qmail's badmailfrom list is our sender refused.
        #expect(reason("5.0.0", "553 sorry, your envelope sender is in my badmailfrom list (#5.7.1)") == .rejected)
        #expect(reason("", "451 Resources temporarily unavailable [#4.4.3]") == .systemerror)
        #expect(reason("5.0.0", "550 nope (#5.1.1 - chkuser)") == .userunknown)
        // A logged code that says something keeps its word; a bare "#5.1.0" is no qmail code.
        #expect(reason("5.2.2", "552 nope (#5.1.1)") == .mailboxfull)
        #expect(reason("5.0.0", "550 #5.1.1 nope") == .onhold)
    }

    @Test func aRefusalBeforeMailFromIsOurHostUnlessItsWordsSayOtherwise() {
        #expect(reason("", "host mx.example.net[192.0.2.1] refused to talk to me: 554 nope") == .blocked)
        #expect(reason("", "host mx.example.net[192.0.2.1] said: 554 nope (in reply to EHLO command)") == .blocked)
        // The same vague words after RCPT TO name no host; an X.7.x code at EHLO is a verdict of its own.
        #expect(reason("", "host mx.example.net[192.0.2.1] said: 554 nope (in reply to RCPT TO command)") != .blocked)
        #expect(reason("5.7.1", "host mx.example.net[192.0.2.1] said: 554 nope (in reply to EHLO command)") == .securityerror)
        // Words that explain the refusal win at any stage.
        #expect(reason("4.4.5", "host mx.example.net[192.0.2.1] said: 421 too many connections (in reply to EHLO command)") == .toomanyconn)
    }

    @Test func providersWordingThatCodesAloneMisread() {
        // Gmail's 4.2.1 "receiving mail at a rate" is a rate, not the disabled mailbox an X.2.1 code names.
        #expect(reason("4.2.1", "450-4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered.") == .toomanyconn)
        // Microsoft's 5.7.510: the domain takes mail, only not over IPv6 (no hard verdict on the address).
        let v6 = classified("5.7.510", "550 5.7.510 Access denied, example.com does not accept email over IPv6")
        #expect(v6.reason == .blocked && v6.bounce == .soft)
        // qmail's rcpthosts refusal is relaying, not an unknown domain.
        let relay = classified("5.7.1", "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)")
        #expect(relay.reason == .norelaying && relay.bounce == .soft)
        // A failed DMARC check is our authentication; a refusal citing the domain's policy is that policy.
        #expect(reason("5.0.0", "550 DMARC check failed.") == .blocked)
        #expect(reason("5.7.1", "550 5.7.1 Email rejected per DMARC policy for example.org") == .policyviolation)
        #expect(reason("5.7.26", "550-5.7.26 This mail has been blocked because the sender is unauthenticated.") == .securityerror)
        #expect(reason("5.0.0", "550 Ip frequency limited.") == .toomanyconn)
        #expect(reason("4.7.0", "421 4.7.0 IP not in whitelist for RCPT domain, closing connection.") == .blocked)
        // A bare "Address rejected." is the address; the sender's or a named cause is not.
        #expect(reason("5.0.0", "550 #5.1.0 Address rejected.") == .userunknown)
        #expect(reason("5.0.0", "550 No mailbox by that name is currently available") == .userunknown)
        #expect(reason("5.0.0", "552 size limit exceeded") == .mesgtoobig)
        // Orange's OFR codes: 104 is too many connections, the others it uses at the connection blocks.
        #expect(reason("5.7.1", "550 5.7.1 Service refuse. Veuillez essayer plus tard. Service refused, please try later. OFR004_104 [104]") == .toomanyconn)
        #expect(reason("5.0.0", "554 mwinf5c12 ME 192.0.2.9 Sorry, this IP has been blocked. OFR_999 [506]") == .blocked)
        #expect(reason("5.0.0", "552 Mailbox size limit exceeded") == .mailboxfull)
        #expect(reason("5.0.0", "550 5.1.0 <s@example.org>: Sender address rejected: Access denied") == .rejected)
        #expect(reason("5.0.0", "550 Recipient address rejected: Your message has been rejected by the recipient.") != .userunknown)
    }

    @Test func aProvidersOwnMeaningsApplyOnlyToItsRelays() throws {
        func scanned(_ relay: String, _ dsn: String, _ said: String) throws -> String? {
            let line = "Nov  3 00:00:05 mx postfix/smtp[1]: ABCDE12345: to=<a@example.net>, relay=\(relay)[192.0.2.1]:25, delay=1, dsn=\(dsn), status=bounced (host \(relay)[192.0.2.1] said: \(said) (in reply to RCPT TO command))"
            return try scanRows(line).first?["reason"]
        }
        let dns = "554 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain"
        // From Exchange Online a route its DNS did not find, not an unknown domain (no hard verdict)...
        #expect(try scanned("example-com.mail.protection.outlook.com", "5.4.4", dns) == "networkerror")
        // ...while the same words from anyone else are read by the general rules and the code.
        #expect(try scanned("mx.example.org", "5.4.4", dns) == "hostunknown")
        let busy = "421 4.7.0 Try again later, closing connection."
        #expect(try scanned("gmail-smtp-in.l.google.com", "4.7.0", busy) == "blocked")
        #expect(try scanned("GMAIL-SMTP-IN.L.GOOGLE.COM.", "4.7.0", busy) == "blocked")
        #expect(try scanned("mx.google.com.example.org", "4.7.0", busy) == "systemerror")
        #expect(try scanned("eu-smtp-inbound-1.mimecast.com", "5.0.0", "554 Email rejected due to security policies") == "virusdetected")
        // Cox refuses an address it does not have with a bare "recipient rejected"; from others it says nothing.
        #expect(try scanned("cxr.mx.east.cox.net", "5.0.0", "550 <a@cox.net> recipient rejected") == "userunknown")
        #expect(try scanned("mx.example.org", "5.0.0", "550 <a@example.org> recipient rejected") == "onhold")
    }

    @Test func codesNamedInTheReplyAndTerseWordings() {
        // Cox's block codes decide over the "sender rejected" around them.
        #expect(reason("5.1.0", "550 5.1.0 <s@example.org> sender rejected. AUP#CDRBL") == .blocked)
        #expect(reason("5.0.0", "554 cox.net - 192.0.2.9 - IP blocked - AUP#CXBL") == .blocked)
        #expect(reason("5.0.0", "550 <s@example.org> sender rejected") == .rejected)
        // Sendmail's relaying refusal names the failed IP lookup too: it is still relaying.
        #expect(reason("5.7.1", "550 5.7.1 <a@example.net>... Relaying denied. IP name lookup failed [192.0.2.9]") == .norelaying)
        #expect(reason("5.0.0", "553-you are trying to use me [server-4.example.com] as a relay, but I have not been configured to let you (192.0.2.9) do this.") == .norelaying)
        #expect(reason("5.0.0", "552 Requested mail action aborted: exceeded mailsize limit") == .mesgtoobig)
        #expect(reason("5.7.1", "553 sorry, this recipient is not in my validrcptto list (#5.7.1)") == .userunknown)
        #expect(reason("5.0.0", "550 permanent failure for one or more recipients (someone@example.com:blocked)") == .blocked)
        // Words that say no verdict on the address yet, or one the code must name.
        #expect(reason("4.1.1", "450 4.1.1 <a@example.net>: Recipient address rejected: unverified address: Address verification in progress") == .onhold)
        #expect(reason("4.1.1", "450 4.1.1 <a@example.net>: Recipient address rejected: unverified address: host mx.example.net[192.0.2.3] said: 550 5.1.1 No such user") == .userunknown)
        #expect(reason("5.0.0", "553 Requested action not taken: mailbox name not allowed") == .onhold)
        #expect(reason("5.0.0", "550 Rejected: recipient does not accept mail from this sender") == .filtered)
        #expect(reason("5.0.0", "550 We do not accept mail from this address") == .rejected)
        // Words that say the address refused is our sender's, or our host's name, are never the recipient's
        // unknown address or domain (no hard bounce), whatever else they say.
        for said in ["550 Your domain does not exist", "550 From address does not exist",
                     "550 Unable to verify sender address: no such user", "550 Invalid address in MAIL FROM",
                     "550 Server not accepting mail from your IP", "554 This server does not accept email from your domain"] {
            #expect(reason("5.0.0", said) == .rejected, "\(said)")
        }
        #expect(reason("5.0.0", "550 Your hostname could not be resolved") == .blocked)
        #expect(reason("5.0.0", "550 HELO is not a valid hostname") == .blocked)
        #expect(reason("5.0.0", "550 Your IP is not listed in our whitelist") == .blocked)
        #expect(reason("5.0.0", "550 Sender's domain does not exist") == .rejected)
        // A server that takes no mail for now is not a domain that takes none.
        #expect(reason("5.0.0", "550 Server is not accepting mail at this time") == .systemerror)
        #expect(reason("5.0.0", "550 This domain is not accepting mail") == .notaccept)
        #expect(reason("5.0.0", "550 Too many connections from your IP") == .toomanyconn)
        #expect(reason("5.0.0", "550 The address you sent to does not exist") == .userunknown)
        // A moved user, not a moved server.
        #expect(reason("5.0.0", "550 User has moved to b@example.org") == .hasmoved)
        #expect(reason("5.0.0", "421 Our mail service has moved, please try again later") != .hasmoved)
        #expect(reason("5.0.0", "550 This domain does not accept mail") == .notaccept)
        #expect(reason("5.1.1", "550 5.1.1 The account or domain may not exist, they may be blacklisted, or missing the proper dns entries.") == .userunknown)
    }

    @Test func aLocalProgramsBareReportIsTheProgramsFailure() {
        #expect(reason("5.0.0", "127") == .mailererror)
        #expect(reason("4.3.0", "temporary failure") == .mailererror)
        // A reply code alone, or a remote server's longer words, are not.
        #expect(reason("5.0.0", "554") != .mailererror)
        #expect(reason("4.3.0", "451 Temporary failure, please try again later") == .systemerror)
        // The local mail store behind LMTP kept failing: its trouble, not the queue lifetime's.
        #expect(reason("5.0.0", "host 127.0.0.1 [127.0.0.1] LMTP error after DATA: 450 TEMPERROR: retry timeout exceeded") == .systemerror)
    }

    @Test func aLocalDeliveryProgramsReportOfAFullMailboxIsTheMailbox() {
        #expect(reason("5.3.0", #"Command died with status 1: "/usr/bin/procmail". Command output: procmail: Quota exceeded while writing "/var/mail/a""#) == .mailboxfull)
        #expect(reason("5.3.0", #"Command died with status 127: "/usr/local/bin/filter""#) == .mailererror)
        #expect(reason("4.3.0", #"Command time limit exceeded: "/usr/bin/maildrop""#) == .mailererror)
        // Sendmail names the name server that did not know the host: the host is unknown, not the DNS down.
        #expect(reason("5.0.0", "a@example.net... Host unknown (Name server: mx.example.net: host not found)") == .hostunknown)
        #expect(reason("4.0.0", "Name server: example.net: host name lookup failure") == .networkerror)
    }

    @Test func aSuspensionInWordsTheReferenceDoesNotSetYieldsToACodeThatNamesACause() {
        // The reference's set phrases decide over 5.1.1 (soft: the account may come back)...
        #expect(classified("5.1.1", "550 5.1.1 <a@example.net>: Account has been suspended").bounce == .soft)
        #expect(reason("5.2.1", "554 5.2.1 This mailbox is disabled") == .suspend)
        // ...other wordings under 5.1.1 are the address gone for good (hard), under 5.2.1 the recipient's refusal,
        let locked = classified("5.1.1", "550 5.1.1 Account is locked")
        #expect(locked.reason == .userunknown && locked.bounce == .hard)
        #expect(reason("5.2.1", "550 5.2.1 Mailbox disabled, not accepting messages") == .filtered)
        // ...and alone, or under a code that says little, a suspension.
        #expect(reason("5.0.0", "550 Account disabled") == .suspend)
        #expect(reason("5.7.1", "550 5.7.1 Account is locked") == .suspend)
        // Other words of the address's own cause decide over them too.
        #expect(reason("5.0.0", "550 Message was not accepted -- invalid mailbox. Local mailbox a@example.ru is unavailable: account is disabled") == .userunknown)
        #expect(reason("5.0.0", "550 Account disabled, try again later") == .suspend)
    }

    @Test func gmailsNoticeNamesTheStepThatFailed() {
        let notice = "Delivery to the following recipient failed permanently: Technical details of permanent failure: Google tried to deliver your message, but it was rejected by the recipient domain. The error that the other server returned was: "
        #expect(reason("5.7.0", notice + "554 5.7.0 Header error (state 18).") == .filtered)
        // Words that name a cause still decide.
        #expect(reason("5.7.1", notice + "554 5.7.1 Message rejected as spam (state 18).") == .spamdetected)
    }

    @Test func aFinalFailureUnderATemporaryCodeWithNoWordsRanOutOfRetries() {
        func said(_ status: DeliveryStatus, _ dsn: String, _ text: String) -> BounceReason {
            classified(dsn, text, status).reason
        }
        #expect(said(.bounced, "4.0.0", "host mx.example.net[192.0.2.1] said:  (in reply to RCPT TO command)") == .expired)
        #expect(said(.bounced, "4.5.0", "host mx.example.net[192.0.2.1] said: 421 (in reply to EHLO command)") == .expired)
        // Words keep their reading (none known: undecided), a permanent code says nothing of retries, and a
        // deferral is still queued.
        #expect(said(.bounced, "4.0.0", "host mx.example.net[192.0.2.1] said: 450 Nope, not today (in reply to RCPT TO command)") == .onhold)
        #expect(said(.bounced, "5.0.0", "host mx.example.net[192.0.2.1] said:  (in reply to RCPT TO command)") != .expired)
        #expect(said(.deferred, "4.0.0", "host mx.example.net[192.0.2.1] said:  (in reply to RCPT TO command)") != .expired)
    }

    @Test func anExpiryCodeOutranksTheWordsOfOneFailedConnection() {
        let refused = "connect to mx.example.net[192.0.2.1]:25: Connection refused"
        #expect(reason("4.4.1", refused) == .expired)
        #expect(reason("4.4.7", "Unable to deliver message to the following recipients, due to being unable to connect successfully to the destination mail server.") == .expired)
        // A code that says nothing leaves the words to decide; a route or loop is named whatever the code.
        #expect(reason("5.0.0", refused) == .networkerror)
        #expect(reason("4.4.7", "No route to host") == .networkerror)
        let stalled = "conversation with mx.example.net[192.0.2.1] timed out while sending end of data -- message may be sent more than once"
        #expect(reason("4.4.2", stalled) == .networkerror)
        #expect(reason("4.4.7", stalled) == .expired)
        // Still queued: one attempt failed.
        let deferred = classified("4.4.1", refused, .deferred)
        #expect(deferred.reason == .networkerror && deferred.fault == .network)
    }

    @Test func qmailsGiveUpKeepsTheFailureItNames() {
        let giveUp = "I'm not going to try again; this message has been in the queue too long."
        #expect(reason("4.4.1", "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1) " + giveUp) == .networkerror)
        #expect(reason("4.4.3", "Unable to contact LDAP server. (#4.4.3)" + giveUp) == .systemerror)
        // Words that only say "try later" name no failure: the queue lifetime ran out.
        #expect(reason("4.1.9", "Resources temporarily unavailable, please try again later [#4.1.9]. /" + giveUp) == .expired)
        // qmail names the step: a refusal of our sender at MAIL FROM is not the recipient's, whatever words follow.
        let refusedSender = classified("5.1.1", "Connected to 192.0.2.1 but sender was rejected. Remote host said: 550 5.1.1 User unknown Giving up on 192.0.2.1.")
        #expect(refusedSender.reason == .rejected && refusedSender.bounce == .soft)
        // An MX that names our host but does not take the domain's mail: the route, not the recipient.
        #expect(reason("5.4.6", "Sorry. Although I'm listed as a best-preference MX or A for that host, it isn't in my control/locals file, so I don't treat it as local. (#5.4.6)") == .networkerror)
    }

    @Test func nttDocomoRefusesByStage() throws {
        func scanned(_ relay: String, _ dsn: String, _ said: String, _ command: String) throws -> Row {
            let line = "Nov  3 00:00:05 mx postfix/smtp[1]: ABCDE12345: to=<a@docomo.ne.jp>, relay=\(relay)[203.0.113.1]:25, delay=1, dsn=\(dsn), status=bounced (host \(relay)[203.0.113.1] said: \(said) (in reply to \(command) command))"
            return try #require(try scanRows(line).first)
        }
        let docomo = "mfsmax.docomo.ne.jp"
        // After DATA docomo's "Unknown user" is the recipient's settings refusing our sender: not the address.
        let data = try scanned(docomo, "5.0.0", "550 Unknown user a@docomo.ne.jp", "end of DATA")
        #expect(data["reason"] == "rejected" && data["bounce"] == "soft" && data["fault"] == "recipient", "\(data)")
        // At RCPT any refusal without a cause of our side's making is an address it does not have.
        #expect(try scanned(docomo, "5.0.0", "550 Message rejected", "RCPT TO")["reason"] == "userunknown")
        #expect(try scanned(docomo, "5.0.0", "550 Client host blocked using zen.spamhaus.org", "RCPT TO")["reason"] == "blocked")
        // A code that names a cause keeps it; another host's words keep the general reading.
        #expect(try scanned(docomo, "5.2.2", "552 5.2.2 Mailbox full", "RCPT TO")["reason"] == "mailboxfull")
        #expect(try scanned("mx.example.jp", "5.0.0", "550 Unknown user a@example.jp", "end of DATA")["reason"] == "filtered")
        #expect(try scanned("mx.example.jp", "5.0.0", "550 Message rejected", "RCPT TO")["reason"] == "onhold")
    }

    @Test func expiryKeepsTheFaultOfWhatKeptFailing() {
        let full = classified("4.2.2", "", .expired)
        #expect(full.reason == .expired && full.fault == .recipient && full.bounce == .soft)
        let net = classified("4.4.1", "", .expired)
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
            // Named without its address, as some tools write the line.
            let unbracketed = said.replacingOccurrences(of: "[192.0.2.7] said:", with: " said:")
            #expect(classified("5.1.1", unbracketed).reason == .userunknown, "\(unbracketed)")
        }
        // Without Postfix's `host ... said:` the whole text is the reply.
        let bare = LabelledDiagnostic(status: .bounced, dsn: "5.7.1", reason: "", bounce: "", fault: "",
                                      text: "550 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org")
        #expect(classify(bare).reason == .blocked)
    }

    @Test func anAddressQuotedInTheReplyIsNoVerdict() {
        #expect(reason("5.0.0", "550 <virus-reports@example.com>: Recipient address rejected: User unknown") == .userunknown)
        #expect(reason("5.0.0", "550 spam@example.com... No such user") == .userunknown)
        #expect(reason("5.0.0", "550 Mailbox unavailable: rate-limit@example.net") == .userunknown)
        // A DSN's address type is no complaint about RFC 822; a complaint about it still is.
        #expect(reason("5.0.0", "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##rfc822;erin@example.jp") == .userunknown)
        #expect(reason("5.0.0", "554 Message is not RFC822 compliant") == .contenterror)
        // Exim's pipe commands are not addresses.
        #expect(reason("5.0.0", "(generated from |/usr/local/bin/filter@example.net)") == .mailererror)
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
