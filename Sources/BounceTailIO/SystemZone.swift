import BounceTailCore
import Foundation

/// A named zone from the system's zone database (Foundation; asked once per local hour, never per line).
public struct SystemZone: LocalZone {
    public let timeZone: TimeZone

    public init(_ timeZone: TimeZone) { self.timeZone = timeZone }

    /// The zone for `--timezone`: an IANA name (`Europe/Berlin`), `UTC`/`Z`, or a fixed offset (`+01:00`,
    /// `-0500`); nil when the text is none of these. nil input means the system's zone.
    public static func named(_ text: String?) -> (any LocalZone)? {
        guard let text else { return SystemZone(TimeZone.current) }
        if text == "UTC" || text == "Z" || text == "utc" { return FixedZone.utc }
        if let first = text.first, first == "+" || first == "-" {
            let digits = text.dropFirst().filter { $0 != ":" }
            guard digits.count == 4, let v = Int(digits) else { return nil }
            let seconds = (v / 100 * 3600 + v % 100 * 60) * (first == "-" ? -1 : 1)
            return FixedZone(offsetSeconds: Int32(seconds))
        }
        guard let tz = TimeZone(identifier: text) else { return nil }
        return SystemZone(tz)
    }

    public func utcOffset(forLocalSeconds local: Int64) -> Int32 {
        // First guess with the offset at `local` read as UTC, then correct with the offset at that instant.
        let guess = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(local)))
        let actual = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(local - Int64(guess))))
        return Int32(actual)
    }
}
