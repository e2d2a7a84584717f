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

    @Option(help: "How many recipient domains (and addresses) to show.")
    var top: Int = 10

    @Option(help: ArgumentHelp("Also write the report as one self-contained HTML page (charts inline, nothing fetched).", valueName: "file"))
    var html: String?

    @Option(help: ArgumentHelp("Report on a tracked state directory instead of logs: the list, the counters running, the deltas kept.", valueName: "dir"))
    var state: String?

    func validate() throws {
        if state != nil && (!input.files.isEmpty || input.journalInput.location != nil) {
            throw ValidationError("--state reports on the state alone: name no log files and no journal")
        }
        if state != nil && html != nil { throw ValidationError("--html pictures logs; --state has no logs to picture") }
        if top < 1 { throw ValidationError("--top must be at least 1") }
    }

    func run() throws {
        if let state { return try reportState(state) }
        input.announceStdin()
        var settings = input.settings()
        settings.findsRejectedAtRCPT = true
        let scan = LogScan(settings: settings)
        let ledger = BounceLedger(policy: policyOptions.policy)
        var report = BounceReport()
        var first: Instant?
        var last: Instant?
        let files = input.orderedFiles
        // The journal counts as an input in the JSON and the page; the text names it.
        let inputs = files.count + (input.journalInput.location == nil ? 0 : 1)
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
                onServerLine: { report.add(serverLine: $0) },
                onWarning: { printError("bouncetail: \($0)") })
        }
        if let html {
            let page = ReportHTML.page(report, files: inputs, first: first, last: last, top: top)
            do {
                try Data(page.utf8).write(to: URL(fileURLWithPath: html), options: .atomic)
            } catch {
                printError("bouncetail: \(html): cannot write the HTML report: \(error.localizedDescription)")
                throw ExitCode(1)
            }
        }
        let out = OutputStream()
        do {
            try out.write(Array((json ? jsonText(report, files: inputs, first, last) : text(report, files: files.count, first, last)).utf8))
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
        var s = "bouncetail report: "
        let counted = "\(files) file\(files == 1 ? "" : "s")"
        // The journal is named, not counted as a file.
        if let journal = input.journalInput.location?.description {
            s += files == 0 ? journal : "\(counted) and \(journal)"
        } else {
            s += counted
        }
        if let first, let last { s += ", \(first.rfc3339) to \(last.rfc3339)" }
        s += "\n\n"
        s += "  delivered \(t.delivered)   deferred \(t.deferred)   bounced \(t.hardBounced + t.softBounced) (hard \(t.hardBounced), soft \(t.softBounced))   expired \(t.expired)\n"
        s += "  \(r.recipientsSeen) recipients in \(r.domainCount) domains; \(percent(t.failed, t.final)) of final outcomes failed\n"
        if r.repeatedFinals > 0 {
            s += "  \(r.repeatedFinals) of the final failures were logged again for the same message and recipient (one message, one bounce)\n"
        }
        s += "  received \(r.received) messages (\(Self.bytesText(r.receivedBytes))); rejected at SMTP time \(r.smtpRejects); warnings \(r.problems.values.reduce(0, +))\n"
        let reasons = r.failuresByReason.sorted { ($0.value.failed, $0.value.deferred, $1.key.name) > ($1.value.failed, $1.value.deferred, $0.key.name) }
        if !reasons.isEmpty {
            s += "\nBy reason                 failed  deferred\n"
            for (reason, c) in reasons {
                s += "  " + reason.name.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: "%8d  %8d\n", c.failed, c.deferred)
            }
        }
        let domains = r.topDomains(top)
        if !domains.isEmpty {
            s += "\nHighest bounce rate by recipient domain (recipient-side failures, at least 5 final outcomes)\n"
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
        if !r.suppressedAddresses.isEmpty {
            s += "  " + r.suppressedAddresses.prefix(top).map { "\($0.address) (\($0.why)\($0.reason.map { ", \($0)" } ?? ""))" }
                .joined(separator: ", ") + (r.suppressedAddresses.count > top ? ", ... (--json lists all)" : "") + "\n"
        }
        s += "\nRejected: mail to suppressed addresses (aim: 0 sent)\n"
        s += "  sent while suppressed \(r.sentWhileSuppressed); refused at RCPT by the exported table \(r.rejectedAtRCPT)\n"
        let mailed = r.mostSentWhileSuppressed
        if !mailed.isEmpty {
            s += "  still mailed: " + mailed.prefix(top).map { "\($0.address) \($0.count)" }.joined(separator: ", ")
                + (mailed.count > top ? ", ... (--json lists all)" : "") + "\n"
        }
        let relays = r.failuresByRelay(top)
        if !relays.isEmpty {
            s += "\nFailures by receiving provider and reason      failed  deferred   first text\n"
            for f in relays {
                s += "  " + String(f.provider.prefix(25)).padding(toLength: 26, withPad: " ", startingAt: 0) + f.reason.name.padding(toLength: 16, withPad: " ", startingAt: 0)
                    + String(format: "%8d  %8d   ", f.failed, f.deferred) + String(f.example.prefix(90)) + "\n"
            }
        }
        let slow = r.slowestDomains(top)
        if !slow.isEmpty {
            s += "\nSlowest recipient domains (delivered; delay from arrival, seconds)   deliveries   average       max\n"
            for d in slow {
                s += "  " + d.domain.padding(toLength: 60, withPad: " ", startingAt: 0) + String(format: "%12d  %8.1f  %8.1f\n", d.deliveries, d.average, d.max)
            }
        }
        let recipients = r.topRecipients(top)
        if !recipients.isEmpty {
            s += "\nTop recipients by outcomes (failed of them)\n"
            for x in recipients { s += String(format: "%8d  %8d  ", x.outcomes, x.failed) + x.address + "\n" }
        }
        if r.smtpRejects > 0 {
            s += "\nRejected at SMTP time (never queued), by stage and reason\n"
            for (k, n) in BounceReport.top(r.rejectsByReason, top) { s += String(format: "%8d  ", n) + k + "\n" }
        }
        let senders = r.topSenders(top)
        if !senders.isEmpty {
            s += "\nTop senders by messages received\n"
            for x in senders {
                let b = Self.bytesText(x.bytes)
                s += String(format: "%8d  ", x.messages) + String(repeating: " ", count: max(0, 10 - b.count)) + b + "  " + x.sender + "\n"
            }
        }
        if !r.problems.isEmpty {
            s += "\nWarnings and errors the MTA logged\n"
            for (k, n) in BounceReport.top(r.problems, top) { s += String(format: "%8d  ", n) + k + "\n" }
        }
        if r.byDay.count > 1 {
            s += "\nBy day (UTC)        delivered  deferred   bounced   expired\n"
            for (day, c) in r.byDay.sorted(by: { $0.key < $1.key }) {
                s += "  " + Self.dayName(day).padding(toLength: 16, withPad: " ", startingAt: 0)
                    + String(format: "%10d%10d%10d%10d\n", c.delivered, c.deferred, c.hardBounced + c.softBounced, c.expired)
            }
        }
        if t.final + t.deferred > 0 {
            s += "\nBy hour (UTC)    " + (0..<24).map { String(format: "%4d", $0) }.joined() + "\n"
            func cell(_ n: Int) -> String { let t = Self.short(n); return String(repeating: " ", count: max(1, 4 - t.count)) + t }
            s += "  outcomes        " + r.byHour.map { cell($0.final + $0.deferred) }.joined() + "\n"
            s += "  failed+deferred " + r.byHour.map { cell($0.failed + $0.deferred) }.joined() + "\n"
        }
        s += """

            Counting: one outcome per recipient and attempt as the MTA logged it (a deferral retried three times is
            three deferrals; a final bounce is one); recipients are the distinct addresses delivery was attempted to
            (the original address when the log names one); sender-side problems are refusals of our sending (our
            IP, authentication, content), which never count against the recipient.

            """
        return s
    }

    static func bytesText(_ n: Int) -> String {
        if n < 1024 { return "\(n) B" }
        if n < 1 << 20 { return String(format: "%.1f KiB", Double(n) / 1024) }
        if n < 1 << 30 { return String(format: "%.1f MiB", Double(n) / Double(1 << 20)) }
        return String(format: "%.2f GiB", Double(n) / Double(1 << 30))
    }

    /// A count in at most three columns (999, 12k, 999k, 12M), for the hour table.
    static func short(_ n: Int) -> String {
        if n < 1000 { return "\(n)" }
        if n < 1_000_000 { return "\(n / 1000)k" }
        return "\(n / 1_000_000)M"
    }

    static func dayName(_ day: Int64) -> String {
        let (y, m, d) = CivilDate.civil(fromDays: Int(day))
        return String(format: "%04d-%02d-%02d", y, m, d)
    }

    /// `report --state DIR`: the tracked state, without reading logs.
    private func reportState(_ dir: String) throws {
        try runReportingErrors {
            let store = try readableStore(dir)
            let sum = try store.summary()
            var recent: [String] = []
            let from = sum.lastSeq > UInt64(top) ? sum.lastSeq - UInt64(top) : 0
            try? store.forEachDelta(after: from) { _, json in
                recent.append(String(decoding: json, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            }
            let total = sum.suppressed.reduce(0) { $0 + $1.count }
            // A shared state keeps no refusal counts (each host's MTA log has its refusals).
            let refused = PostgresState.isConnectionString(dir) ? [] : try RefusalLog.read(stateDirectory: dir)
            let dir = PostgresState.redacted(dir)
            let refusals = refused.reduce(0) { $0 + $1.count }
            let out = OutputStream()
            if json {
                let object: [String: Any] = [
                    "state": dir, "suppressed": total,
                    "suppressed_by": sum.suppressed.map { ["why": $0.why, "reason": $0.reason, "count": $0.count] as [String: Any] },
                    "timed_suppressions": sum.timedEnds,
                    "counting": ["recipients": sum.counting.recipients, "with_hard": sum.counting.hard, "with_soft": sum.counting.soft],
                    "last_seq": sum.lastSeq, "deltas_kept": sum.deltasKept, "commands_queued": sum.commandsQueued,
                    "kept_alive_by_activity": ["suppressions_lifted": sum.liftedByActivity, "activity_queued_and_applied": sum.activityApplied],
                    "recent_deltas": recent.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) },
                    "refused_at_rcpt": ["total": refusals, "addresses": refused.count,
                                        "top": refused.prefix(top).map { ["address": $0.address, "reason": $0.reason, "count": $0.count, "last": $0.last] as [String: Any] }],
                ]
                let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
                try out.write(Array(data) + [ASCII.newline])
                return
            }
            var s = "bouncetail report: state \(dir)\n\n"
            s += "  \(total) suppressed (\(sum.timedEnds) with an end); \(sum.counting.recipients) more addresses counting (\(sum.counting.hard) with hard bounces, \(sum.counting.soft) with soft)\n"
            s += "  last seq \(sum.lastSeq); \(sum.deltasKept) deltas kept; \(sum.commandsQueued) queued commands not yet applied\n"
            s += "  kept alive by recorded activity: \(sum.liftedByActivity) soft suppressions lifted (in the deltas kept)\n"
            if !sum.suppressed.isEmpty {
                s += "\nSuppressed by why and reason\n"
                for e in sum.suppressed.prefix(max(top, 20)) {
                    s += "  " + e.why.padding(toLength: 10, withPad: " ", startingAt: 0) + e.reason.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: "%8d\n", e.count)
                }
            }
            s += "\nRefused at RCPT by bouncetail serve (aim: none mailed at all): \(refusals) refusals of \(refused.count) addresses\n"
            for r in refused.prefix(top) { s += String(format: "%8d  ", r.count) + r.address + " (" + r.reason + "), last " + r.last + "\n" }
            if !recent.isEmpty {
                s += "\nLatest deltas\n" + recent.map { "  " + $0 + "\n" }.joined()
            }
            try out.write(Array(s.utf8))
        }
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
            "repeated_final_failures": r.repeatedFinals,
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
            "suppressed_addresses": r.suppressedAddresses.map {
                ["address": $0.address, "why": $0.why, "reason": $0.reason ?? NSNull(), "time": $0.time.rfc3339] as [String: Any]
            },
            "rejected": ["sent_while_suppressed": r.sentWhileSuppressed, "refused_at_rcpt": r.rejectedAtRCPT],
            "received": ["messages": r.received, "bytes": r.receivedBytes],
            "failures_by_relay": r.failuresByRelay(top).map {
                ["provider": $0.provider, "reason": $0.reason.name, "failed": $0.failed, "deferred": $0.deferred, "example": $0.example] as [String: Any]
            },
            "delays": r.slowestDomains(top).map {
                ["domain": $0.domain, "deliveries": $0.deliveries, "average_seconds": ($0.average * 10).rounded() / 10, "max_seconds": $0.max] as [String: Any]
            },
            "top_recipients": r.topRecipients(top).map { ["address": $0.address, "outcomes": $0.outcomes, "failed": $0.failed] as [String: Any] },
            "smtp_rejects": ["total": r.smtpRejects, "by_reason": BounceReport.top(r.rejectsByReason, Int.max).map { ["reason": $0.0, "count": $0.1] as [String: Any] }],
            "top_senders": r.topSenders(top).map { ["sender": $0.sender, "messages": $0.messages, "bytes": $0.bytes] as [String: Any] },
            "warnings": BounceReport.top(r.problems, Int.max).map { ["what": $0.0, "count": $0.1] as [String: Any] },
            "sent_while_suppressed_by": r.mostSentWhileSuppressed.map { ["address": $0.address, "count": $0.count] as [String: Any] },
            "by_day": r.byDay.sorted { $0.key < $1.key }.map {
                ["day": Self.dayName($0.key), "delivered": $0.value.delivered, "deferred": $0.value.deferred,
                 "hard_bounced": $0.value.hardBounced, "soft_bounced": $0.value.softBounced, "expired": $0.value.expired] as [String: Any]
            },
            "by_hour": r.byHour.enumerated().map {
                ["hour": $0.offset, "delivered": $0.element.delivered, "deferred": $0.element.deferred,
                 "bounced": $0.element.hardBounced + $0.element.softBounced, "expired": $0.element.expired] as [String: Any]
            },
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
