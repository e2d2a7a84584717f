import BounceTailCore
import BounceTailTestSupport
import Testing

/// The tracking rules written as plainly as possible, to check the real ledger against.
struct ReferenceModel {
    enum Kind { case delivered, softFinal, softRetry, hard, senderFault }
    struct Rec {
        var hard = 0
        var soft = 0
        var softSince: Int64?
        var suppressed = false
        var until: Int64?
    }
    let policy: SuppressionPolicy
    var recs: [String: Rec] = [:]
    var pairs: [String: Bool] = [:]  // counted hard?
    var out: [String] = []

    mutating func apply(time: Int64, qid: String, rcpt: String, kind: Kind) {
        let expired = recs.filter { $0.value.suppressed && $0.value.until != nil && $0.value.until! <= time }
            .sorted { ($0.value.until!, $0.key) < ($1.value.until!, $1.key) }
        for (k, _) in expired {
            recs[k] = nil
            out.append("unsuppress \(k) expired 0 0")
        }
        let pair = qid + "|" + rcpt
        switch kind {
        case .delivered:
            pairs[pair] = nil
            if let r = recs[rcpt], r.suppressed { out.append("unsuppress \(rcpt) delivered 0 0") }
            recs[rcpt] = nil
            return
        case .senderFault:
            return
        case .softFinal, .softRetry, .hard:
            let isHard = kind == .hard
            let final = kind != .softRetry
            var dh = 0
            var ds = 0
            if let countedHard = pairs[pair] {
                if isHard && !countedHard {
                    dh = 1
                    ds = -1
                }
                if final { pairs[pair] = nil } else { pairs[pair] = countedHard || isHard }
            } else {
                if isHard { dh = 1 } else { ds = 1 }
                if !final { pairs[pair] = isHard }
            }
            if dh == 0 && ds == 0 { return }
            var r = recs[rcpt] ?? Rec()
            r.hard += dh
            r.soft = max(0, r.soft + ds)
            if ds > 0 && r.softSince == nil { r.softSince = time }
            if r.soft == 0 { r.softSince = nil }
            if !r.suppressed {
                var why: String? = nil
                if r.hard >= policy.hardLimit {
                    why = "hard"
                } else if r.soft >= policy.softLimit, let s = r.softSince, time - s >= policy.softSpanSeconds {
                    why = "soft"
                }
                if let why {
                    r.suppressed = true
                    r.until = policy.suppressForSeconds.map { time + $0 }
                    out.append("suppress \(rcpt) \(why) \(r.hard) \(r.soft)")
                }
            }
            recs[rcpt] = r
        }
    }
}

@Suite struct LedgerModelTests {
    @Test(arguments: Array(1...40))
    func theLedgerAgreesWithTheReferenceModel(seed: Int) {
        var rng = SplitMix64(state: UInt64(seed))
        var policy = SuppressionPolicy()
        policy.hardLimit = Int.random(in: 1...3, using: &rng)
        policy.softLimit = Int.random(in: 1...4, using: &rng)
        policy.softSpanSeconds = Int64.random(in: 0...3, using: &rng) * 86400
        policy.suppressForSeconds = Bool.random(using: &rng) ? nil : Int64.random(in: 1...3, using: &rng) * 86400
        policy.pairMaxAgeSeconds = 1000 * 86400
        var model = ReferenceModel(policy: policy)
        var lines: [String] = []
        var day = 1
        var hour = 0
        for _ in 0..<300 {
            hour += Int.random(in: 0...8, using: &rng)
            if hour > 23 {
                day += 1
                hour -= 24
            }
            if day > 30 { break }
            let rcpt = "r\(Int.random(in: 0..<5, using: &rng))@example.net"
            let qid = "QID\(Int.random(in: 0..<8, using: &rng))X0"
            let (kind, s): (ReferenceModel.Kind, (status: String, dsn: String, text: String)) =
                switch Int.random(in: 0..<6, using: &rng) {
                case 0: (.delivered, sent)
                case 1: (.softRetry, mailboxFull)
                case 2: (.hard, userUnknown)
                case 3: (.senderFault, spamhaus)
                case 4: (.softFinal, (status: "bounced", dsn: "5.2.2", text: "host mx[192.0.2.1] said: 552 5.2.2 Mailbox full"))
                default: (.softRetry, (status: "deferred", dsn: "4.4.1", text: "connect to mx[192.0.2.1]:25: Connection timed out"))
                }
            lines.append(postfixLine(day: day, hour: hour, qid: qid, to: rcpt, status: s.status, dsn: s.dsn, text: s.text))
            let t = Int64(CivilDate.days(year: 2026, month: 11, day: day)) * 86400 + Int64(hour) * 3600
            model.apply(time: t, qid: qid, rcpt: rcpt, kind: kind)
        }
        let got = track(lines, policy: policy).map {
            "\($0.action.rawValue) \(recipientText($0)) \($0.why.rawValue) \($0.hard) \($0.soft)"
        }
        #expect(got == model.out, "seed \(seed), policy \(policy)")
        #expect(!model.out.isEmpty || policy.hardLimit > 1, "seed \(seed) exercised nothing")
    }
}
