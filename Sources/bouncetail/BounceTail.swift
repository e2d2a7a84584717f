import ArgumentParser
import Foundation
import BounceTailIO

@main
struct BounceTail: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bouncetail",
        abstract: "Turn Postfix and Exim logs into delivery outcomes, bounce classes and suppression changes.",
        discussion: """
            Exit status: 0 success (also when the reader of stdout goes away, as with | head), 1 a runtime error \
            (an unreadable or damaged input, a corrupt or locked state, a full disk), 64 a usage error.
            Shell completions: bouncetail --generate-completion-script bash|zsh|fish (also in completions/).
            """,
        version: "0.1.0 (gzip: \(GzipDecoderKind.available.map(\.libraryName).joined(separator: ", fallback ")); journal: \(JournalReader.available ? "libsystemd" : "not built"); postgresql: \(PostgresState.clientLibrary ?? "not built"))",
        subcommands: [Scan.self, Track.self, Follow.self, Report.self, Suppress.self, Unsuppress.self, Activity.self, Reset.self, List.self, Deltas.self, Check.self, Explain.self, Serve.self, Migrate.self])

    /// An unknown command word gets its own message (the parser would call it "unexpected arguments").
    static func main() {
        let args = Array(CommandLine.arguments.dropFirst())
        if let first = args.first, !first.hasPrefix("-"), first != "help" {
            let names = configuration.subcommands.map { $0._commandName }
            if !names.contains(first) {
                let near = names.first { editDistance($0, first) <= 2 }
                FileHandle.standardError.write(Data((
                    "bouncetail: unknown command '\(first)'" + (near.map { " (did you mean '\($0)'?)" } ?? "")
                    + "\ncommands: \(names.joined(separator: ", ")); bouncetail --help for more\n").utf8))
                Foundation.exit(64)
            }
        }
        main(nil)
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let keep = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = keep
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }
}
