import BounceTailCore
import BounceTailIO
import Foundation
import Testing

/// Lines of ../shared/corpus that look like delivery lines but are genuinely not parseable, with the reason.
/// Keyed by "file:line".
let corpusExceptions: [String: String] = [
    "postfix/Anantg21_Python-Dashboard-for-Postfix-Logs.log:7": "hand-edited: status=failed is not a Postfix status",
    "postfix/Anantg21_Python-Dashboard-for-Postfix-Logs.log:24": "hand-edited: status=failed is not a Postfix status",
    "postfix/whyscream_postfix-grok-patterns.log:198": "no time stamp: a message body without its syslog header",
    "exim/Exim_exim-testsuite-4.84.log:11": "== for queue_domains: queued, not a delivery attempt",
    "exim/Exim_exim-testsuite-4.84.log:12": "== for queue_smtp_domains / -odqs: queued, not a delivery attempt",
    "exim/Exim_exim-testsuite-4.84.log:174": "== for queue_smtp_domains / -odqs: queued, not a delivery attempt",
    "exim/Exim_exim-testsuite.log:178": "== for queue_domains: queued, not a delivery attempt",
    "exim/Exim_exim-testsuite.log:184": "== first-pass routing for queue_smtp_domains: not a delivery attempt",
    "exim/Exim_exim-testsuite.log:2121": "== first-pass routing for queue_smtp_domains: not a delivery attempt",
    "exim/Exim_exim-testsuite.log:2122": "== first-pass routing for queue_smtp_domains: not a delivery attempt",
    "exim/Exim_exim-testsuite.log:3073": "== for queue_domains: queued, not a delivery attempt",
]

/// Spreadsheet-damaged lines (`dsn=5.0.0," status=`) in one corpus file: a CSV export broke the fields.
let damagedByExport = "postfix/louisitvn_pflgviewer.log"

private let corpus = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus")

/// The naive definition of a delivery line, independent of the scanners.
private func looksLikeDelivery(_ line: Substring, mta: String) -> Bool {
    if mta == "postfix" { return line.contains("to=") && line.contains("status=") && line.contains("postfix") }
    let flags = [" => ", " -> ", " ** ", " == ", " >> "]
    guard let flagRange = flags.lazy.compactMap({ line.range(of: $0) }).first else { return false }
    // The flag must follow a message id (xxxxxx-xxxxxx-xx or xxxxxx-xxxxxxxxxxx-xxxx).
    let before = line[..<flagRange.lowerBound].split(separator: " ").last ?? ""
    let parts = before.split(separator: "-", omittingEmptySubsequences: false)
    return parts.count == 3 && parts[0].count == 6 && (parts[1].count == 6 || parts[1].count == 11)
        && (parts[2].count == 2 || parts[2].count == 4)
}

@Suite(.enabled(if: FileManager.default.fileExists(atPath: corpus.path), "../shared/corpus is not here"))
struct CorpusTests {
    @Test(arguments: ["postfix", "exim"])
    func everyDeliveryLineYieldsAnOutcomeAndNoOtherLineDoes(mta: String) throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: corpus.appendingPathComponent(mta).path)
            .filter { $0.hasSuffix(".log") }.sorted()
        #expect(!files.isEmpty)
        var checked = 0
        for file in files {
            let rel = "\(mta)/\(file)"
            var settings = fixedSettings(format: mta == "postfix" ? .postfix : .exim)
            settings.maxLineBytes = 1 << 20
            let result = scanFiles([rel], settings: settings, root: corpus)
            #expect(result.errors.isEmpty, "\(rel)")
            var outcomeLines: [Int: [String]] = [:]
            for l in result.lines {
                let o = try JSONSerialization.jsonObject(with: Data(l.utf8)) as! [String: Any]
                outcomeLines[o["line"] as! Int, default: []].append(o["status"] as! String)
            }
            let data = try Data(contentsOf: corpus.appendingPathComponent(rel))
            // Split on LF bytes: Swift's Character view would join CR LF into one.
            let lines = data.split(separator: 0x0a, omittingEmptySubsequences: false)
            for (index, bytes) in lines.enumerated() {
                let line = Substring(String(decoding: bytes, as: UTF8.self))
                let number = index + 1
                let key = "\(rel):\(number)"
                let want = looksLikeDelivery(line, mta: mta)
                let got = outcomeLines[number] != nil
                if want && !got {
                    if corpusExceptions[key] != nil { continue }
                    if rel == damagedByExport && line.contains("\" status=") { continue }
                    // Exim skipped the host or route until its retry time: no delivery attempt was made.
                    if mta == "exim" && line.contains(" == ") && line.contains("): retry time not reached") { continue }
                    Issue.record("no outcome for delivery line \(key): \(line.prefix(200))")
                } else if !want && got {
                    // qmgr's per-message expiry yields outcomes for the recipients still pending.
                    if mta == "postfix" && line.contains("status=expired") && outcomeLines[number]!.allSatisfy({ $0 == "expired" }) {
                        continue
                    }
                    Issue.record("outcome from a line that is no delivery line \(key): \(line.prefix(200))")
                }
                if want { checked += 1 }
            }
        }
        #expect(checked > (mta == "postfix" ? 30_000 : 3_000))
    }
}
