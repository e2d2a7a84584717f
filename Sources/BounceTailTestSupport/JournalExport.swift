import Foundation

/// Journal files for tests, without a running journald: syslog lines become entries in journal export format
/// (the fields journald gives a program logging through syslog(3)), which Debian's `systemd-journal-remote`
/// writes into a real journal file.
public enum JournalExport {
    /// Debian's systemd-journal-remote, where it is installed.
    public static var remoteTool: String? {
        ["/lib/systemd/systemd-journal-remote", "/usr/lib/systemd/systemd-journal-remote"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public static let bootID = "5f1c0a7e2b8d4c6f9e3a1b2c3d4e5f60"

    /// One entry: the fields of a syslog message as journald stores it.
    public struct Entry {
        public var realtimeMicros: UInt64
        public var host: String
        public var identifier: String
        public var pid: String?
        public var message: String
        public var unit: String?

        public init(realtimeMicros: UInt64, host: String, identifier: String, pid: String?, message: String, unit: String? = nil) {
            self.realtimeMicros = realtimeMicros
            self.host = host
            self.identifier = identifier
            self.pid = pid
            self.message = message
            self.unit = unit
        }

        /// The entry journald makes of `line` (`STAMP HOST IDENT[PID]: MESSAGE`, the stamp RFC 3339 or legacy
        /// syslog read in `zone` in `year`); nil for a line of another shape.
        public init?(syslogLine line: String, year: Int = 2026, zone: TimeZone = TimeZone(identifier: "UTC")!, unit: String? = nil) {
            let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            var rest: Substring
            var micros: UInt64
            if let first = parts.first, first.first?.isNumber == true, parts.count == 2 {
                guard let t = Self.rfc3339(first) else { return nil }
                micros = t
                rest = parts[1]
            } else {
                // "Nov  2 23:58:01 host ...": month, day, time.
                let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
                guard fields.count == 4, let t = Self.legacy(fields[0], fields[1], fields[2], year: year, zone: zone) else { return nil }
                micros = t
                rest = fields[3]
            }
            let hostAndTag = rest.split(separator: " ", maxSplits: 2)
            guard hostAndTag.count == 3, hostAndTag[1].hasSuffix(":") else { return nil }
            let tag = hostAndTag[1].dropLast()
            var ident = tag
            var pid: String? = nil
            if let open = tag.firstIndex(of: "["), tag.hasSuffix("]") {
                ident = tag[..<open]
                pid = String(tag[tag.index(after: open)..<tag.index(before: tag.endIndex)])
            }
            self.init(realtimeMicros: micros, host: String(hostAndTag[0]), identifier: String(ident), pid: pid,
                      message: String(hostAndTag[2]), unit: unit)
        }

        static func rfc3339(_ s: Substring) -> UInt64? {
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            var text = String(s)
            var fraction = 0.0
            // The formatter keeps milliseconds only: the fraction is read here.
            if let dot = text.firstIndex(of: "."), let end = text[dot...].firstIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" }) {
                fraction = Double("0" + text[dot..<end]) ?? 0
                text.removeSubrange(dot..<end)
            }
            f.formatOptions = [.withInternetDateTime]
            guard let d = f.date(from: text) else { return nil }
            return UInt64(d.timeIntervalSince1970) * 1_000_000 + UInt64((fraction * 1_000_000).rounded())
        }

        static func legacy(_ month: Substring, _ day: Substring, _ time: Substring, year: Int, zone: TimeZone) -> UInt64? {
            let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
            guard let m = months.firstIndex(of: String(month)), let d = Int(day) else { return nil }
            let hms = time.split(separator: ":").compactMap { Int($0) }
            guard hms.count == 3 else { return nil }
            var c = DateComponents()
            (c.year, c.month, c.day, c.hour, c.minute, c.second) = (year, m + 1, d, hms[0], hms[1], hms[2])
            var cal = Calendar(identifier: .gregorian)
            cal.timeZone = zone
            guard let date = cal.date(from: c) else { return nil }
            return UInt64(date.timeIntervalSince1970) * 1_000_000
        }

        /// The entry in export format, a blank line after it (an empty host: no _HOSTNAME field). With
        /// `trusted`, also the fields journald adds to every message from a service (process, unit, machine),
        /// as many as a real journal's entries carry.
        public func export(monotonicMicros: UInt64, trusted: Bool = false) -> [UInt8] {
            var s = "__REALTIME_TIMESTAMP=\(realtimeMicros)\n__MONOTONIC_TIMESTAMP=\(monotonicMicros)\n"
            s += "_BOOT_ID=\(JournalExport.bootID)\n"
            if !host.isEmpty { s += "_HOSTNAME=\(host)\n" }
            s += "SYSLOG_IDENTIFIER=\(identifier)\nSYSLOG_FACILITY=2\nPRIORITY=6\n_TRANSPORT=syslog\n"
            if let pid { s += "SYSLOG_PID=\(pid)\n_PID=\(pid)\n" }
            if let unit { s += "_SYSTEMD_UNIT=\(unit)\n" }
            if trusted {
                let program = identifier.split(separator: "/").last.map(String.init) ?? identifier
                s += "_UID=0\n_GID=0\n_COMM=\(program)\n_EXE=/usr/lib/postfix/sbin/\(program)\n"
                s += "_CMDLINE=\(program) -n \(program) -t unix -u\n_CAP_EFFECTIVE=1ffffffffff\n"
                s += "_SYSTEMD_CGROUP=/system.slice/system-postfix.slice/postfix@-.service\n_SYSTEMD_SLICE=system-postfix.slice\n"
                s += "_MACHINE_ID=4f8b2c1d9e7a4b3c8d6e5f4a3b2c1d0e\nSYSLOG_TIMESTAMP=Nov 23 00:00:00 \n"
                s += "_SOURCE_REALTIME_TIMESTAMP=\(realtimeMicros)\n"
            }
            var bytes = Array(s.utf8)
            let text = Array(message.utf8)
            if text.contains(UInt8(ascii: "\n")) {
                // A value with a line break goes in export format's binary form: name, newline, 64-bit
                // little-endian length, the bytes.
                bytes += Array("MESSAGE\n".utf8)
                withUnsafeBytes(of: UInt64(text.count).littleEndian) { bytes += $0 }
                bytes += text + [UInt8(ascii: "\n")]
            } else {
                bytes += Array("MESSAGE=".utf8) + text + [UInt8(ascii: "\n")]
            }
            return bytes + [UInt8(ascii: "\n")]
        }
    }

    /// Writes `entries` into the journal file `path` (created, or appended to when it exists) through
    /// systemd-journal-remote.
    public static func write(_ entries: [Entry], to path: String) throws {
        guard let tool = remoteTool else { throw Failure(message: "systemd-journal-remote is not installed") }
        let export = entries.flatMap { $0.export(monotonicMicros: $0.realtimeMicros) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = ["--output=\(path)", "-"]
        let input = Pipe()
        let err = Pipe()
        p.standardInput = input
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        input.fileHandleForWriting.write(Data(export))
        try input.fileHandleForWriting.close()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw Failure(message: "systemd-journal-remote failed (\(p.terminationStatus)): \(String(decoding: e, as: UTF8.self))")
        }
    }

    /// Syslog lines (those of the expected shape) into the journal file `path`.
    public static func write(syslogLines: [String], year: Int = 2026, zone: TimeZone = TimeZone(identifier: "UTC")!,
                             unit: String? = nil, to path: String) throws {
        try write(syslogLines.compactMap { Entry(syslogLine: $0, year: year, zone: zone, unit: unit) }, to: path)
    }

    public struct Failure: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }
}
