import BounceTailCore
import Foundation
import Testing

@Suite struct JSONBufferTests {
    private func encode(_ bytes: [UInt8], lowercase: Bool = false) -> String {
        var j = JSONBuffer()
        bytes.withUnsafeBufferPointer { j.string($0, 0..<$0.count, lowercase: lowercase) }
        return String(decoding: j.bytes, as: UTF8.self)
    }

    @Test func quotesBackslashesAndControlBytesAreEscaped() {
        #expect(encode(Array("a\"b\\c\td\u{01}".utf8)) == "\"a\\\"b\\\\c\\td\\u0001\"")
    }

    @Test func validUTF8IsKeptAndInvalidBytesBecomeReplacementCharacters() {
        #expect(encode(Array("zoë 日本 🎉".utf8)) == "\"zoë 日本 🎉\"")
        #expect(encode([0x6a, 0xf6, 0x72, 0x67]) == "\"j\u{FFFD}rg\"")
        #expect(encode([0xe6, 0x97]) == "\"\u{FFFD}\u{FFFD}\"")  // truncated sequence
        #expect(encode([0xed, 0xa0, 0x80]) == "\"\u{FFFD}\u{FFFD}\u{FFFD}\"")  // surrogate
        #expect(encode([0xc0, 0xaf]) == "\"\u{FFFD}\u{FFFD}\"")  // overlong
    }

    @Test func lowerCasingTouchesAsciiOnly() {
        #expect(encode(Array("Bob.ÉTÉ@Example.NET".utf8), lowercase: true) == "\"bob.ÉtÉ@example.net\"")
    }

    @Test func outcomeLinesCarryEveryKeyInOrder() throws {
        let line = Array(
            "Nov  3 10:00:01 mx1 postfix/smtp[1]: ABCDE12345: to=<a@b.example>, relay=none, delay=1, status=sent (ok)".utf8)
        let rows = try scanRows(line)
        try #require(rows.count == 1)
        let keys = [
            "type", "time", "mta", "host", "queue_id", "recipient", "original_recipient", "status", "dsn", "smtp_code",
            "relay", "diagnostic", "bounce", "reason", "fault", "file", "line",
        ]
        #expect(Set(rows[0].fields.keys) == Set(keys))
        var j = JSONBuffer()
        let reader = OutcomeReader()
        var state = OutcomeReader.InputState(
            resolver: StampResolver(zone: FixedZone.utc, reference: Instant(seconds: 0), fixedYear: 2026),
            format: .auto)
        line.withUnsafeBufferPointer { b in
            reader.scan(b, line: 1, state: &state) { o in OutcomeJSON.append(o, file: [], to: &j) }
        }
        let text = String(decoding: j.bytes, as: UTF8.self)
        let positions = keys.map { text.range(of: "\"\($0)\":")!.lowerBound }
        #expect(positions == positions.sorted())
    }
}
