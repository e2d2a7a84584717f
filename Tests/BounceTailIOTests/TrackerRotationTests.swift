import BounceTailCore
import BounceTailIO
import Foundation
import Testing

/// Numbered Postfix lines whose deltas depend on every line being read exactly once: each recipient bounces
/// hard, and with --hard-limit 2 is suppressed at its second bounce; a delivery lifts it again.
private func lines(_ range: Range<Int>) -> String {
    range.map { i in
        let r = "u\(i % 7)@example.net"
        let sec = i * 37
        let stamp = String(format: "Nov %2d %02d:%02d:%02d", 1 + sec / 86400, sec / 3600 % 24, sec / 60 % 60, sec % 60)
        if i % 5 == 4 {
            return "\(stamp) mx postfix/smtp[1]: Q\(i)AAAA: to=<\(r)>, relay=mx[192.0.2.1]:25, delay=1, dsn=2.0.0, status=sent (250 ok)\n"
        }
        return "\(stamp) mx postfix/smtp[1]: Q\(i)AAAA: to=<\(r)>, relay=mx[192.0.2.1]:25, delay=1, dsn=5.1.1, status=bounced (host mx[192.0.2.1] said: 550 5.1.1 User unknown)\n"
    }.joined()
}

private func settings() -> TrackSettings {
    var s = TrackSettings()
    s.scan = fixedSettings()
    s.policy.hardLimit = 2
    return s
}

/// Runs `track` over `paths` (relative to `dir`), as the hourly cron job would.
private func trackRun(_ dir: URL, _ paths: [String]) throws {
    let t = try Tracker(stateDirectory: dir.appendingPathComponent("state").path, settings: settings(),
                        deltasPath: dir.appendingPathComponent("deltas.jsonl").path)
    t.onWarning = { _ in }
    for p in RotationOrder.oldestFirst(paths.map { dir.appendingPathComponent($0).path }) { try t.track(path: p) }
    try t.finish()
}

/// The deltas without their file/line (names differ between a rotated set and one file).
private func deltas(_ dir: URL, _ name: String = "deltas.jsonl") throws -> [String] {
    let text = (try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)) ?? ""
    return text.split(separator: "\n").map { $0.replacingOccurrences(of: #","file":.*"#, with: "", options: .regularExpression) }
}

private func oneShot(_ content: String) throws -> [String] {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try content.write(to: dir.appendingPathComponent("all.log"), atomically: true, encoding: .utf8)
    try trackRun(dir, ["all.log"])
    return try deltas(dir)
}

private func append(_ text: String, to url: URL) throws {
    let h = try FileHandle(forWritingTo: url)
    try h.seekToEnd()
    try h.write(contentsOf: Data(text.utf8))
    try h.close()
}

@Suite(.serialized) struct TrackerRotationTests {
    @Test func renameRotationThenLaterGzipNeitherRepeatsNorMisses() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fm = FileManager.default
        let log = dir.appendingPathComponent("mail.log")
        try lines(0..<40).write(to: log, atomically: false, encoding: .utf8)
        try trackRun(dir, ["mail.log"])
        // More lines, then logrotate: rename, create, more lines in the new file.
        try append(lines(40..<60), to: log)
        try fm.moveItem(at: log, to: dir.appendingPathComponent("mail.log.1"))
        try lines(60..<90).write(to: log, atomically: false, encoding: .utf8)
        try trackRun(dir, ["mail.log", "mail.log.1"])
        // Next rotation: mail.log.1 is gzipped to mail.log.2.gz, mail.log becomes mail.log.1.
        let one = try Data(contentsOf: dir.appendingPathComponent("mail.log.1"))
        try Data(try gzipped(Array(one))).write(to: dir.appendingPathComponent("mail.log.2.gz"))
        try fm.removeItem(at: dir.appendingPathComponent("mail.log.1"))
        try append(lines(90..<100), to: log)
        try fm.moveItem(at: log, to: dir.appendingPathComponent("mail.log.1"))
        try lines(100..<130).write(to: log, atomically: false, encoding: .utf8)
        try trackRun(dir, ["mail.log.2.gz", "mail.log.1", "mail.log"])
        try trackRun(dir, ["mail.log.2.gz", "mail.log.1", "mail.log"])  // nothing new
        #expect(try deltas(dir) == (try oneShot(lines(0..<130))))
        #expect(try deltas(dir).count > 20)
    }

    @Test func copytruncateRotationNeitherRepeatsNorMisses() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("mail.log")
        try lines(0..<50).write(to: log, atomically: false, encoding: .utf8)
        try trackRun(dir, ["mail.log"])
        try append(lines(50..<70), to: log)
        // copytruncate: copy, then empty the file in place; the writer goes on.
        try FileManager.default.copyItem(at: log, to: dir.appendingPathComponent("mail.log.1"))
        try FileHandle(forWritingTo: log).truncate(atOffset: 0)
        try append(lines(70..<100), to: log)
        try trackRun(dir, ["mail.log", "mail.log.1"])
        #expect(try deltas(dir) == (try oneShot(lines(0..<100))))
    }

    @Test func aPartialLastLineWaitsForItsNewline() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("mail.log")
        let all = lines(0..<30)
        let cut = all.index(all.startIndex, offsetBy: all.count / 2 + 7)
        try String(all[..<cut]).write(to: log, atomically: false, encoding: .utf8)
        try trackRun(dir, ["mail.log"])
        try append(String(all[cut...]), to: log)
        try trackRun(dir, ["mail.log"])
        #expect(try deltas(dir) == (try oneShot(all)))
    }

    @Test func shortAppendsBetweenRunsAreNeitherRepeatedNorTakenForRewrites() throws {
        // Each run reads fewer new bytes than the 64 the position check keeps: the check must still hold.
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("mail.log")
        try lines(0..<20).write(to: log, atomically: false, encoding: .utf8)
        var warned: [String] = []
        func run() throws {
            let t = try Tracker(stateDirectory: dir.appendingPathComponent("state").path, settings: settings(),
                                deltasPath: dir.appendingPathComponent("deltas.jsonl").path)
            t.onWarning = { warned.append($0) }
            try t.track(path: log.path)
            try t.finish()
        }
        try run()
        for noise in ["Nov  1 00:00:00 mx x: a\n", "Nov  1 00:00:01 mx y: b\n", "Nov  1 00:00:02 mx z: c\n"] {
            try append(noise, to: log)
            try run()
        }
        try append(lines(20..<40), to: log)
        try run()
        try run()
        #expect(warned.isEmpty, "\(warned)")
        let all = try String(contentsOf: log, encoding: .utf8)
        #expect(try deltas(dir) == (try oneShot(all)))
    }

    @Test func aFileReadInPiecesOnTwoThreadsTracksAsOneStreamDoes() throws {
        // A log holding Postfix and Exim lines: `.auto` settles on the first format met, so pieces scanned
        // ahead that met the other format first are scanned again; CRLF lines and over-long lines cross
        // piece boundaries. The gzip of the same bytes is read as one stream, in order.
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var text = ""
        for block in 0..<30 {
            text += lines((block * 20)..<(block * 20 + 20))
            for i in 0..<25 {
                text += "2026-11-0\(1 + block % 9) 10:00:\(10 + i) 1RwtJY-0009RI-E\(i % 10) ** x\(i)@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.9]: SMTP error from remote mail server after RCPT TO:<x\(i)@example.org>: 550 5.1.1 User unknown\r\n"
            }
            text += String(repeating: "z", count: 70_000) + "\n"
        }
        let plain = dir.appendingPathComponent("mail.log")
        try text.write(to: plain, atomically: false, encoding: .utf8)
        try Data(try gzipped(Array(text.utf8))).write(to: dir.appendingPathComponent("mail.log.1.gz"))
        func tracked(_ name: String, _ deltasName: String) throws {
            var s = settings()
            s.commitEveryBytes = 3000
            let t = try Tracker(stateDirectory: dir.appendingPathComponent("state-\(name)").path, settings: s,
                                deltasPath: dir.appendingPathComponent(deltasName).path)
            t.onWarning = { _ in }
            try t.track(path: dir.appendingPathComponent(name).path)
            try t.finish()
        }
        try tracked("mail.log", "pieces.jsonl")
        try tracked("mail.log.1.gz", "stream.jsonl")
        let pieces = try deltas(dir, "pieces.jsonl")
        #expect(pieces.count > 100)
        #expect(!pieces.contains { $0.contains("example.org") }, "Exim lines in a log settled as Postfix")
        #expect(pieces == (try deltas(dir, "stream.jsonl")))
    }

    @Test func contentRewrittenUnderTheSameHeadIsReadAgainFromTheStart() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("mail.log")
        try (lines(0..<10) + lines(10..<40)).write(to: log, atomically: false, encoding: .utf8)
        try trackRun(dir, ["mail.log"])
        let before = try deltas(dir).count
        // Same first lines, different later ones, longer than before: the check before the offset notices.
        try (lines(0..<10) + lines(200..<240)).write(to: log, atomically: false, encoding: .utf8)
        var warned: [String] = []
        let t = try Tracker(stateDirectory: dir.appendingPathComponent("state").path, settings: settings(),
                            deltasPath: dir.appendingPathComponent("deltas.jsonl").path)
        t.onWarning = { warned.append($0) }
        try t.track(path: log.path)
        try t.finish()
        #expect(warned.contains { $0.contains("content differs from what was read before") })
        #expect(try deltas(dir).count > before)
    }
}
