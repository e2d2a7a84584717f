import Foundation
import Testing

/// The progress line: on a terminal only, never with --quiet, and never mixed into stdout.
@Suite struct ProgressTests {
    static let hasScript = FileManager.default.isExecutableFile(atPath: "/usr/bin/script")

    func withLog(_ body: (URL) throws -> Void) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("mail.log")
        try syntheticLog(lines: 140_000).write(to: log, atomically: true, encoding: .utf8)
        try body(dir)
    }

    @Test func noProgressWhenStderrIsNotATerminal() throws {
        try withLog { dir in
            let r = try run(["track", "--state", dir.appendingPathComponent("st").path, "--timezone", "UTC", "--year", "2026",
                             dir.appendingPathComponent("mail.log").path])
            #expect(r.status == 0)
            #expect(!r.stderr.contains("\u{1B}[K") && !r.stderr.contains("lines"), "\(r.stderr)")
        }
    }

    @Test(.enabled(if: hasScript, "needs script(1) for a terminal"))
    func progressOnATerminalUnlessQuiet() throws {
        try withLog { dir in
            let cmd = "\"$BT\" track --state '\(dir.path)/st' --timezone UTC --year 2026 '\(dir.path)/mail.log' > /dev/null"
            let shown = try run([], shell: "script -qec \"\(cmd.replacingOccurrences(of: "\"", with: "\\\""))\" /dev/null")
            #expect(shown.status == 0, "\(shown.stderr)")
            #expect(shown.stdout.contains("mail.log") && shown.stdout.contains("M lines") && shown.stdout.contains("of "),
                    "no progress line: \(shown.stdout.debugDescription)")
            try? FileManager.default.removeItem(at: dir.appendingPathComponent("st"))
            let quiet = try run([], shell: "script -qec \"\(cmd.replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: " track ", with: " track --quiet "))\" /dev/null")
            #expect(quiet.status == 0)
            #expect(!quiet.stdout.contains("M lines"), "\(quiet.stdout.debugDescription)")
        }
    }
}
