import ArgumentParser
import BounceTailCore
import BounceTailIO
import BounceTailTestSupport
#if BOUNCETAIL_ISAL
import CIsal
#endif
import CZlib

#if canImport(Glibc)
    import Glibc
#endif

/// Tools for Benchmarks/speed.sh: a reproducible log generator, and zlib's inflate alone (the gzip floor) or the
/// project's own.
@main
struct BounceTailBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bouncetail-bench",
        abstract: "Generate realistic mail logs, or time zlib's inflate alone, for the speed benchmark.",
        subcommands: [Generate.self, Distinct.self, Inflate.self, PolicyLoad.self, ExportJournal.self])
}

/// For Benchmarks/journal-speed.sh: syslog lines as journal export format, for systemd-journal-remote.
struct ExportJournal: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn syslog lines on stdin into journal export format on stdout (the fields journald records for a service's syslog message).",
        discussion: "Example: bouncetail-bench export-journal < mail.log | /lib/systemd/systemd-journal-remote -o x.journal -")

    @Option(help: "Year of legacy stamps (read in UTC).") var year: Int = 2026

    func run() throws {
        let out = OutputStream()
        var skipped = 0
        while let line = readLine() {
            guard let e = JournalExport.Entry(syslogLine: line, year: year) else {
                skipped += 1
                continue
            }
            out.buffer += e.export(monotonicMicros: e.realtimeMicros, trusted: true)
            try out.flushIfFull()
        }
        try out.flush()
        if skipped > 0 {
            let note = Array("export-journal: \(skipped) lines of another shape skipped\n".utf8)
            _ = note.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        }
    }
}

/// For Benchmarks/state-scale.sh: one hard bounce to each of N distinct recipients, so a state holds N records.
struct Distinct: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a Postfix log in which N distinct recipients bounce once each (N state records).",
        discussion: "Example: bouncetail-bench distinct --count 1000000 > mail.log")

    @Option(help: "Recipients (one line each).") var count: Int = 1_000_000
    @Option(help: "Number of the first recipient (to append new ones to a log written before).") var first: Int = 0

    func run() throws {
        let out = OutputStream()
        // 2026-11-01 00:00:00 UTC plus one second per line: stamps only grow.
        let start: Int64 = 1_793_491_200
        for i in first..<(first + count) {
            let t = Instant(seconds: start + Int64(i))
            var stamp: [UInt8] = []
            t.appendRFC3339(to: &stamp)
            let queue = String(i, radix: 16, uppercase: true)
            let line = "\(String(decoding: stamp, as: UTF8.self)) mx1 postfix/smtp[\(1000 + i % 5000)]: 4Q\(queue)Z: to=<user\(i)@customer\(i % 5000).example.net>, relay=mx\(i % 50).customer\(i % 5000).example.net[192.0.2.\(i % 250 + 1)]:25, delay=1.2, delays=0.1/0/0.6/0.5, dsn=5.1.1, status=bounced (host mx\(i % 50).customer\(i % 5000).example.net[192.0.2.\(i % 250 + 1)] said: 550 5.1.1 <user\(i)@customer\(i % 5000).example.net>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))\n"
            out.buffer += Array(line.utf8)
            try out.flushIfFull()
        }
        try out.flush()
    }
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
        abstract: "Decompress gzip files and discard the output: zlib's or ISA-L's inflate alone (the floors for reading archives), or bouncetail's gzip reader.")

    @Option(help: "zlib, isal (the library alone) or bouncetail (its gzip reader, with the decoder it prefers).")
    var decoder = "zlib"
    @Argument(help: "Gzip files.") var files: [String]

    func run() throws {
        var total: UInt64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        for path in files {
            if decoder == "zlib" {
                total += try zlibInflate(path, into: buffer)
                continue
            }
            if decoder == "isal" {
                total += try isalInflate(path, into: buffer)
                continue
            }
            guard decoder == "bouncetail" else { throw ValidationError("unknown decoder \(decoder)") }
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

    /// zlib's inflate with its own gzip wrapper and CRC check, member after member.
    private func zlibInflate(_ path: String, into out: UnsafeMutableRawBufferPointer) throws -> UInt64 {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ValidationError("\(path): cannot open") }
        defer { close(fd) }
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
        defer { input.deallocate() }
        var z = z_stream()
        guard bouncetail_inflateInit2(&z, 15 + 16) == Z_OK else { throw ValidationError("zlib init failed") }
        defer { inflateEnd(&z) }
        var total: UInt64 = 0
        while true {
            if z.avail_in == 0 {
                let n = read(fd, input.baseAddress, input.count)
                if n <= 0 { return total }
                z.next_in = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
                z.avail_in = UInt32(n)
            }
            z.next_out = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
            z.avail_out = UInt32(out.count)
            let rc = inflate(&z, Z_NO_FLUSH)
            total += UInt64(out.count - Int(z.avail_out))
            if rc == Z_STREAM_END {
                inflateReset(&z)
            } else if rc != Z_OK && rc != Z_BUF_ERROR {
                throw ValidationError("\(path): zlib error \(rc)")
            }
        }
    }

    /// ISA-L's inflate with its own gzip wrapper and CRC check, member after member (nothing of bouncetail's).
    private func isalInflate(_ path: String, into out: UnsafeMutableRawBufferPointer) throws -> UInt64 {
        #if BOUNCETAIL_ISAL
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ValidationError("\(path): cannot open") }
        defer { close(fd) }
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 64)
        defer { input.deallocate() }
        guard let state = bt_isal_new() else { throw ValidationError("ISA-L init failed") }
        defer { bt_isal_free(state) }
        var total: UInt64 = 0
        var at = 0
        var count = 0
        while true {
            if at == count {
                let n = read(fd, input.baseAddress, input.count)
                if n <= 0 { return total }
                at = 0
                count = n
            }
            var used = 0
            var produced = 0
            var pending = 0
            let rc = bt_isal_decode(
                state, input.baseAddress!.assumingMemoryBound(to: UInt8.self) + at, count - at,
                out.baseAddress!.assumingMemoryBound(to: UInt8.self), out.count, &used, &produced, &pending)
            at += used
            total += UInt64(produced)
            if rc == Int32(BT_ISAL_MEMBER_END) {
                bt_isal_reset(state)
            } else if rc < 0 {
                throw ValidationError("\(path): ISA-L error \(rc)")
            }
        }
        #else
        throw ValidationError("this build has no ISA-L (BOUNCETAIL_WITHOUT_ISAL, or libisal-dev missing)")
        #endif
    }
}
