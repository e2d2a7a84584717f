import Foundation
import Testing

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The built `bouncetail` binary, next to the test bundle.
let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    .appendingPathComponent("bouncetail")

struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs bouncetail with `arguments` from the package root; `shell` runs a bash command line instead.
func run(_ arguments: [String], stdin: Data? = nil, shell: String? = nil) throws -> Run {
    let p = Process()
    if let shell {
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", shell]
        p.environment = ProcessInfo.processInfo.environment.merging(["BT": binary.path]) { $1 }
    } else {
        p.executableURL = binary
        p.arguments = arguments
    }
    p.currentDirectoryURL = packageRoot
    let out = Pipe()
    let err = Pipe()
    let input = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = input
    try p.run()
    if let stdin { input.fileHandleForWriting.write(stdin) }
    try input.fileHandleForWriting.close()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

@Suite struct ScanCommandTests {
    let fixed = ["--timezone", "UTC", "--year", "2026"]

    @Test func scanPrintsTheSamplesOutcomes() throws {
        let r = try run(["scan"] + fixed + ["samples/postfix/legacy.log"])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        let expected = try String(contentsOf: packageRoot.appendingPathComponent("samples/postfix/legacy.expected.jsonl"), encoding: .utf8)
        #expect(r.stdout == expected)
    }

    @Test func stdinIsReadWithDashOrNoFile() throws {
        let data = try Data(contentsOf: packageRoot.appendingPathComponent("samples/exim/mainlog"))
        let a = try run(["scan"] + fixed + ["-"], stdin: data)
        let b = try run(["scan"] + fixed, stdin: data)
        #expect(a.status == 0 && b.status == 0)
        #expect(a.stdout.split(separator: "\n").count == 15)
        #expect(a.stdout == b.stdout)
        #expect(a.stdout.contains("\"file\":\"-\""))
    }

    @Test func gzippedStdinIsDetectedToo() throws {
        let data = try Data(contentsOf: packageRoot.appendingPathComponent("samples/rotated/mail.log.2.gz"))
        let r = try run(["scan"] + fixed, stdin: data)
        #expect(r.status == 0)
        #expect(r.stdout.split(separator: "\n").count == 2)
    }

    @Test func aMissingFileIsReportedAndTheOthersStillRead() throws {
        let r = try run(["scan"] + fixed + ["samples/nope.log", "samples/rotated/mail.log.1"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("bouncetail: samples/nope.log: cannot open"))
        #expect(r.stdout.split(separator: "\n").count == 1)
    }

    @Test func aTruncatedArchiveFailsAfterItsLinesAndTheRemainingFiles() throws {
        let r = try run(["scan"] + fixed + ["samples/edge/truncated.log.gz", "samples/edge/crlf.log"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("samples/edge/truncated.log.gz: gzip data ends early at compressed offset"))
        #expect(r.stdout.contains("\"file\":\"samples/edge/crlf.log\""))
        #expect(r.stdout.split(separator: "\n").count > 100)
    }

    @Test func aClosedStdoutEndsTheRunQuietly() throws {
        let r = try run([], shell: "yes \"$(head -1 samples/edge/crlf.log)\" | head -c 50000000 | \"$BT\" scan | head -n 1; echo \"rc=${PIPESTATUS[2]}\"")
        #expect(r.stdout.split(separator: "\n").count == 2)
        #expect(r.stdout.hasSuffix("rc=0\n"))
        #expect(!r.stderr.contains("bouncetail"))
        let r2 = try run([], shell: "\"$BT\" scan samples/edge/truncated.log.gz 2>/dev/null | head -n 1 >/dev/null; exit 0")
        #expect(r2.status == 0)
    }

    @Test func usageErrorsExitWith64() throws {
        #expect(try run(["scan", "--format", "sendmail"]).status == 64)
        #expect(try run(["scan", "--timezone", "Mars/Olympus"]).status == 64)
        #expect(try run(["bogus"]).status == 64)
    }

    @Test func helpShowsAnExample() throws {
        let r = try run(["scan", "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("bouncetail scan /var/log/mail.log"))
    }
}
