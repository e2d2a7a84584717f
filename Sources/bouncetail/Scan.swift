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
        let out = OutputStream()
        let scan = LogScan(settings: input.settings())
        var json = JSONBuffer(capacity: 1 << 17)
        var failed = false
        let progress = input.progressLine()
        defer { progress.clear() }
        do {
            for path in input.orderedFiles {
                let opened: OpenedInput
                do {
                    opened = try InputOpener.open(path)
                } catch let e as InputError {
                    printError("bouncetail: \(e)")
                    failed = true
                    continue
                }
                let file = Array((path == "-" ? "-" : path).utf8)
                do {
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
                        onProgress: progress.enabled ? { n in progress.update(path, lines: n, position: opened.raw.position) } : nil)
                } catch let e as InputError {
                    progress.clear()
                    printError("bouncetail: \(e)")
                    failed = true
                }
                progress.finished(path, lines: 0)
            }
            try out.write(json.bytes)
        } catch is BrokenPipe {
            return
        }
        if failed { throw ExitCode(1) }
    }
}
