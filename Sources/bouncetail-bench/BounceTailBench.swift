import ArgumentParser
import BounceTailCore
import BounceTailIO

#if canImport(Glibc)
    import Glibc
#endif

/// Tools for Benchmarks/speed.sh: a reproducible log generator and zlib's inflate alone (the gzip floor).
@main
struct BounceTailBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bouncetail-bench",
        abstract: "Generate realistic mail logs, or time zlib's inflate alone, for the speed benchmark.",
        subcommands: [Generate.self, Inflate.self])
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a realistic Postfix or Exim log of about the given size to stdout, the same for the same seed.",
        discussion: "Example: bouncetail-bench generate --format postfix --size 1G --recipients 100000 > mail.log")

    @Option(help: "postfix, postfix-rfc3339 or exim.") var format: String = "postfix"
    @Option(help: "Approximate size: bytes, or with K, M or G.") var size: String = "256M"
    @Option(help: "Distinct recipients (Zipf-popular).") var recipients: Int = 100_000
    @Option(help: "Random seed.") var seed: UInt64 = 1

    func run() throws {
        guard let f = GeneratedFormat(rawValue: format) else {
            throw ValidationError("--format must be one of \(GeneratedFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let bytes = parseSize(size) else { throw ValidationError("--size: not a size: \(size)") }
        var g = LogGenerator(format: f, recipients: max(1, recipients), seed: seed)
        g.write(bytes: bytes, to: 1)
    }

    private func parseSize(_ s: String) -> Int64? {
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        if let u = s.last.flatMap({ units[Character($0.uppercased())] }) { return Int64(s.dropLast()).map { $0 * u } }
        return Int64(s)
    }
}

struct Inflate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decompress gzip files with zlib and discard the output: the floor for reading archives.")

    @Argument(help: "Gzip files.") var files: [String]

    func run() throws {
        var total: UInt64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        for path in files {
            let opened = try InputOpener.open(path)
            loop: while true {
                switch try opened.source.read(into: buffer) {
                case .bytes(let n): total += UInt64(n)
                default: break loop
                }
            }
        }
        print("\(total) bytes inflated")
    }
}
