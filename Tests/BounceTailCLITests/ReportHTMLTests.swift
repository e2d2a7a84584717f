import CZlib
import Foundation
import Testing

/// `report --html`: one page with nothing to fetch, opened in a real headless browser (Debian's chromium)
/// and looked at: the chart's bars are on the screen in each reason's colour, in proportion.
@Suite struct ReportHTMLTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// A log with final failures on two days: day one 6 unknown users and 2 full mailboxes, day two 3 unknown users.
    static func log() -> String {
        var lines: [String] = []
        func bounce(_ day: Int, _ i: Int, _ to: String, _ dsn: String, _ text: String) {
            lines.append("Nov \(day) 10:00:\(String(format: "%02d", i)) mx postfix/smtp[1]: 4QH\(day)\(String(format: "%04d", i))Z: to=<\(to)>, relay=mx.example.net[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=\(dsn), status=bounced (host mx.example.net[192.0.2.1] said: \(text) (in reply to RCPT TO command))")
        }
        for i in 0..<6 { bounce(20, i, "u\(i)@example.net", "5.1.1", "550 5.1.1 User unknown") }
        for i in 6..<8 { bounce(20, i, "f\(i)@example.net", "5.2.2", "552 5.2.2 Mailbox full") }
        for i in 0..<3 { bounce(21, i, "v\(i)@example.net", "5.1.1", "550 5.1.1 User unknown") }
        lines.append("Nov 21 11:00:00 mx postfix/smtpd[2]: NOQUEUE: reject: RCPT from d.example[192.0.2.9]: 554 5.7.1 <q@r.example>: Relay access denied; from=<s@d.example> to=<q@r.example> proto=ESMTP helo=<d>")
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func thePageIsSelfContainedAndShowsTheFailuresPerDay() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let logFile = dir.appendingPathComponent("mail.log")
        try Self.log().write(to: logFile, atomically: true, encoding: .utf8)
        let page = dir.appendingPathComponent("report.html")
        let r = try run(["report", "--timezone", "UTC", "--year", "2026", "--html", page.path, logFile.path])
        #expect(r.status == 0, "\(r.stderr)")
        let html = try String(contentsOf: page, encoding: .utf8)
        // Nothing is fetched: no scripts, stylesheets, images or fonts from anywhere.
        for fetch in ["<script", "<link", "<img", "<iframe", "url(", "src=", "href=", "@import"] {
            #expect(!html.contains(fetch), "\(fetch)")
        }
        #expect(html.contains("<svg id=\"failures-per-day\""))
        #expect(html.contains("2026-11-20 userunknown: 6") && html.contains("2026-11-20 mailboxfull: 2") && html.contains("2026-11-21 userunknown: 3"))
        #expect(html.contains("RCPT: Relay access denied"))
        #expect(try run(["report", "--html", dir.appendingPathComponent("no/such/dir/r.html").path, logFile.path]).status == 1)

        guard let chromium = Self.chromium else { return }
        let shot = dir.appendingPathComponent("shot.png")
        let c = try run([], shell: "'\(chromium)' --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,800 --screenshot='\(shot.path)' 'file://\(page.path)' 2>&1")
        #expect(FileManager.default.fileExists(atPath: shot.path), "\(c.stdout)")
        let image = try #require(PNG(try Data(contentsOf: shot)), "screenshot is not a PNG chromium writes")
        // The most frequent reason is drawn in the first colour, the next in the second: count their pixels.
        let first = image.count(rgb: (0xc0, 0x39, 0x2b))
        let second = image.count(rgb: (0xe6, 0x7e, 0x22))
        #expect(first > 1000 && second > 200, "userunknown \(first) px, mailboxfull \(second) px")
        // 9 unknown users against 2 full mailboxes, on bars of the same width (the legend's swatches aside).
        let ratio = Double(first) / Double(max(1, second))
        #expect(ratio > 3 && ratio < 6, "ratio \(ratio)")
    }
}

/// Just enough of PNG to read chromium's screenshots: 8-bit RGB or RGBA, not interlaced, rows unfiltered here.
struct PNG {
    let width: Int, height: Int, channels: Int
    let pixels: [UInt8]

    init?(_ data: Data) {
        let b = [UInt8](data)
        guard b.count > 33, b[0..<8].elementsEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) else { return nil }
        func u32(_ i: Int) -> Int { Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3]) }
        var i = 8
        var w = 0, h = 0, ch = 0
        var idat: [UInt8] = []
        while i + 8 <= b.count {
            let length = u32(i)
            let type = String(decoding: b[(i + 4)..<(i + 8)], as: UTF8.self)
            guard i + 12 + length <= b.count else { return nil }
            let body = b[(i + 8)..<(i + 8 + length)]
            if type == "IHDR" {
                w = u32(i + 8); h = u32(i + 12)
                guard body[body.startIndex + 8] == 8, body[body.startIndex + 12] == 0 else { return nil }
                switch body[body.startIndex + 9] { case 2: ch = 3; case 6: ch = 4; default: return nil }
            } else if type == "IDAT" {
                idat += body
            } else if type == "IEND" {
                break
            }
            i += 12 + length
        }
        guard w > 0, h > 0, ch > 0 else { return nil }
        let stride = w * ch
        var raw = [UInt8](repeating: 0, count: (stride + 1) * h)
        var rawLength = uLongf(raw.count)
        let status = raw.withUnsafeMutableBufferPointer { out in
            idat.withUnsafeBufferPointer { uncompress(out.baseAddress, &rawLength, $0.baseAddress, uLong($0.count)) }
        }
        guard status == Z_OK, Int(rawLength) == raw.count else { return nil }
        var px = [UInt8](repeating: 0, count: stride * h)
        for y in 0..<h {
            let filter = raw[y * (stride + 1)]
            for x in 0..<stride {
                let v = Int(raw[y * (stride + 1) + 1 + x])
                let a = x >= ch ? Int(px[y * stride + x - ch]) : 0
                let up = y > 0 ? Int(px[(y - 1) * stride + x]) : 0
                let c = x >= ch && y > 0 ? Int(px[(y - 1) * stride + x - ch]) : 0
                let p: Int
                switch filter {
                case 0: p = 0
                case 1: p = a
                case 2: p = up
                case 3: p = (a + up) / 2
                case 4:
                    let e = a + up - c
                    let (pa, pb, pc) = (abs(e - a), abs(e - up), abs(e - c))
                    p = pa <= pb && pa <= pc ? a : pb <= pc ? up : c
                default: return nil
                }
                px[y * stride + x] = UInt8((v + p) & 0xff)
            }
        }
        (width, height, channels, pixels) = (w, h, ch, px)
    }

    /// Pixels of this colour, within a few levels (anti-aliasing at the edges is not counted).
    func count(rgb: (UInt8, UInt8, UInt8)) -> Int {
        var n = 0
        var i = 0
        while i + 2 < pixels.count {
            if abs(Int(pixels[i]) - Int(rgb.0)) <= 3 && abs(Int(pixels[i + 1]) - Int(rgb.1)) <= 3 && abs(Int(pixels[i + 2]) - Int(rgb.2)) <= 3 { n += 1 }
            i += channels
        }
        return n
    }
}
