import BounceTailCore
import Foundation

/// `report --html FILE`: one self-contained page (inline CSS and SVG, no script, nothing fetched) with the
/// summary, final failures per day by reason as stacked bars, the domains with the highest bounce rate, and
/// the sender-side problems and refusals at SMTP time as tables.
enum ReportHTML {
    static func page(_ r: BounceReport, files: Int, first: Instant?, last: Instant?, top: Int) -> String {
        let t = r.totals
        var h = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>bouncetail report</title>
            <style>
            body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
            h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}
            table{border-collapse:collapse}td,th{padding:2px 10px;text-align:left;border-bottom:1px solid #ddd}
            td.n{text-align:right;font-variant-numeric:tabular-nums}
            .summary span{display:inline-block;margin-right:2em}.summary b{font-size:1.3em}
            .legend span{display:inline-block;margin-right:1.2em}.legend i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:middle}
            </style></head><body>

            """
        h += "<h1>bouncetail report: \(files) file\(files == 1 ? "" : "s")"
        if let first, let last { h += ", \(esc(first.rfc3339)) to \(esc(last.rfc3339))" }
        h += "</h1>\n<p class=\"summary\">"
        for (name, n) in [("delivered", t.delivered), ("deferred", t.deferred), ("hard bounces", t.hardBounced),
                          ("soft bounces", t.softBounced), ("expired", t.expired), ("rejected at SMTP time", r.smtpRejects),
                          ("sent while suppressed", r.sentWhileSuppressed)] {
            h += "<span><b id=\"\(name.replacingOccurrences(of: " ", with: "-"))\">\(n)</b> \(name)</span>"
        }
        h += "</p>\n"
        h += chart(r)
        let domains = r.topDomains(top)
        if !domains.isEmpty {
            h += "<h2>Highest bounce rate by recipient domain</h2>\n<table><tr><th>domain</th><th>bounce rate</th><th>failed</th><th>final</th></tr>\n"
            for d in domains {
                h += "<tr><td>\(esc(d.domain))</td><td class=\"n\">\(String(format: "%.1f %%", 100 * d.bounceRate))</td><td class=\"n\">\(d.counts.failed)</td><td class=\"n\">\(d.counts.final)</td></tr>\n"
            }
            h += "</table>\n"
        }
        let problems = r.senderSideProblems.prefix(top)
        if !problems.isEmpty {
            h += "<h2>Sender-side problems: fix your sending, do not drop these addresses</h2>\n<table><tr><th>provider</th><th>reason</th><th>count</th><th>what it said</th></tr>\n"
            for p in problems {
                h += "<tr><td>\(esc(p.provider))</td><td>\(esc(p.reason.name))</td><td class=\"n\">\(p.count)</td><td>\(esc(p.example))</td></tr>\n"
            }
            h += "</table>\n"
        }
        let rejects = BounceReport.top(r.rejectsByReason, top)
        if !rejects.isEmpty {
            h += "<h2>Rejected at SMTP time</h2>\n<table><tr><th>count</th><th>stage and reason</th></tr>\n"
            for (k, n) in rejects { h += "<tr><td class=\"n\">\(n)</td><td>\(esc(k))</td></tr>\n" }
            h += "</table>\n"
        }
        h += "</body></html>\n"
        return h
    }

    /// Final failures per day, stacked by reason (the six most frequent reasons, the rest as "other").
    static func chart(_ r: BounceReport) -> String {
        let days = r.failuresByDayAndReason.keys.sorted()
        guard let firstDay = days.first, let lastDay = days.last else { return "<p>No final failures in these logs.</p>\n" }
        var totals: [BounceReason: Int] = [:]
        for (_, byReason) in r.failuresByDayAndReason { for (k, n) in byReason { totals[k, default: 0] += n } }
        let shown = totals.sorted { ($0.value, $1.key.name) > ($1.value, $0.key.name) }.prefix(6).map(\.key)
        let colours = ["#c0392b", "#e67e22", "#2980b9", "#8e44ad", "#16a085", "#7f8c8d", "#bdc3c7"]
        let span = Int(lastDay - firstDay) + 1
        let width = 760.0, height = 220.0
        let barWidth = max(2.0, width / Double(span))
        let most = max(1, days.map { r.failuresByDayAndReason[$0]!.values.reduce(0, +) }.max() ?? 1)
        var svg = "<h2>Final failures per day (UTC), by reason</h2>\n"
        svg += "<svg id=\"failures-per-day\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width) + 60)\" height=\"\(Int(height) + 40)\" role=\"img\" aria-label=\"final failures per day by reason\">\n"
        svg += "<text x=\"0\" y=\"12\" font-size=\"11\">\(most)</text><text x=\"0\" y=\"\(Int(height))\" font-size=\"11\">0</text>\n"
        for day in days {
            let x = 40 + Double(day - firstDay) * barWidth
            var y = height
            let byReason = r.failuresByDayAndReason[day]!
            var rest = byReason.values.reduce(0, +)
            for (i, reason) in shown.enumerated() {
                guard let n = byReason[reason], n > 0 else { continue }
                rest -= n
                let hgt = height * Double(n) / Double(most)
                y -= hgt
                svg += "<rect x=\"\(fmt(x))\" y=\"\(fmt(y))\" width=\"\(fmt(barWidth * 0.9))\" height=\"\(fmt(hgt))\" fill=\"\(colours[i])\"><title>\(esc(Report.dayName(day))) \(reason.name): \(n)</title></rect>\n"
            }
            if rest > 0 {
                let hgt = height * Double(rest) / Double(most)
                y -= hgt
                svg += "<rect x=\"\(fmt(x))\" y=\"\(fmt(y))\" width=\"\(fmt(barWidth * 0.9))\" height=\"\(fmt(hgt))\" fill=\"\(colours[6])\"><title>\(esc(Report.dayName(day))) other: \(rest)</title></rect>\n"
            }
        }
        svg += "<text x=\"40\" y=\"\(Int(height) + 16)\" font-size=\"11\">\(Report.dayName(firstDay))</text>"
        svg += "<text x=\"\(Int(width))\" y=\"\(Int(height) + 16)\" font-size=\"11\" text-anchor=\"end\">\(Report.dayName(lastDay))</text>\n</svg>\n"
        svg += "<p class=\"legend\">" + shown.enumerated().map { "<span><i style=\"background:\(colours[$0.offset])\"></i>\(esc($0.element.name))</span>" }.joined()
        if totals.count > shown.count { svg += "<span><i style=\"background:\(colours[6])\"></i>other</span>" }
        return svg + "</p>\n"
    }

    static func fmt(_ v: Double) -> String { String(format: "%.1f", v) }

    static func esc(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
