/// The time zone that stamps without an offset (legacy syslog, Exim without `+hhmm`) were written in.
///
/// The core cannot read the system's zone database (no Foundation); the I/O layer supplies one. Offsets are
/// asked for rarely: `ZoneCache` remembers the answer for the current local hour.
public protocol LocalZone: Sendable {
    /// Seconds east of UTC in force at the given local wall-clock time (seconds since 1970 as if it were UTC).
    func utcOffset(forLocalSeconds local: Int64) -> Int32
}

/// A zone with one fixed offset, such as UTC or `+01:00`.
public struct FixedZone: LocalZone {
    public let offsetSeconds: Int32
    public init(offsetSeconds: Int32) { self.offsetSeconds = offsetSeconds }
    public static let utc = FixedZone(offsetSeconds: 0)
    public func utcOffset(forLocalSeconds local: Int64) -> Int32 { offsetSeconds }
}

/// Remembers the offset of the last local hour asked, since consecutive log lines share it.
public struct ZoneCache {
    public let zone: any LocalZone
    private var hour: Int64 = .min
    private var offset: Int32 = 0

    public init(_ zone: any LocalZone) { self.zone = zone }

    public mutating func utcSeconds(forLocal local: Int64) -> Int64 {
        let h = local >= 0 ? local / 3600 : (local - 3599) / 3600
        if h != hour {
            hour = h
            offset = zone.utcOffset(forLocalSeconds: local)
        }
        return local - Int64(offset)
    }
}
