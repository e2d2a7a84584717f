import BounceTailCore
import Testing

private func stamp(_ s: String) -> LogStamp? {
    Array(s.utf8).withUnsafeBufferPointer { LogStamp.parse($0, at: 0) }
}

private func instant(_ s: String, zone: any LocalZone = FixedZone.utc, reference: String = "2026-11-23T12:00:00Z",
                     year: Int? = nil) -> String? {
    guard let st = stamp(s), let ref = stamp(reference) else { return nil }
    var anchor = StampResolver(zone: FixedZone.utc, reference: Instant(seconds: 0), fixedYear: nil)
    let refInstant = anchor.instant(for: ref)
    var r = StampResolver(zone: zone, reference: refInstant, fixedYear: year)
    return r.instant(for: st).rfc3339
}

@Suite struct LogStampTests {
    @Test func legacyStampsWithSpaceOrZeroPaddedDays() {
        #expect(stamp("Nov  3 10:00:01 mx postfix/smtp[1]:")?.day == 3)
        #expect(stamp("Nov 03 10:00:01 mx")?.day == 3)
        #expect(stamp("Nov 3 10:00:01 mx")?.secondOfDay == 36001)
        #expect(stamp("Nov  3 10:00:01 mx")?.end == 15)
        #expect(stamp("Foo  3 10:00:01") == nil)
        #expect(stamp("Nov 33 10:00:01") == nil)
        #expect(stamp("Nov  3 25:00:01") == nil)
    }

    @Test func fractionsAreKeptWithTheirPrecision() {
        #expect(instant("Nov  3 10:00:01.123456 mx", year: 2026) == "2026-11-03T10:00:01.123456Z")
        #expect(instant("2026-11-23 10:00:03.417 +0100 [1]") == "2026-11-23T09:00:03.417Z")
    }

    @Test func rfc3339WithOffsetsAndZulu() {
        #expect(instant("2023-03-14T00:00:10.123456+01:00 mx") == "2023-03-13T23:00:10.123456Z")
        #expect(instant("2023-03-14T00:00:10-05:00 mx") == "2023-03-14T05:00:10Z")
        #expect(instant("2023-03-14T00:00:10Z mx") == "2023-03-14T00:00:10Z")
    }

    @Test func eximStampsUseTheConfiguredZoneUnlessTheyCarryOne() {
        let berlinWinter = FixedZone(offsetSeconds: 3600)
        #expect(instant("2026-01-05 10:00:00 1abc", zone: berlinWinter) == "2026-01-05T09:00:00Z")
        #expect(instant("2026-01-05 10:00:00 -0200 1abc", zone: berlinWinter) == "2026-01-05T12:00:00Z")
    }

    @Test func legacyYearComesFromTheReferenceAndNeverLiesAheadOfIt() {
        // Written in late November: a March line is this year, a December line last year.
        #expect(instant("Mar  1 00:00:00 x", reference: "2026-11-23T12:00:00Z") == "2026-03-01T00:00:00Z")
        #expect(instant("Dec 20 00:00:00 x", reference: "2026-11-23T12:00:00Z") == "2025-12-20T00:00:00Z")
        // One day of slack for clocks and zones.
        #expect(instant("Nov 24 00:00:00 x", reference: "2026-11-23T12:00:00Z") == "2026-11-24T00:00:00Z")
    }

    @Test func aFileCrossingNewYearMovesToTheNextYear() {
        var r = StampResolver(zone: FixedZone.utc, reference: Instant(seconds: 1_767_571_200), fixedYear: nil)  // 2026-01-05
        let stamps = ["Dec 31 23:59:59 x", "Jan  1 00:00:00 x", "Dec 31 23:59:58 x", "Jan  2 00:00:00 x"]
        let got = stamps.map { r.instant(for: stamp($0)!).rfc3339 }
        #expect(got == ["2025-12-31T23:59:59Z", "2026-01-01T00:00:00Z", "2025-12-31T23:59:58Z", "2026-01-02T00:00:00Z"])
    }

    @Test func aFixedYearNamesTheFirstLine() {
        var r = StampResolver(zone: FixedZone.utc, reference: Instant(seconds: 0), fixedYear: 2019)
        #expect(r.instant(for: stamp("Dec 31 10:00:00 x")!).rfc3339 == "2019-12-31T10:00:00Z")
        #expect(r.instant(for: stamp("Jan  1 10:00:00 x")!).rfc3339 == "2020-01-01T10:00:00Z")
    }

    @Test func february29InANonLeapYearDoesNotCrash() {
        #expect(instant("Feb 29 10:00:00 x", year: 2026) != nil)
        #expect(instant("Feb 29 10:00:00 x", year: 2024) == "2024-02-29T10:00:00Z")
    }

    @Test func civilDatesRoundTrip() {
        for days in stride(from: -800_000, to: 800_000, by: 997) {
            let (y, m, d) = CivilDate.civil(fromDays: days)
            #expect(CivilDate.days(year: y, month: m, day: d) == days)
        }
    }
}
