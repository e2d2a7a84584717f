import Foundation

/// A one-line progress report on stderr for long `scan`/`track` runs: current file, bytes and lines done,
/// rate, and an ETA when the sizes are known. Redrawn at most four times a second; cleared at the end.
final class ProgressLine {
    let enabled: Bool
    private let sizes: [String: UInt64]
    private let total: UInt64
    private var finishedBytes: UInt64 = 0
    private var linesBefore = 0
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(enabled: Bool, files: [String]) {
        self.enabled = enabled
        var sizes: [String: UInt64] = [:]
        for f in files where f != "-" {
            if let a = try? FileManager.default.attributesOfItem(atPath: f), let n = a[.size] as? NSNumber { sizes[f] = n.uint64Value }
        }
        self.sizes = sizes
        total = files.contains("-") ? 0 : sizes.values.reduce(0, +)
    }

    /// Progress within `path`: `position` bytes of it read, `lines` lines.
    func update(_ path: String, lines: Int, position: UInt64) {
        guard enabled, Date().timeIntervalSince(lastDraw) >= 0.25 else { return }
        lastDraw = Date()
        let done = finishedBytes + position
        let elapsed = max(0.001, Date().timeIntervalSince(start))
        let rate = Double(done) / elapsed
        var text = "\((path as NSString).lastPathComponent)  \(Self.bytes(done))"
        if total > 0 { text += " of \(Self.bytes(total))" }
        text += String(format: "  %.1f M lines  %@/s", Double(linesBefore + lines) / 1e6, Self.bytes(UInt64(rate)))
        if total > done, rate > 0 { text += String(format: "  ETA %.0fs", Double(total - done) / rate) }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
        drawn = true
    }

    /// `path` is done (`lines` lines).
    func finished(_ path: String, lines: Int) {
        finishedBytes += sizes[path] ?? 0
        linesBefore += lines
    }

    /// Clears the line (before other output to stderr, and at the end).
    func clear() {
        guard drawn else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        drawn = false
    }

    static func bytes(_ n: UInt64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var v = Double(n)
        var u = 0
        while v >= 1000, u < units.count - 1 {
            v /= 1000
            u += 1
        }
        return u == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[u])
    }
}
