/// A time stamp as written at the front of a log line, before the year and zone are resolved.
///
/// Three shapes are read, by hand from bytes:
/// - legacy syslog `Nov  3 10:00:01` / `Nov 03 10:00:01`, optionally with a fraction
///   (`Nov  3 10:00:01.123456`, Postfix's own `maillog_file`): no year, no zone;
/// - RFC 3339 `2023-03-14T00:00:10.123456+01:00` (rsyslog, journald exports): complete;
/// - Exim `2023-03-14 00:00:10`, optional `.mmm`, optional ` +0100`: zone only when given.
public struct LogStamp: Equatable, Sendable {
    /// Calendar fields; `year` is 0 for legacy stamps.
    public var year: Int
    public var month: Int
    public var day: Int
    public var secondOfDay: Int
    public var nanoseconds: Int32
    public var fractionDigits: UInt8
    /// Seconds east of UTC when the stamp carries its own offset.
    public var utcOffset: Int32?
    /// Index just past the stamp in the line.
    public var end: Int

    public var isLegacy: Bool { year == 0 }

    /// A value to fill in before a scanner sets the real one (1 January, legacy).
    public static let placeholder = LogStamp(
        year: 0, month: 1, day: 1, secondOfDay: 0, nanoseconds: 0, fractionDigits: 0, utcOffset: nil, end: 0)

    /// Parses a stamp starting exactly at `i`, or returns nil.
    public static func parse(_ line: UnsafeBufferPointer<UInt8>, at i: Int) -> LogStamp? {
        guard i < line.count else { return nil }
        if ASCII.isDigit(line[i]) { return parseNumeric(line, i) }
        return parseLegacy(line, i)
    }

    /// Finds the first stamp at `from` or later, but starting before `limit` (for prefixes such as
    /// `mail_1  | ` or a JSON wrapper in front of the syslog line).
    public static func find(_ line: UnsafeBufferPointer<UInt8>, from: Int, limit: Int) -> LogStamp? {
        var i = from
        let stop = min(limit, line.count)
        while i < stop {
            let b = line[i]
            if ASCII.isDigit(b) || ASCII.isUpper(b) {
                if i == 0 || !ASCII.isAlnum(line[i - 1]), let s = parse(line, at: i) { return s }
            }
            i += 1
        }
        return nil
    }

    private static func parseLegacy(_ l: UnsafeBufferPointer<UInt8>, _ i: Int) -> LogStamp? {
        // Mmm SP (SP d | dd) SP HH:MM:SS
        guard i + 15 <= l.count, l[i + 3] == ASCII.space else { return nil }
        guard let month = monthNumber(l[i], l[i + 1], l[i + 2]) else { return nil }
        var j = i + 4
        var day: Int
        if l[j] == ASCII.space {
            j += 1
            guard ASCII.isDigit(l[j]) else { return nil }
            day = ASCII.digit(l[j])
            j += 1
        } else {
            guard ASCII.isDigit(l[j]) else { return nil }
            day = ASCII.digit(l[j])
            j += 1
            if ASCII.isDigit(l[j]) {
                day = day * 10 + ASCII.digit(l[j])
                j += 1
            }
        }
        guard day >= 1, day <= 31, j < l.count, l[j] == ASCII.space else { return nil }
        j += 1
        guard let (sod, afterClock) = clock(l, j) else { return nil }
        var stamp = LogStamp(
            year: 0, month: month, day: day, secondOfDay: sod, nanoseconds: 0, fractionDigits: 0, utcOffset: nil,
            end: afterClock)
        stamp.readFraction(l)
        return stamp
    }

    private static func parseNumeric(_ l: UnsafeBufferPointer<UInt8>, _ i: Int) -> LogStamp? {
        // YYYY-MM-DD(T| )HH:MM:SS
        guard i + 19 <= l.count, l[i + 4] == ASCII.dash, l[i + 7] == ASCII.dash else { return nil }
        guard let year = number(l, i, 4), let month = number(l, i + 5, 2), let day = number(l, i + 8, 2),
            month >= 1, month <= 12, day >= 1, day <= 31
        else { return nil }
        let sep = l[i + 10]
        guard sep == UInt8(ascii: "T") || sep == UInt8(ascii: "t") || sep == ASCII.space else { return nil }
        guard let (sod, afterClock) = clock(l, i + 11) else { return nil }
        var stamp = LogStamp(
            year: year, month: month, day: day, secondOfDay: sod, nanoseconds: 0, fractionDigits: 0, utcOffset: nil,
            end: afterClock)
        stamp.readFraction(l)
        let j = stamp.end
        if j < l.count {
            let b = l[j]
            if b == UInt8(ascii: "Z") || b == UInt8(ascii: "z") {
                stamp.utcOffset = 0
                stamp.end = j + 1
            } else if b == ASCII.plus || b == ASCII.dash {
                // RFC 3339: +HH:MM attached to the time.
                if j + 6 <= l.count, l[j + 3] == ASCII.colon, let h = number(l, j + 1, 2), let m = number(l, j + 4, 2)
                {
                    stamp.utcOffset = Int32((h * 3600 + m * 60) * (b == ASCII.dash ? -1 : 1))
                    stamp.end = j + 6
                } else if let hm = number(l, j + 1, 4) {
                    stamp.utcOffset = Int32((hm / 100 * 3600 + hm % 100 * 60) * (b == ASCII.dash ? -1 : 1))
                    stamp.end = j + 5
                }
            } else if b == ASCII.space, sep == ASCII.space, l.count - j >= 6, l[j + 1] == ASCII.plus || l[j + 1] == ASCII.dash,
                let hm = number(l, j + 2, 4), j + 6 == l.count || l[j + 6] == ASCII.space
            {
                // Exim: ` +0100` after the time.
                stamp.utcOffset = Int32((hm / 100 * 3600 + hm % 100 * 60) * (l[j + 1] == ASCII.dash ? -1 : 1))
                stamp.end = j + 6
            }
        }
        return stamp
    }

    private mutating func readFraction(_ l: UnsafeBufferPointer<UInt8>) {
        var j = end
        guard j + 1 < l.count, l[j] == ASCII.dot || l[j] == ASCII.comma, ASCII.isDigit(l[j + 1]) else { return }
        j += 1
        var nanos = 0
        var digits = 0
        while j < l.count, ASCII.isDigit(l[j]) {
            if digits < 9 {
                nanos = nanos * 10 + ASCII.digit(l[j])
                digits += 1
            }
            j += 1
        }
        let shown = digits
        while digits < 9 {
            nanos *= 10
            digits += 1
        }
        nanoseconds = Int32(nanos)
        fractionDigits = UInt8(shown)
        end = j
    }

    @inline(__always)
    private static func clock(_ l: UnsafeBufferPointer<UInt8>, _ j: Int) -> (Int, Int)? {
        guard j + 8 <= l.count, l[j + 2] == ASCII.colon, l[j + 5] == ASCII.colon,
            let h = number(l, j, 2), let m = number(l, j + 3, 2), let s = number(l, j + 6, 2),
            h < 24, m < 60, s <= 60
        else { return nil }
        return (h * 3600 + m * 60 + min(s, 59), j + 8)
    }

    @inline(__always)
    static func number(_ l: UnsafeBufferPointer<UInt8>, _ i: Int, _ n: Int) -> Int? {
        guard i >= 0, i + n <= l.count else { return nil }
        var v = 0
        for k in i..<(i + n) {
            let b = l[k]
            guard ASCII.isDigit(b) else { return nil }
            v = v * 10 + ASCII.digit(b)
        }
        return v
    }

    @inline(__always)
    static func monthNumber(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int? {
        let key = (UInt32(ASCII.lower(a)) << 16) | (UInt32(ASCII.lower(b)) << 8) | UInt32(ASCII.lower(c))
        switch key {
        case 0x6a_61_6e: return 1  // jan
        case 0x66_65_62: return 2  // feb
        case 0x6d_61_72: return 3  // mar
        case 0x61_70_72: return 4  // apr
        case 0x6d_61_79: return 5  // may
        case 0x6a_75_6e: return 6  // jun
        case 0x6a_75_6c: return 7  // jul
        case 0x61_75_67: return 8  // aug
        case 0x73_65_70: return 9  // sep
        case 0x6f_63_74: return 10  // oct
        case 0x6e_6f_76: return 11  // nov
        case 0x64_65_63: return 12  // dec
        default: return nil
        }
    }
}
