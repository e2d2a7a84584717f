import BounceTailCore
import BounceTailIO
import Foundation
import Testing

/// Each sample (or rotated set) next to the JSON Lines it must give; `BOUNCETAIL_RECORD_GOLDEN=1` rewrites
/// them (and fails, so a recording never passes unnoticed).
struct Golden: CustomTestStringConvertible, Sendable {
    var inputs: [String]
    var expected: String
    var testDescription: String { expected }
}

let goldens: [Golden] = [
    Golden(inputs: ["samples/postfix/legacy.log"], expected: "samples/postfix/legacy.expected.jsonl"),
    Golden(inputs: ["samples/postfix/rfc3339.log"], expected: "samples/postfix/rfc3339.expected.jsonl"),
    Golden(inputs: ["samples/exim/mainlog"], expected: "samples/exim/mainlog.expected.jsonl"),
    Golden(
        inputs: ["samples/rotated/mail.log", "samples/rotated/mail.log.2.gz", "samples/rotated/mail.log.1",
                 "samples/rotated/mail.log.3.gz"],
        expected: "samples/rotated/expected.jsonl"),
    Golden(inputs: ["samples/edge/crlf.log"], expected: "samples/edge/crlf.expected.jsonl"),
    Golden(inputs: ["samples/edge/no-final-newline.log"], expected: "samples/edge/no-final-newline.expected.jsonl"),
    Golden(inputs: ["samples/edge/non-utf8.log"], expected: "samples/edge/non-utf8.expected.jsonl"),
    Golden(inputs: ["samples/edge/long-line.log"], expected: "samples/edge/long-line.expected.jsonl"),
    Golden(inputs: ["samples/edge/two-members.log.gz"], expected: "samples/edge/two-members.expected.jsonl"),
    Golden(inputs: ["samples/edge/truncated.log.gz"], expected: "samples/edge/truncated.expected.jsonl"),
    Golden(inputs: ["samples/edge/garbage.bin"], expected: "samples/edge/garbage.expected.jsonl"),
]

@Suite struct SampleGoldenTests {
    @Test(arguments: goldens)
    func samplesGiveTheirExpectedOutcomes(_ g: Golden) throws {
        let result = scanFiles(g.inputs)
        let url = packageRoot.appendingPathComponent(g.expected)
        if ProcessInfo.processInfo.environment["BOUNCETAIL_RECORD_GOLDEN"] == "1" {
            try Data(result.json).write(to: url)
            Issue.record("recorded \(g.expected); review it and run again without BOUNCETAIL_RECORD_GOLDEN")
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(result.text == expected)
    }

    @Test func edgeSamplesReportWhatWentWrongWithFileAndLine() {
        let long = scanFiles(["samples/edge/long-line.log"])
        #expect(long.warnings == ["\(packageRoot.path)/samples/edge/long-line.log:2: line longer than 65536 bytes skipped"])
        let cut = scanFiles(["samples/edge/truncated.log.gz"])
        #expect(cut.errors.count == 1)
        #expect(cut.errors.first?.description.contains("truncated.log.gz: gzip data ends early") == true)
    }
}
