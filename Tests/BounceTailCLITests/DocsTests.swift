import Foundation
import Testing

/// The docs are kept in step with the program: their examples are real output, their option lists real
/// options, and the generated completions and man page current.
@Suite struct DocsTests {
    func text(_ path: String) throws -> String { try String(contentsOf: packageRoot.appendingPathComponent(path), encoding: .utf8) }

    /// The lines of fenced blocks of a markdown file, with the fence's language.
    func blocks(_ path: String) throws -> [(language: String, lines: [String])] {
        var result: [(String, [String])] = []
        var current: (String, [String])? = nil
        for line in try text(path).split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("```") {
                if let c = current {
                    result.append(c)
                    current = nil
                } else {
                    current = (String(line.dropFirst(3)), [])
                }
            } else if current != nil {
                current!.1.append(line)
            }
        }
        return result
    }

    func keys(_ json: String) throws -> [String] {
        // In document order: JSONSerialization loses it, so read the keys off the text.
        let regex = try NSRegularExpression(pattern: #""([a-z_]+)":"#)
        return regex.matches(in: json, range: NSRange(json.startIndex..., in: json)).map { String(json[Range($0.range(at: 1), in: json)!]) }
    }

    @Test func theReadmeDemoRunsAndItsExamplesAreItsRealOutput() throws {
        let readme = try blocks("README.md")
        let demo = try #require(readme.first?.lines.first)
        #expect(demo.hasPrefix("swift run bouncetail track --state /tmp/bouncetail-demo"))
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let command = demo.replacingOccurrences(of: "swift run bouncetail", with: "\"$BT\"").replacingOccurrences(of: "/tmp/bouncetail-demo", with: dir.path)
        let tracked = try run([], shell: command)
        #expect(tracked.status == 0, "\(tracked.stderr)")
        #expect(!tracked.stdout.isEmpty)
        for block in readme where block.language == "json" {
            for line in block.lines where !line.isEmpty {
                if line.contains(#""type":"delta""#) {
                    #expect(tracked.stdout.contains(line), "README delta is not what the demo prints: \(line)")
                } else {
                    let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                    let file = try #require(o["file"] as? String)
                    let scanned = try run(["scan", file])
                    #expect(scanned.stdout.contains(line), "README outcome is not what scan prints for \(file): \(line)")
                }
            }
        }
    }

    @Test func formatAndTrackingExamplesHaveTheFieldsOfRealOutput() throws {
        let outcome = try #require(try run(["scan", "samples/postfix/legacy.log"]).stdout.split(separator: "\n").first.map(String.init))
        let format = try #require(try blocks("docs/FORMAT.md").first { $0.language == "json" })
        #expect(try keys(format.lines.joined()) == keys(outcome))
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let delta = try #require(try run(["track", "--state", dir.path, "--hard-limit", "1", "samples/postfix/legacy.log"]).stdout
            .split(separator: "\n").first.map(String.init))
        let tracking = try #require(try blocks("docs/TRACKING.md").first { $0.language == "json" })
        #expect(try keys(tracking.lines.joined()) == keys(delta))
    }

    @Test func everyOptionInTheReadmeUsageLinesExists() throws {
        let regex = try NSRegularExpression(pattern: #"--[a-z][a-z-]+"#)
        var checked = 0
        for block in try blocks("README.md") where block.language.isEmpty {
            guard let first = block.lines.first, first.hasPrefix("bouncetail ") else { continue }
            let sub = String(first.split(separator: " ")[1])
            let help = try run([sub, "--help"]).stdout
            let usage = block.lines.joined(separator: " ")
            for m in regex.matches(in: usage, range: NSRange(usage.startIndex..., in: usage)) {
                let option = String(usage[Range(m.range, in: usage)!])
                #expect(help.contains(option), "README names \(option) for \(sub), which its --help does not have")
                checked += 1
            }
        }
        #expect(checked > 10)
    }

    @Test func completionsAndManPageAreCurrent() throws {
        for (shell, file) in [("bash", "completions/bouncetail.bash"), ("zsh", "completions/_bouncetail"), ("fish", "completions/bouncetail.fish")] {
            let generated = try run(["--generate-completion-script", shell]).stdout
            #expect(generated == (try text(file)), "\(file) is stale: run Scripts/generate-docs.sh")
        }
        let man = try text("docs/man/bouncetail.1")
        let help = try run(["--help"]).stdout
        // Every subcommand the program has is in the man page.
        let subcommands = help.split(separator: "\n").drop { !$0.hasPrefix("SUBCOMMANDS") }.dropFirst()
            .filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
            .compactMap { $0.split(separator: " ").first.map(String.init) }.filter { $0.allSatisfy(\.isLowercase) && $0 != "help" }
        #expect(subcommands.count >= 8)
        for s in subcommands { #expect(man.contains(".It Em \(s)"), "man page lacks \(s): run Scripts/generate-docs.sh") }
    }
}
