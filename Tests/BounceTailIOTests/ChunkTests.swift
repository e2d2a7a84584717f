import BounceTailCore
@testable import BounceTailIO
import BounceTailTestSupport
import Foundation
import Testing

/// What a reader made of a file: per line that yielded something, its number, kind and recipient; the numbers
/// of lines skipped as too long; where it stopped.
private struct Reading: Equatable, CustomStringConvertible {
    var records: [String] = []
    var tooLong: [Int] = []
    var lines = 0
    var offset: UInt64 = 0

    var description: String {
        "\(records.count) records (last \(records.last ?? "-")), \(tooLong.count) too long, \(lines) lines, offset \(offset)"
    }
}

private let maxLine = 300

/// Lines of every awkward kind: deliveries, noise, CRLF, blank, too long (some longer than a piece), and
/// optionally a last line without newline.
private func awkwardLog(seed: UInt64, count: Int, partialEnd: Bool) -> [UInt8] {
    var rng = SplitMix64(state: seed)
    var out: [UInt8] = []
    for i in 0..<count {
        let r = "u\(rng.next() % 50)@example.net"
        let line: String
        switch rng.next() % 10 {
        case 0: line = "Nov  3 10:00:\(i % 60 < 10 ? "0" : "")\(i % 60) mx postfix/smtp[1]: Q\(i)ABCD: to=<\(r)>, relay=mx[192.0.2.1]:25, delay=1, dsn=5.1.1, status=bounced (host mx[192.0.2.1] said: 550 5.1.1 User unknown)"
        case 1: line = "Nov  3 10:00:01 mx postfix/smtp[1]: Q\(i)ABCD: to=<\(r)>, relay=mx[192.0.2.1]:25, delay=1, dsn=2.0.0, status=sent (250 ok)\r"
        case 2: line = ""
        case 3: line = "Nov  3 10:00:01 mx postfix/qmgr[2]: Q\(i)ABCD: removed"
        case 4: line = "x" + String(repeating: "long ", count: Int(rng.next() % 400))  // up to 2 kB: often too long
        default: line = "Nov  3 10:00:01 mx postfix/smtpd[3]: connect from unknown[192.0.2.\(rng.next() % 255)]"
        }
        out += Array(line.utf8) + [ASCII.newline]
    }
    if partialEnd { out += Array("Nov  3 10:00:01 mx postfix/smtp[1]: QLASTABCD: to=<last@example.net>, status=sent (ok)".utf8) }
    return out
}

private func describe(_ kind: ScannedKind, _ o: DeliveryOutcome, line: Int) -> String {
    let r = String(decoding: o.bytes[o.recipient], as: UTF8.self)
    return "\(line) \(kind) \(o.status.name) \(r) \(String(decoding: o.bytes[o.queueID], as: UTF8.self))"
}

/// The reference: one line reader, one scanner, in order.
private func sequential(_ path: String, flush: Bool = false) throws -> Reading {
    var reading = Reading()
    let opened = try InputOpener.open(path)
    let lines = LineReader(maxLineBytes: maxLine)
    lines.flushPartialLineAtEnd = flush
    let scanner = LineScanner()
    var format = LogFormat.auto
    _ = try lines.run(
        from: opened.source,
        onLine: { l, n in
            var o = DeliveryOutcome(bytes: l, mta: .postfix)
            var stamp = LogStamp.placeholder
            let kind = scanner.scan(l, format: &format, stamp: &stamp, into: &o)
            if kind != .none && kind != .recognised { reading.records.append(describe(kind, o, line: n)) }
        },
        onTooLong: { reading.tooLong.append($0) })
    reading.lines = lines.lineNumber
    reading.offset = lines.offset
    return reading
}

/// Chunks in order, as the tracker applies them.
private func collect(_ next: () -> ScannedChunk?, _ recycle: (ScannedChunk) -> Void, into reading: inout Reading) {
    while let c = next() {
        defer { recycle(c) }
        if c.startOffset != reading.offset {
            // Only a piece in which no line starts may be skipped.
            #expect(c.lineCount == 0 && c.records.isEmpty, "a chunk starts where the one before ended")
            if c.last { return }
            continue
        }
        for r in c.records { reading.records.append(describe(r.kind, r.outcome, line: reading.lines + r.line)) }
        reading.tooLong += c.tooLong.map { reading.lines + $0 }
        reading.lines += c.lineCount
        reading.offset = c.endOffset
        if c.last { return }
    }
}

@Suite struct ChunkTests {
    @Test(arguments: [(1, 97), (2, 1000), (3, 4096), (4, 65536)])
    func piecesReadOnTwoThreadsMakeWhatOneReaderMakes(seed: UInt64, chunkBytes: Int) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for partial in [false, true] {
            let path = dir.appendingPathComponent("mail-\(partial).log").path
            let bytes = awkwardLog(seed: seed, count: 3000, partialEnd: partial)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let expected = try sequential(path)
            #expect(expected.records.count > 500 && expected.tooLong.count > 50)
            let opened = try InputOpener.open(path)
            var got = Reading()
            let chunks = ParallelFileChunks(fd: opened.raw.fd, path: path, from: 0, to: UInt64(bytes.count), format: .auto,
                                            classify: true, maxLineBytes: maxLine, chunkBytes: chunkBytes)
            collect(chunks.next, chunks.recycle, into: &got)
            #expect(got == expected, "chunks of \(chunkBytes), partial end \(partial)")
        }
    }

    @Test func aStreamHandedOverInChunksMakesWhatOneReaderMakes() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Ends: a partial last line, and one that is the end of an over-long line (flushed or left).
        let path = dir.appendingPathComponent("mail.log").path
        let longEnd = dir.appendingPathComponent("long-end.log").path
        try Data(awkwardLog(seed: 9, count: 3000, partialEnd: true)).write(to: URL(fileURLWithPath: path))
        let zStart = awkwardLog(seed: 10, count: 3000, partialEnd: false).count
        try Data(awkwardLog(seed: 10, count: 3000, partialEnd: false) + Array(repeating: UInt8(ascii: "z"), count: 5000))
            .write(to: URL(fileURLWithPath: longEnd))
        for file in [path, longEnd] {
            for flush in [false, true] {
                let expected = try sequential(file, flush: flush)
                for chunkBytes in [100, 500, 20000] {
                    var got = Reading()
                    let stream = StreamChunks(source: try InputOpener.open(file).source, offset: 0, tail: [],
                                              flushPartialLineAtEnd: flush, format: .auto, classify: true,
                                              maxLineBytes: maxLine, chunkBytes: chunkBytes, ahead: 1 + chunkBytes % 4)
                    collect(stream.next, stream.recycle, into: &got)
                    if file == longEnd && !flush {
                        // Both stop at the start of the unfinished over-long line or past what they dropped of
                        // it (which depends on how much each had read when it grew too long).
                        #expect(got.records == expected.records && got.tooLong == expected.tooLong && got.lines == expected.lines)
                        #expect(got.offset >= UInt64(zStart) && got.offset <= UInt64(zStart + 5000) && expected.offset >= UInt64(zStart))
                    } else {
                        #expect(got == expected, "\(file): chunks of \(chunkBytes), flush \(flush)")
                    }
                }
            }
        }
    }

    @Test func aFileCutShortWhileReadEndsWhereItsBytesEnd() throws {
        // copytruncate while the pieces are read: the readers stop at what is there, nothing is made up.
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("mail.log").path
        let bytes = awkwardLog(seed: 4, count: 3000, partialEnd: false)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let opened = try InputOpener.open(path)
        let cut = bytes.count / 3
        #expect(truncate(path, off_t(cut)) == 0)
        var got = Reading()
        let chunks = ParallelFileChunks(fd: opened.raw.fd, path: path, from: 0, to: UInt64(bytes.count), format: .auto,
                                        classify: true, maxLineBytes: maxLine, chunkBytes: 4096)
        collect(chunks.next, chunks.recycle, into: &got)
        let expected = try sequential(path)
        #expect(got.records == expected.records && got.tooLong == expected.tooLong && got.lines == expected.lines)
        // A cut line longer than the limit: the line reader has dropped its start already; the pieces leave
        // it for the line reader that reads on after them.
        #expect(got.offset <= expected.offset && got.offset <= UInt64(cut))
    }
}
