import BounceTailCore
import Foundation

/// One outcome as the JSON contract shows it, decoded for assertions.
struct Row: Equatable, CustomStringConvertible {
    var fields: [String: Any]
    static func == (a: Row, b: Row) -> Bool { NSDictionary(dictionary: a.fields).isEqual(to: b.fields) }
    subscript(_ key: String) -> String? {
        switch fields[key] {
        case let s as String: s
        case let n as NSNumber: n.stringValue
        default: nil
        }
    }
    var description: String { "\(fields)" }
}

/// Scans `text` the way `bouncetail scan` does, handing the bytes over in pieces of `chunk` bytes.
func scanRows(
    _ bytes: [UInt8], format: LogFormat = .auto, chunk: Int = .max, year: Int? = 2026,
    zone: any LocalZone = FixedZone.utc, maxLineBytes: Int = 64 * 1024
) throws -> [Row] {
    let reader = OutcomeReader()
    var state = OutcomeReader.InputState(
        resolver: StampResolver(zone: zone, reference: Instant(seconds: 1_795_000_000), fixedYear: year),
        format: format)
    let lines = LineReader(maxLineBytes: maxLineBytes, readSize: 4096)
    var json = JSONBuffer()
    _ = try lines.run(
        from: MemorySource(bytes, chunk: chunk),
        onLine: { line, number in
            reader.scan(line, line: number, state: &state) { o in
                OutcomeJSON.append(o, file: Array("test.log".utf8), to: &json)
            }
        }, onTooLong: { _ in })
    return try decodeRows(json.bytes)
}

func scanRows(_ text: String, format: LogFormat = .auto, year: Int? = 2026) throws -> [Row] {
    try scanRows(Array(text.utf8), format: format, year: year)
}

func decodeRows(_ bytes: [UInt8]) throws -> [Row] {
    try bytes.split(separator: UInt8(ascii: "\n")).map {
        Row(fields: try JSONSerialization.jsonObject(with: Data($0)) as! [String: Any])
    }
}
