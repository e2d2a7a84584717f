/// A point in time: seconds since the Unix epoch (UTC) plus a fraction, remembering how many fraction
/// digits the log gave so output shows the precision that was logged, no more.
public struct Instant: Hashable, Comparable, Sendable {
    public var seconds: Int64
    public var nanoseconds: Int32
    /// Fraction digits to print: 0 (whole seconds), 3 or 6 (as logged), up to 9.
    public var fractionDigits: UInt8

    public init(seconds: Int64, nanoseconds: Int32 = 0, fractionDigits: UInt8 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
        self.fractionDigits = fractionDigits
    }

    /// 9999-12-31T23:59:59Z: the last instant RFC 3339 (four-digit years) can write.
    public static let latestStorable = Instant(seconds: 253_402_300_799)

    public static func < (a: Instant, b: Instant) -> Bool {
        a.seconds != b.seconds ? a.seconds < b.seconds : a.nanoseconds < b.nanoseconds
    }

    public static func == (a: Instant, b: Instant) -> Bool {
        a.seconds == b.seconds && a.nanoseconds == b.nanoseconds
    }

    public func hash(into h: inout Hasher) {
        h.combine(seconds)
        h.combine(nanoseconds)
    }

    /// Appends the instant as RFC 3339 in UTC, e.g. `2026-11-23T10:00:01Z` or `...01.123456Z`.
    public func appendRFC3339(to out: inout [UInt8]) {
        let days = Int(seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400)
        let secOfDay = Int(seconds - Int64(days) * 86400)
        let (y, m, d) = CivilDate.civil(fromDays: days)
        appendDigits(y, 4, &out)
        out.append(ASCII.dash)
        appendDigits(m, 2, &out)
        out.append(ASCII.dash)
        appendDigits(d, 2, &out)
        out.append(UInt8(ascii: "T"))
        appendDigits(secOfDay / 3600, 2, &out)
        out.append(ASCII.colon)
        appendDigits(secOfDay / 60 % 60, 2, &out)
        out.append(ASCII.colon)
        appendDigits(secOfDay % 60, 2, &out)
        if fractionDigits > 0 {
            out.append(ASCII.dot)
            var scaled = Int(nanoseconds)
            for _ in 0..<(9 - Int(min(fractionDigits, 9))) { scaled /= 10 }
            appendDigits(scaled, Int(min(fractionDigits, 9)), &out)
        }
        out.append(UInt8(ascii: "Z"))
    }

    /// The instant as RFC 3339 text (cold paths: messages, state files).
    public var rfc3339: String {
        var out: [UInt8] = []
        appendRFC3339(to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

@inline(__always)
func appendDigits(_ value: Int, _ width: Int, _ out: inout [UInt8]) {
    var v = value < 0 ? 0 : value
    var tmp: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var n = 0
    withUnsafeMutableBytes(of: &tmp) { buf in
        repeat {
            buf[n] = UInt8(v % 10) + 0x30
            v /= 10
            n += 1
        } while (v > 0 || n < width) && n < 10
        while n > 0 {
            n -= 1
            out.append(buf[n])
        }
    }
}

/// Proleptic Gregorian calendar arithmetic (days since 1970-01-01), after Howard Hinnant's algorithms.
public enum CivilDate {
    public static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    public static func civil(fromDays z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

extension Instant {
    /// Reads an RFC 3339 instant with a zone (`2026-11-23T10:00:01.25Z`, `...+01:00`); nil otherwise.
    public init?(rfc3339 text: String) {
        let bytes = Array(text.utf8)
        guard
            let s = bytes.withUnsafeBufferPointer({ LogStamp.parse($0, at: 0) }),
            !s.isLegacy, let offset = s.utcOffset, s.end == bytes.count
        else { return nil }
        let local = Int64(CivilDate.days(year: s.year, month: s.month, day: s.day)) * 86400 + Int64(s.secondOfDay)
        self.init(seconds: local - Int64(offset), nanoseconds: s.nanoseconds, fractionDigits: s.fractionDigits)
    }
}
