import ArgumentParser

@main
struct BounceTail: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bouncetail",
        abstract: "Turn Postfix and Exim logs into delivery outcomes, bounce classes and suppression changes.",
        version: "0.1.0",
        subcommands: [Scan.self, Track.self, Follow.self, Report.self, Suppress.self, Unsuppress.self, List.self, Explain.self])
}
