import ArgumentParser

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
        version: "0.1.0",
        subcommands: [Scan.self, Track.self, Follow.self, Report.self, Suppress.self, Unsuppress.self, List.self, Deltas.self, Check.self, Explain.self])
}
