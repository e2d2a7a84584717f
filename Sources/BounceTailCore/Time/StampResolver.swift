/// Turns log stamps into instants for one input, supplying what the stamp lacks: the zone (for stamps
/// without an offset) and the year (for legacy syslog stamps).
///
/// The year of the first legacy stamp is the reference year (the file's modification time, or the clock
/// for stdin and live files), minus one if that would put the stamp more than a day after the reference;
/// `--year` fixes it instead. Later stamps keep that year and move to the next one when the month jumps
/// back by more than six months (Dec → Jan); a jump forward by more than six months (a stray December line
/// after January) belongs to the year before.
public struct StampResolver {
    private var zone: ZoneCache
    private let referenceYear: Int
    private let referenceMonth: Int
    private let referenceDay: Int
    private let fixedYear: Int?
    private var year = 0
    private var month = 0

    /// - Parameters:
    ///   - reference: the instant the input was last written (mtime) or now.
    ///   - fixedYear: the year of the first legacy stamp, when the operator knows it.
    public init(zone: any LocalZone, reference: Instant, fixedYear: Int? = nil) {
        self.zone = ZoneCache(zone)
        let offset = zone.utcOffset(forLocalSeconds: reference.seconds)
        let local = reference.seconds + Int64(offset)
        let days = Int(local >= 0 ? local / 86400 : (local - 86399) / 86400)
        (referenceYear, referenceMonth, referenceDay) = CivilDate.civil(fromDays: days)
        self.fixedYear = fixedYear
    }

    public mutating func instant(for s: LogStamp) -> Instant {
        let y: Int
        if s.isLegacy {
            y = legacyYear(month: s.month, day: s.day)
        } else {
            y = s.year
        }
        let local = Int64(CivilDate.days(year: y, month: s.month, day: s.day)) * 86400 + Int64(s.secondOfDay)
        let utc: Int64
        if let off = s.utcOffset {
            utc = local - Int64(off)
        } else {
            utc = zone.utcSeconds(forLocal: local)
        }
        return Instant(seconds: utc, nanoseconds: s.nanoseconds, fractionDigits: s.fractionDigits)
    }

    private mutating func legacyYear(month m: Int, day d: Int) -> Int {
        if year == 0 {
            if let f = fixedYear {
                year = f
            } else {
                year = referenceYear
                let stampDays = CivilDate.days(year: referenceYear, month: m, day: d)
                let refDays = CivilDate.days(year: referenceYear, month: referenceMonth, day: referenceDay)
                if stampDays > refDays + 1 { year -= 1 }
            }
        } else if m < month - 6 {
            year += 1
        } else if m > month + 6 {
            // A late line from the previous year; the running year and month stay.
            return year - 1
        }
        month = m
        return year
    }
}
