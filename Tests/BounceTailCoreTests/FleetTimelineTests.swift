import BounceTailCore
import BounceTailTestSupport
import Foundation
import Testing

/// Several hosts, each with its own ledger in fleet mode, committing their points in every order: the records
/// must be those of one ledger over all hosts' lines merged by time.
@Suite struct FleetTimelineTests {
    static func line(_ minute: Int, host: String, qid: String, to: String, _ s: (status: String, dsn: String, text: String)) -> String {
        let day = 1 + minute / 1440
        let hm = minute % 1440
        return String(format: "Nov %2d %02d:%02d:00 ", day, hm / 60, hm % 60) + host + " postfix/smtp[1]: "
            + "\(qid): to=<\(to)>, relay=mx[192.0.2.1]:25, delay=1, dsn=\(s.dsn), status=\(s.status) (\(s.text))"
    }

    static func outcomes(_ lines: [String], into ledger: BounceLedger, emit: (SuppressionDelta) -> Void = { _ in }) {
        let reader = OutcomeReader()
        var state = OutcomeReader.InputState(
            resolver: StampResolver(zone: FixedZone.utc, reference: Instant(seconds: 0), fixedYear: 2026), format: .auto)
        for (i, text) in lines.enumerated() {
            Array(text.utf8).withUnsafeBufferPointer { l in
                reader.scan(l, line: i + 1, state: &state) { o in ledger.apply(o, file: Array("t.log".utf8), emit: emit) }
            }
        }
    }

    /// The fleet's records, committed as a store would: each commit's points merged per address, then the
    /// timed suppressions that the fleet's newest log time has passed lifted.
    struct Fleet {
        var timelines: [[UInt8]: FleetTimeline] = [:]
        var newest: Instant?
        var listed: Set<[UInt8]> = []
        let policy: SuppressionPolicy

        mutating func commit(_ points: FleetPoints, window: Int64? = nil) {
            if let n = points.newest, newest.map({ $0 < n }) ?? true { newest = n }
            let keepAfter = window.flatMap { w in newest.map { Instant(seconds: $0.seconds - w) } }
            var deltas: [SuppressionDelta] = []
            for (key, ps) in points.byAddress() {
                deltas += timelines[key, default: FleetTimeline()].merge(ps, key: key, policy: policy, now: newest, keepAfter: keepAfter)
            }
            for (key, t) in timelines where t.record.suppressed && t.record.until.map({ $0 <= newest! }) ?? false {
                deltas += timelines[key]!.merge([], key: key, policy: policy, now: newest, keepAfter: keepAfter)
            }
            points.clear()
            for d in deltas {
                if d.action == .suppress {
                    #expect(!listed.contains(d.recipient), "suppressed twice: \(d)")
                    listed.insert(d.recipient)
                } else {
                    #expect(listed.contains(d.recipient), "unsuppressed while not listed: \(d)")
                    listed.remove(d.recipient)
                }
            }
        }
    }

    static func summary(_ key: [UInt8], _ r: BounceLedger.Recipient) -> String {
        "\(String(decoding: key, as: UTF8.self)) hard \(r.hard) soft \(r.soft) \(r.suppressed ? "suppressed \(r.suppressWhy!.rawValue) \(r.suppressReason ?? "")" : "") \(r.firstBounce?.rfc3339 ?? "-") \(r.lastBounce?.rfc3339 ?? "-")"
    }

    @Test(arguments: Array(1...60))
    func hostsCommittingInAnyOrderGiveTheRecordsOfOneTrackOverTheMergedLogs(seed: Int) {
        var rng = SplitMix64(state: UInt64(seed) &* 7919)
        var policy = SuppressionPolicy()
        policy.hardLimit = Int.random(in: 1...3, using: &rng)
        policy.softLimit = Int.random(in: 1...4, using: &rng)
        policy.softSpanSeconds = Int64.random(in: 0...2, using: &rng) * 3600
        policy.suppressForSeconds = Bool.random(using: &rng) ? nil : Int64.random(in: 1...6, using: &rng) * 3600
        policy.pairMaxAgeSeconds = 1000 * 86400
        let hosts = ["mx1", "mx2", "mx3"]
        var byHost: [String: [String]] = [:]
        var merged: [String] = []
        var minute = 0
        for _ in 0..<240 {
            minute += Int.random(in: 1...20, using: &rng)
            let host = hosts[Int.random(in: 0..<3, using: &rng)]
            let rcpt = "r\(Int.random(in: 0..<4, using: &rng))@example.net"
            let qid = "QID\(Int.random(in: 0..<6, using: &rng))X0"
            let s: (status: String, dsn: String, text: String) = switch Int.random(in: 0..<6, using: &rng) {
            case 0, 1: sent
            case 2: mailboxFull
            case 3: userUnknown
            case 4: (status: "bounced", dsn: "5.2.2", text: "host mx[192.0.2.1] said: 552 5.2.2 Mailbox full")
            default: (status: "deferred", dsn: "4.4.1", text: "connect to mx[192.0.2.1]:25: Connection timed out")
            }
            let l = Self.line(minute, host: host, qid: qid, to: rcpt, s)
            byHost[host, default: []].append(l)
            merged.append(l)
        }
        let one = BounceLedger(policy: policy)
        var made = 0
        Self.outcomes(merged, into: one) { _ in made += 1 }
        // The merged log's end passes every suppression end before it, as the fleet's newest time does.
        one.liftExpired(upTo: Instant(seconds: Int64(CivilDate.days(year: 2026, month: 11, day: 1)) * 86400 + Int64(minute) * 60),
                        file: nil, line: nil) { _ in }
        let expected = one.snapshotRecipients.map { Self.summary($0.key, $0.record) }
        #expect(!expected.isEmpty || made > 0, "seed \(seed) exercised nothing")

        // Each host's lines in a few commits; the commits of all hosts in a random order (each host's own in order).
        var commits: [(host: String, lines: [String])] = []
        for h in hosts {
            var lines = byHost[h] ?? []
            while !lines.isEmpty {
                let n = min(lines.count, Int.random(in: 1...40, using: &rng))
                commits.append((h, Array(lines.prefix(n))))
                lines.removeFirst(n)
            }
        }
        for order in 0..<3 {
            var pendingByHost = Dictionary(grouping: commits, by: \.host).mapValues { $0.map(\.lines) }
            var ledgers: [String: BounceLedger] = [:]
            var fleet = Fleet(policy: policy)
            while let h = pendingByHost.keys.sorted().filter({ !pendingByHost[$0]!.isEmpty }).randomElement(using: &rng) {
                let lines = pendingByHost[h]!.removeFirst()
                let ledger = ledgers[h] ?? {
                    let l = BounceLedger(policy: policy)
                    l.fleet = FleetPoints()
                    ledgers[h] = l
                    return l
                }()
                Self.outcomes(lines, into: ledger) { Issue.record("a fleet ledger made a delta itself: \($0)") }
                fleet.commit(ledger.fleet!, window: order == 2 ? 400 * 86400 : nil)
            }
            let got = fleet.timelines.filter { !$0.value.record.isEmpty }.sorted { ByteKey.precedes($0.key, $1.key) }
                .map { Self.summary($0.key, $0.value.record) }
            #expect(got == expected, "seed \(seed) order \(order), policy \(policy)")
            let suppressed = Set(one.snapshotRecipients.filter(\.record.suppressed).map(\.key))
            #expect(fleet.listed == suppressed, "seed \(seed) order \(order): the deltas do not add up to the list")
        }
    }

    /// One host's ledger in fleet mode.
    static func fleetLedger(hardLimit: Int) -> BounceLedger {
        var policy = SuppressionPolicy()
        policy.hardLimit = hardLimit
        let l = BounceLedger(policy: policy)
        l.fleet = FleetPoints()
        return l
    }

    @Test func aBounceOlderThanAnotherHostsDeliveryIsHistory() {
        let (a, b) = (Self.fleetLedger(hardLimit: 2), Self.fleetLedger(hardLimit: 2))
        var fleet = Fleet(policy: a.policy)
        // mx1 delivered at 10:00; mx2's bounces at 09:00 and 11:00 arrive after it.
        Self.outcomes([Self.line(600, host: "mx1", qid: "QIDA1X0", to: "x@example.net", sent)], into: a)
        fleet.commit(a.fleet!)
        Self.outcomes([Self.line(540, host: "mx2", qid: "QIDB1X0", to: "x@example.net", userUnknown),
                       Self.line(660, host: "mx2", qid: "QIDB2X0", to: "x@example.net", userUnknown)], into: b)
        fleet.commit(b.fleet!)
        let r = fleet.timelines[Array("x@example.net".utf8)]!.record
        #expect(r.hard == 1 && !r.suppressed, "the 09:00 bounce counted: \(r)")
    }

    @Test func aLateDeliveryBeforeAnAnnouncedSuppressionLiftsIt() {
        let (a, b) = (Self.fleetLedger(hardLimit: 2), Self.fleetLedger(hardLimit: 2))
        var fleet = Fleet(policy: a.policy)
        Self.outcomes([Self.line(540, host: "mx2", qid: "QIDB1X0", to: "x@example.net", userUnknown),
                       Self.line(660, host: "mx2", qid: "QIDB2X0", to: "x@example.net", userUnknown)], into: b)
        fleet.commit(b.fleet!)
        #expect(fleet.listed.contains(Array("x@example.net".utf8)))
        // mx1's delivery at 10:00, between the two bounces, committed after the suppression was announced.
        Self.outcomes([Self.line(600, host: "mx1", qid: "QIDA1X0", to: "x@example.net", sent)], into: a)
        fleet.commit(a.fleet!)
        let t = fleet.timelines[Array("x@example.net".utf8)]!
        #expect(!t.record.suppressed && t.record.hard == 1)
        #expect(fleet.listed.isEmpty)
    }

    @Test func theTimelineOfAnAddressStaysBounded() {
        var policy = SuppressionPolicy()
        policy.hardLimit = 1000
        var t = FleetTimeline()
        let key = Array("x@example.net".utf8)
        for i in 0..<500 {
            _ = t.merge([.init(.hard, Instant(seconds: Int64(i) * 60), reason: "userunknown")], key: key, policy: policy,
                        now: nil, keepAfter: Instant(seconds: Int64(i) * 60 - 3600), maxPoints: 64)
            #expect(t.points.count <= 61)
        }
        #expect(t.record.hard == 500 && t.base.hard == 500 - t.points.count)
        _ = t.merge([.init(.delivered, Instant(seconds: 500 * 60))], key: key, policy: policy, now: nil, keepAfter: nil)
        #expect(t.points.isEmpty && t.isBare && t.baseIsDelivery)
    }
}

@Suite struct FleetTimelineTextTests {
    @Test func aTimelineReadsBackAsItWasWritten() {
        var policy = SuppressionPolicy()
        policy.hardLimit = 2
        policy.suppressForSeconds = 86400
        var t = FleetTimeline()
        let key = Array("\"a b\"@example.net".utf8)
        _ = t.merge([.init(.soft, Instant(seconds: 1_790_000_000, nanoseconds: 250_000_000, fractionDigits: 3), reason: "mailboxfull"),
                     .init(.suppress, Instant(seconds: 1_790_000_100), reason: "complaint from the  form"),
                     .init(.hard, Instant(seconds: 1_790_000_200), reason: "userunknown")],
                    key: key, policy: policy, now: nil, keepAfter: Instant(seconds: 1_790_000_050))
        #expect(t.record.suppressed && t.baseTime != nil && t.points.count == 2)
        let back = FleetTimeline(text: t.text)
        #expect(back == t)
        #expect(back?.base.firstBounce?.fractionDigits == 3)
        for bad in ["", "t1 - x\nb 0\nr 0", t.text.replacingOccurrences(of: "userunknown", with: "nosuchreason"),
                    t.text + "\nh yesterday", t.text + "\nh 2020-01-01T00:00:00Z"] {
            #expect(FleetTimeline(text: bad) == nil, "read: \(bad)")
        }
    }
}
