import BounceTailCore
import Foundation
import Testing

/// One Postfix delivery line, built from the parts a test cares about.
func postfixLine(
    day: Int, hour: Int = 10, qid: String, to: String, orig: String? = nil, status: String, dsn: String,
    text: String
) -> String {
    let o = orig.map { ", orig_to=<\($0)>" } ?? ""
    return String(format: "Nov %2d %02d:00:00 mx postfix/smtp[1]: ", day, hour)
        + "\(qid): to=<\(to)>\(o), relay=mx[192.0.2.1]:25, delay=1, dsn=\(dsn), status=\(status) (\(text))"
}

let userUnknown = (status: "bounced", dsn: "5.1.1", text: "host mx[192.0.2.1] said: 550 5.1.1 User unknown")
let mailboxFull = (status: "deferred", dsn: "4.2.2", text: "host mx[192.0.2.1] said: 452 4.2.2 Mailbox full")
let spamhaus = (status: "bounced", dsn: "5.7.1", text: "host mx[192.0.2.1] said: 554 5.7.1 blocked using zen.spamhaus.org")
let sent = (status: "sent", dsn: "2.0.0", text: "250 2.0.0 Ok")

/// Runs log text through scanner, classifier and a ledger; returns the deltas.
func track(_ lines: [String], policy: SuppressionPolicy = SuppressionPolicy(), ledger: BounceLedger? = nil)
    -> [SuppressionDelta]
{
    let ledger = ledger ?? BounceLedger(policy: policy)
    let reader = OutcomeReader()
    var state = OutcomeReader.InputState(
        resolver: StampResolver(zone: FixedZone.utc, reference: Instant(seconds: 0), fixedYear: 2026), format: .auto)
    var deltas: [SuppressionDelta] = []
    for (i, text) in lines.enumerated() {
        Array(text.utf8).withUnsafeBufferPointer { l in
            reader.scan(l, line: i + 1, state: &state) { o in
                ledger.apply(o, file: Array("t.log".utf8)) { deltas.append($0) }
            }
        }
    }
    return deltas
}

func recipientText(_ d: SuppressionDelta) -> String { String(decoding: d.recipient, as: UTF8.self) }

@Suite struct BounceLedgerTests {
    @Test func aSoftSuppressionTippedByAVagueFailureNamesTheStreaksLastSpecificReason() {
        var policy = SuppressionPolicy()
        policy.softLimit = 2
        policy.softSpanSeconds = 3600
        let lines = [
            postfixLine(day: 1, qid: "QVAGUE01", to: "full@example.net", status: mailboxFull.status, dsn: mailboxFull.dsn,
                        text: mailboxFull.text),
            // The next message's only line says nothing specific (as Exim's "retry time not reached").
            postfixLine(day: 2, qid: "QVAGUE02", to: "full@example.net", status: "deferred", dsn: "4.0.0",
                        text: "delivery temporarily suspended"),
        ]
        let d = track(lines, policy: policy)
        #expect(d.count == 1)
        #expect(d.first?.why == .soft && d.first?.reason == "mailboxfull")
    }

    @Test func threeConsecutiveHardBouncesSuppressAtTheThird() {
        let lines = (1...4).map {
            postfixLine(day: $0, qid: "Q000\($0)A", to: "Dead@Example.net", status: userUnknown.status, dsn: userUnknown.dsn,
                        text: userUnknown.text)
        }
        let d = track(lines)
        #expect(d.count == 1)  // no second suppress while suppressed
        #expect(d.first?.action == .suppress && d.first?.why == .hard && d.first?.reason == "userunknown")
        #expect(d.first?.hard == 3 && d.first?.soft == 0 && d.first?.line == 3)
        #expect(d.first.map(recipientText) == "dead@example.net")
        #expect(d.first?.firstBounce?.rfc3339 == "2026-11-01T10:00:00Z")
        #expect(d.first?.lastBounce?.rfc3339 == "2026-11-03T10:00:00Z")
        #expect(d.first?.seq == 1)
    }

    @Test func retriesOfOneMessageCountOnceAndAHardBounceAfterThemMovesTheCount() {
        let ledger = BounceLedger(policy: SuppressionPolicy())
        var lines = (1...3).map {
            postfixLine(day: 1, hour: $0, qid: "QRETRY01", to: "a@example.net", status: mailboxFull.status,
                        dsn: mailboxFull.dsn, text: mailboxFull.text)
        }
        _ = track(lines, ledger: ledger)
        #expect(ledger.snapshotRecipients.first?.record.soft == 1)
        #expect(ledger.snapshotRecipients.first?.record.hard == 0)
        lines = [postfixLine(day: 2, qid: "QRETRY01", to: "a@example.net", status: userUnknown.status,
                             dsn: userUnknown.dsn, text: userUnknown.text)]
        _ = track(lines, ledger: ledger)
        #expect(ledger.snapshotRecipients.first?.record.soft == 0)
        #expect(ledger.snapshotRecipients.first?.record.hard == 1)
        #expect(ledger.pairCount == 0)  // a bounce is final
    }

    @Test func aDeliveryResetsTheCountersAndLiftsASuppression() {
        var p = SuppressionPolicy()
        p.hardLimit = 2
        let lines = [
            postfixLine(day: 1, qid: "QA0001", to: "b@example.net", status: userUnknown.status, dsn: userUnknown.dsn, text: userUnknown.text),
            postfixLine(day: 2, qid: "QA0002", to: "b@example.net", status: sent.status, dsn: sent.dsn, text: sent.text),
            postfixLine(day: 3, qid: "QA0003", to: "b@example.net", status: userUnknown.status, dsn: userUnknown.dsn, text: userUnknown.text),
            postfixLine(day: 4, qid: "QA0004", to: "b@example.net", status: userUnknown.status, dsn: userUnknown.dsn, text: userUnknown.text),
            postfixLine(day: 5, qid: "QA0005", to: "b@example.net", status: sent.status, dsn: sent.dsn, text: sent.text),
        ]
        let d = track(lines, policy: p)
        #expect(d.map(\.action) == [.suppress, .unsuppress])
        #expect(d.map(\.why) == [.hard, .delivered])
        #expect(d.map(\.seq) == [1, 2])
        #expect(d[0].line == 4 && d[0].hard == 2)  // the delivery on day 2 broke the first streak
        #expect(d[1].hard == 0 && d[1].soft == 0)
    }

    @Test func senderFaultsDoNotCountUnlessAskedTo() {
        var p = SuppressionPolicy()
        p.hardLimit = 1
        p.softLimit = 1
        p.softSpanSeconds = 0
        let lines = (1...3).map {
            postfixLine(day: $0, qid: "QS000\($0)", to: "c@example.net", status: spamhaus.status, dsn: spamhaus.dsn, text: spamhaus.text)
        }
        #expect(track(lines, policy: p).isEmpty)
        p.countSenderFaults = true
        let d = track(lines, policy: p)
        #expect(d.count == 1 && d[0].why == .soft && d[0].reason == "blocked")
    }

    @Test func theSoftRuleNeedsBothTheCountAndTheSpan() {
        func fullDays(_ days: [Int]) -> [String] {
            days.enumerated().map { i, day in
                postfixLine(day: day, qid: "QF00\(i)X", to: "full@example.net", status: mailboxFull.status, dsn: mailboxFull.dsn,
                            text: mailboxFull.text)
            }
        }
        #expect(track(fullDays([1, 1, 2, 2, 3, 3])).isEmpty)  // six soft failures within two days
        let d = track(fullDays([1, 2, 3, 5, 7, 8, 9]))
        #expect(d.count == 1)
        #expect(d.first?.why == .soft && d.first?.soft == 6 && d.first?.line == 6)  // day 8: 5+ failures over 7 days
    }

    @Test func aTimedSuppressionLiftsAtTheFirstOutcomeAtOrAfterItsEnd() {
        var p = SuppressionPolicy()
        p.hardLimit = 1
        p.suppressForSeconds = 7 * 86400
        let lines = [
            postfixLine(day: 1, qid: "QT0001", to: "d@example.net", status: userUnknown.status, dsn: userUnknown.dsn, text: userUnknown.text),
            postfixLine(day: 7, qid: "QT0002", to: "other@example.net", status: sent.status, dsn: sent.dsn, text: sent.text),
            postfixLine(day: 8, qid: "QT0003", to: "other@example.net", status: sent.status, dsn: sent.dsn, text: sent.text),
            postfixLine(day: 9, qid: "QT0004", to: "d@example.net", status: mailboxFull.status, dsn: mailboxFull.dsn, text: mailboxFull.text),
        ]
        let d = track(lines, policy: p)
        #expect(d.map(\.action) == [.suppress, .unsuppress])
        #expect(d[0].until?.rfc3339 == "2026-11-08T10:00:00Z")
        #expect(d[1].why == .expired && d[1].time.rfc3339 == "2026-11-08T10:00:00Z" && d[1].line == 3)
    }

    @Test func countersFollowTheAddressAsSubmitted() {
        var p = SuppressionPolicy()
        p.hardLimit = 2
        let lines = [
            postfixLine(day: 1, qid: "QO0001", to: "box1@mail.example", orig: "Alias@Example.net", status: userUnknown.status,
                        dsn: userUnknown.dsn, text: userUnknown.text),
            postfixLine(day: 2, qid: "QO0002", to: "box2@mail.example", orig: "alias@example.net", status: userUnknown.status,
                        dsn: userUnknown.dsn, text: userUnknown.text),
        ]
        let d = track(lines, policy: p)
        #expect(d.map(recipientText) == ["alias@example.net"])
    }

    @Test func manualChangesAreDeltasToo() {
        let ledger = BounceLedger(policy: SuppressionPolicy())
        let t = Instant(seconds: 1_800_000_000)
        let s = ledger.suppressManually(Array("Who@Example.net".utf8), reason: "asked to stop", at: t)
        #expect(s?.why == .manual && s?.reason == "asked to stop" && s.map(recipientText) == "who@example.net")
        #expect(ledger.suppressManually(Array("who@example.net".utf8), reason: "again", at: t) == nil)
        let u = ledger.unsuppressManually(Array("who@example.net".utf8), at: t)
        #expect(u?.action == .unsuppress && u?.seq == 2)
        #expect(ledger.unsuppressManually(Array("who@example.net".utf8), at: t) == nil)
        #expect(ledger.recipientCount == 0)
    }

    @Test func inFlightPairsAreForgottenAfterTheirMaximumAge() {
        var p = SuppressionPolicy()
        p.pairMaxAgeSeconds = 86400
        let ledger = BounceLedger(policy: p)
        _ = track([postfixLine(day: 1, qid: "QP0001", to: "e@example.net", status: mailboxFull.status,
                               dsn: mailboxFull.dsn, text: mailboxFull.text)], ledger: ledger)
        #expect(ledger.pairCount == 1)
        _ = track([postfixLine(day: 5, qid: "QP0002", to: "f@example.net", status: mailboxFull.status,
                               dsn: mailboxFull.dsn, text: mailboxFull.text)], ledger: ledger)
        #expect(ledger.pairCount == 1)  // the day-1 pair was swept, the new one kept
    }
}
