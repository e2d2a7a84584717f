import BounceTailCore
import BounceTailIO
import Foundation
import Testing

private func logLines(_ n: Int, tag: String = "r") -> [UInt8] {
    Array((0..<n).map {
        "Nov  3 10:00:01 mx1 postfix/smtp[1]: ABCDE\(String(format: "%05d", $0)): to=<\(tag)\($0)@example.net>, relay=mx[192.0.2.1]:25, delay=1, dsn=2.0.0, status=sent (250 ok)\n"
    }.joined().utf8)
}

private func write(_ bytes: [UInt8], _ name: String, in dir: URL) throws -> String {
    let url = dir.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
}

@Suite struct GzipSourceTests {
    @Test func gzipIsDetectedByItsBytesNotItsName() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = logLines(3)
        _ = try write(try gzipped(plain), "looks-plain.log", in: dir)
        _ = try write(plain, "looks-gzipped.gz", in: dir)
        let a = scanFiles(["looks-plain.log"], root: dir)
        let b = scanFiles(["looks-gzipped.gz"], root: dir)
        #expect(a.errors.isEmpty && b.errors.isEmpty)
        #expect(a.lines.count == 3)
        #expect(b.lines.count == 3)
    }

    @Test func concatenatedMembersAreReadWhole() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let one = logLines(1000, tag: "a")
        let two = logLines(1000, tag: "b")
        _ = try write(try gzipped(one) + (try gzipped(two)), "two.gz", in: dir)
        let r = scanFiles(["two.gz"], root: dir)
        #expect(r.errors.isEmpty)
        #expect(r.lines.count == 2000)
        #expect(r.lines.last?.contains("b999@example.net") == true)
    }

    @Test func aTruncatedArchiveGivesEverythingBeforeTheDamageThenAnError() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let all = logLines(20_000)
        let gz = try gzipped(all)
        _ = try write(Array(gz[..<(gz.count / 2)]), "cut.gz", in: dir)
        let r = scanFiles(["cut.gz"], root: dir)
        try #require(r.errors.count == 1)
        guard case .gzipTruncated(let path, let offset) = r.errors[0] else {
            Issue.record("expected truncation, got \(r.errors[0])")
            return
        }
        #expect(path.hasSuffix("cut.gz"))
        #expect(offset == UInt64(gz.count / 2))
        // Every line decompressed before the cut came out, in order, and no invented line.
        #expect(r.lines.count > 5000 && r.lines.count < 20_000)
        for (i, line) in r.lines.enumerated() { #expect(line.contains("\"r\(i)@example.net\"")) }
    }

    @Test func corruptDataAndBadChecksumsAreNamedWithTheirOffset() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var gz = try gzipped(logLines(50))
        gz[gz.count - 6] ^= 0xff  // inside the CRC32 trailer
        _ = try write(gz, "crc.gz", in: dir)
        let r = scanFiles(["crc.gz"], root: dir)
        try #require(r.errors.count == 1)
        if case .gzipCorrupt(_, _, let detail) = r.errors[0] { #expect(detail.contains("check")) } else {
            Issue.record("expected corruption, got \(r.errors[0])")
        }
        #expect(r.lines.count == 50)  // the data itself was intact
        var broken = try gzipped(logLines(50))
        for k in 20..<60 { broken[k] = 0xaa }
        _ = try write(broken, "bad.gz", in: dir)
        let b = scanFiles(["bad.gz"], root: dir)
        #expect(b.errors.count == 1)
        #expect(b.errors.first?.description.contains("bad.gz") == true)
    }

    @Test func zeroPaddingIsIgnoredAndOtherTrailingBytesAreReported() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let gz = try gzipped(logLines(5))
        _ = try write(gz + [UInt8](repeating: 0, count: 4096), "padded.gz", in: dir)
        _ = try write(gz + Array("junk after".utf8), "junk.gz", in: dir)
        let padded = scanFiles(["padded.gz"], root: dir)
        #expect(padded.errors.isEmpty && padded.warnings.isEmpty && padded.lines.count == 5)
        let junk = scanFiles(["junk.gz"], root: dir)
        #expect(junk.errors.isEmpty && junk.lines.count == 5)
        #expect(junk.warnings.count == 1 && junk.warnings[0].contains("junk.gz"))
    }

    @Test func aMissingFileIsAClearErrorAndOtherFilesAreStillRead() throws {
        let r = scanFiles(["samples/postfix/does-not-exist.log", "samples/rotated/mail.log.1"])
        #expect(r.errors.count == 1)
        #expect(r.errors.first?.description.contains("does-not-exist.log: cannot open") == true)
        #expect(r.lines.count == 1)
    }
}

@Suite struct RotationOrderTests {
    @Test func rotatedSetsAreReadOldestFirstWhateverTheArgumentOrder() {
        #expect(
            RotationOrder.oldestFirst(["mail.log", "mail.log.1", "mail.log.3.gz", "mail.log.2.gz"])
                == ["mail.log.3.gz", "mail.log.2.gz", "mail.log.1", "mail.log"])
        #expect(
            RotationOrder.oldestFirst(["mail.log.10.gz", "mail.log.9.gz", "mail.log"])
                == ["mail.log.10.gz", "mail.log.9.gz", "mail.log"])
        #expect(
            RotationOrder.oldestFirst(["mainlog", "mainlog.01", "mainlog.02.gz"]) == ["mainlog.02.gz", "mainlog.01", "mainlog"])
        #expect(
            RotationOrder.oldestFirst(["mail.log", "mail.log-20261108", "mail.log-20261101.gz"])
                == ["mail.log-20261101.gz", "mail.log-20261108", "mail.log"])
        #expect(
            RotationOrder.oldestFirst(["maillog", "maillog.20261123-101500.gz", "maillog.20261122-101500.gz"])
                == ["maillog.20261122-101500.gz", "maillog.20261123-101500.gz", "maillog"])
        // Separate sets keep their order of first appearance.
        #expect(
            RotationOrder.oldestFirst(["b.log", "a.log.1", "b.log.1", "a.log"]) == ["b.log.1", "b.log", "a.log.1", "a.log"])
    }
}
