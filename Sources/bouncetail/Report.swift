import ArgumentParser
import BounceTailCore
import BounceTailIO
import Foundation

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarise the bounces in some logs: by reason, by domain, sender-side problems, suppressions.",
        discussion: """
            Examples:
              bouncetail report /var/log/mail.log*
              bouncetail report --json --hard-limit 1 /var/log/exim4/mainlog*
            The logs are replayed through a fresh suppression ledger with the policy flags (no state directory \
            is read or written), so "suppressions" says what that policy would have done over these logs.
            "Rejected" counts mail that still went to an address while it was suppressed, and refusals at RCPT \
            by the exported tables (bouncetail list --format postfix|exim): the aim is that the first is zero.
            """)

    @OptionGroup var input: InputOptions
    @OptionGroup var policyOptions: PolicyOptions

    @Flag(help: "One JSON object instead of the text summary.")
    var json = false

    @Option(help: "How many recipient domains to show.")
    var top: Int = 10

    func run() throws {
        input.announceStdin()
        var settings = input.settings()
        settings.findsRejectedAtRCPT = true
        let scan = LogScan(settings: settings)
        let ledger = BounceLedger(policy: policyOptions.policy)
        var report = BounceReport()
        var first: Instant?
        var last: Instant?
        let files = input.orderedFiles
        let failed = try input.forEachInput { path, opened in
            let file = Array(path.utf8)
            try scan.scan(
                opened,
                onOutcome: { o in
                    if first == nil || o.time < first! { first = o.time }
                    if last == nil || o.time > last! { last = o.time }
                    report.add(o, suppressed: ledger.isSuppressed(o))
                    ledger.apply(o, file: file) { report.add($0) }
                },
                onRejectedAtRCPT: { report.addRejectedAtRCPT($0) },
                onWarning: { printError("bouncetail: \($0)") })
        }
        let out = OutputStream()
        do {
            try out.write(Array((json ? jsonText(report, files: files.count, first, last) : text(report, files: files.count, first, last)).utf8))
        } catch is BrokenPipe {
            return
        }
        if failed { throw ExitCode(1) }
    }

    private func percent(_ part: Int, _ whole: Int) -> String {
        whole == 0 ? "0.0 %" : String(format: "%.1f %%", 100 * Double(part) / Double(whole))
    }

    private func text(_ r: BounceReport, files: Int, _ first: Instant?, _ last: Instant?) -> String {
        let t = r.totals
        var s = "bouncetail report: \(files) file\(files == 1 ? "" : "s")"
        if let first, let last { s += ", \(first.rfc3339) to \(last.rfc3339)" }
        s += "\n\n"
        s += "  delivered \(t.delivered)   deferred \(t.deferred)   bounced \(t.hardBounced + t.softBounced) (hard \(t.hardBounced), soft \(t.softBounced))   expired \(t.expired)\n"
        s += "  \(r.recipientsSeen) recipients in \(r.domainCount) domains; \(percent(t.failed, t.final)) of final outcomes failed\n"
        let reasons = r.failuresByReason.sorted { ($0.value.failed, $0.value.deferred, $1.key.name) > ($1.value.failed, $1.value.deferred, $0.key.name) }
        if !reasons.isEmpty {
            s += "\nBy reason                 failed  deferred\n"
            for (reason, c) in reasons {
                s += "  " + reason.name.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: "%8d  %8d\n", c.failed, c.deferred)
            }
        }
        let domains = r.topDomains(top)
        if !domains.isEmpty {
            s += "\nHighest bounce rate by recipient domain (at least 5 final outcomes)\n"
            for d in domains {
                s += "  " + d.domain.padding(toLength: 30, withPad: " ", startingAt: 0)
                    + String(format: "%6.1f %%   %d of %d\n", 100 * d.bounceRate, d.counts.failed, d.counts.final)
            }
        }
        let problems = r.senderSideProblems
        if !problems.isEmpty {
            s += "\nSender-side problems: fix your sending, do not drop these addresses\n"
            for p in problems.prefix(top) {
                s += "  " + p.provider.padding(toLength: 22, withPad: " ", startingAt: 0) + p.reason.name.padding(toLength: 16, withPad: " ", startingAt: 0)
                    + String(format: "%6d   ", p.count) + p.example + "\n"
            }
        }
        let added = r.suppressions.filter { $0.key.hasPrefix("suppress ") }
        let lifted = r.suppressions.filter { $0.key.hasPrefix("unsuppress ") }
        func list(_ d: [String: Int]) -> String {
            d.sorted { $0.key < $1.key }.map { "\($0.key.split(separator: " ").last!) \($0.value)" }.joined(separator: ", ")
        }
        s += "\nSuppressions (policy: hard \(policyOptions.hardLimit), soft \(policyOptions.softLimit))\n"
        s += "  added \(added.values.reduce(0, +))\(added.isEmpty ? "" : " (\(list(added)))"); lifted \(lifted.values.reduce(0, +))\(lifted.isEmpty ? "" : " (\(list(lifted)))")\n"
        s += "\nRejected: mail to suppressed addresses (aim: 0 sent)\n"
        s += "  sent while suppressed \(r.sentWhileSuppressed); refused at RCPT by the exported table \(r.rejectedAtRCPT)\n"
        return s
    }

    private func jsonText(_ r: BounceReport, files: Int, _ first: Instant?, _ last: Instant?) -> String {
        let t = r.totals
        let object: [String: Any] = [
            "files": files,
            "first": first?.rfc3339 ?? NSNull(),
            "last": last?.rfc3339 ?? NSNull(),
            "outcomes": ["delivered": t.delivered, "deferred": t.deferred, "hard_bounced": t.hardBounced,
                         "soft_bounced": t.softBounced, "expired": t.expired],
            "recipients": r.recipientsSeen,
            "domains": r.domainCount,
            "by_reason": r.failuresByReason.sorted { $0.key.rawValue < $1.key.rawValue }.map {
                ["reason": $0.key.name, "failed": $0.value.failed, "deferred": $0.value.deferred] as [String: Any]
            },
            "top_domains": r.topDomains(top).map {
                ["domain": $0.domain, "final": $0.counts.final, "failed": $0.counts.failed,
                 "bounce_rate": (($0.bounceRate * 10000).rounded() / 10000)] as [String: Any]
            },
            "sender_problems": r.senderSideProblems.map {
                ["provider": $0.provider, "reason": $0.reason.name, "count": $0.count, "example": $0.example] as [String: Any]
            },
            "suppressions": r.suppressions,
            "rejected": ["sent_while_suppressed": r.sentWhileSuppressed, "refused_at_rcpt": r.rejectedAtRCPT],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
