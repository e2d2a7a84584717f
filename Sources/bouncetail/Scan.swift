import ArgumentParser
import BounceTailCore
import BounceTailIO

struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print one JSON object per delivery outcome found in the logs.",
        discussion: """
            Example:
              bouncetail scan /var/log/mail.log.2.gz /var/log/mail.log.1 /var/log/mail.log
              zcat -f /var/log/exim4/mainlog* | bouncetail scan --format exim -
            Output: JSON Lines on stdout (docs/FORMAT.md); warnings and errors on stderr as FILE:LINE: message.
            """)

    @OptionGroup var input: InputOptions

    func run() throws {
        input.announceStdin()
        let out = OutputStream()
        let scan = LogScan(settings: input.settings())
        var json = JSONBuffer(capacity: 1 << 17)
        let progress = input.progressLine()
        defer { progress.clear() }
        let failed: Bool
        do {
            failed = try input.forEachInput(progress: progress) { path, opened in
                let file = Array(path.utf8)
                try scan.scan(
                    opened,
                    onOutcome: { o in
                        OutcomeJSON.append(o, file: file, to: &json)
                        if json.bytes.count >= 1 << 16 {
                            try out.write(json.bytes)
                            json.removeAll()
                        }
                    },
                    onWarning: {
                        progress.clear()
                        printError("bouncetail: \($0)")
                    },
                    onProgress: progress.enabled ? { n, position in progress.update(path, lines: n, position: position) } : nil)
            }
            try out.write(json.bytes)
        } catch is BrokenPipe {
            return
        }
        if failed { throw ExitCode(1) }
    }
}
