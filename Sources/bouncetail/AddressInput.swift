import ArgumentParser
import BounceTailCore
import Foundation

/// Addresses given to `suppress`/`unsuppress`: arguments, and files or stdin (`-`) for bulk imports, one
/// address per line or a column of a CSV export (as ESP suppression lists export them).
struct AddressInput {
    struct Entry {
        let address: String
        /// Where it came from, for messages: `argument 2`, `list.csv:14`.
        let origin: String
        /// When it happened, from a JSON Lines event (`{"type":"activity","recipient":...,"time":...}`).
        var time: Instant? = nil
    }

    var entries: [Entry] = []
    var refused: [(Entry, String)] = []

    /// Reads every source; `column` picks a CSV column by 1-based number or header name (default: the first
    /// field holding an `@`).
    static func read(arguments: [String], files: [String], column: String?) throws -> AddressInput {
        var input = AddressInput()
        for (i, a) in arguments.enumerated() {
            if a == "-" {
                input.readLines(FileHandle.standardInput.readDataToEndOfFile(), name: "stdin", column: column)
            } else {
                input.add(a, origin: "argument \(i + 1)")
            }
        }
        for f in files {
            if f == "-" {
                input.readLines(FileHandle.standardInput.readDataToEndOfFile(), name: "stdin", column: column)
                continue
            }
            guard let data = FileManager.default.contents(atPath: f) else {
                throw ValidationError("\(f): cannot read (\(String(cString: strerror(errno))))")
            }
            input.readLines(data, name: f, column: column)
        }
        return input
    }

    private mutating func add(_ raw: String, origin: String, time: Instant? = nil) {
        var a = raw.trimmingCharacters(in: .whitespaces)
        if a.hasPrefix("<"), a.hasSuffix(">"), a.count >= 2 { a = String(a.dropFirst().dropLast()) }
        let entry = Entry(address: a, origin: origin, time: time)
        let bytes = Array(a.utf8)
        if let p = AddressSyntax.problem(bytes) {
            refused.append((entry, p.text))
        } else {
            entries.append(entry)
        }
    }

    private mutating func readLines(_ data: Data, name: String, column: String?) {
        let text = String(decoding: data, as: UTF8.self)
        var columnIndex: Int? = column.flatMap { Int($0) }.map { $0 - 1 }
        var lineNumber = 0
        var sawData = false
        // Swift reads CRLF as one character: split on any newline, so Windows exports read as they should.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            let l = String(line)
            let trimmed = l.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let origin = "\(name):\(lineNumber)"
            if trimmed.hasPrefix("{") {
                // A JSON Lines event from an application: {"type":"activity","recipient":"a@b","time":"RFC 3339"}.
                guard let o = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any],
                    let r = o["recipient"] as? String
                else {
                    refused.append((Entry(address: trimmed, origin: origin), "not a JSON object with a recipient"))
                    continue
                }
                if let type = o["type"] as? String, type != "activity" {
                    refused.append((Entry(address: r, origin: origin), "a \(type) event, not activity"))
                    continue
                }
                var time: Instant? = nil
                if let t = o["time"] as? String {
                    guard let parsed = Instant(rfc3339: t) else {
                        refused.append((Entry(address: r, origin: origin), "time \(t) is not RFC 3339"))
                        continue
                    }
                    time = parsed
                }
                add(r, origin: origin, time: time)
                sawData = true
                continue
            }
            // A line that is an address as it stands (a quoted local part may hold commas) is taken whole.
            if column == nil, AddressSyntax.problem(Array(trimmed.utf8)) == nil {
                add(trimmed, origin: origin)
                sawData = true
                continue
            }
            let fields = Self.csvFields(l)
            if let name = column, columnIndex == nil, !sawData {
                // The header row names the column.
                columnIndex = fields.firstIndex { $0.trimmingCharacters(in: .whitespaces).caseInsensitiveCompare(name) == .orderedSame }
                if columnIndex == nil { refused.append((Entry(address: l, origin: origin), "no column named \(name) in the header")) }
                sawData = true
                continue
            }
            if let c = columnIndex {
                if c < fields.count { add(fields[c], origin: origin) } else {
                    refused.append((Entry(address: l, origin: origin), "no column \(c + 1)"))
                }
            } else if let f = fields.first(where: { $0.contains("@") }) {
                add(f, origin: origin)
            } else if !sawData {
                // A header row (no field is an address): skipped.
            } else {
                add(trimmed, origin: origin)
            }
            sawData = true
        }
    }

    /// The fields of one CSV line (RFC 4180: commas, double quotes doubled inside quoted fields).
    static func csvFields(_ line: String) -> [String] {
        var fields: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(line)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
                } else {
                    field.append(c)
                }
            } else if c == "\"" && field.isEmpty {
                quoted = true
            } else if c == "," || c == ";" || c == "\t" {
                fields.append(field)
                field = ""
            } else {
                field.append(c)
            }
        }
        fields.append(field)
        return fields
    }
}
