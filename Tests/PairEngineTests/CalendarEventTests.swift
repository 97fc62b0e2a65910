import Foundation
import PairEngine
import Testing

@Suite struct CalendarEventTests {
    /// 2026-11-27T06:00:00Z, a Friday.
    let friday: Int64 = 1_795_759_200

    func next(_ expression: String, after: Int64? = nil, count: Int = 3, zone: ZoneRules = .utc) throws -> [String] {
        try CalendarEvent(expression).upcoming(after: after ?? friday, count: count, in: zone).map { Timestamps.rfc3339($0) }
    }

    /// The runs in a zone, each written with its own offset, as `pbsha calendar` prints them.
    func local(_ expression: String, from: String, count: Int, zone name: String) throws -> [String] {
        let zone = try #require(ZoneRules(identifier: name))
        let start = try #require(Timestamps.parse(from))
        return try CalendarEvent(expression).upcoming(after: start, count: count, in: zone)
            .map { Timestamps.rfc3339($0, utcOffset: zone.offset(at: $0)) }
    }

    @Test func fridayIsWhatTheTestsAssume() {
        #expect(Timestamps.rfc3339(friday) == "2026-11-27T06:00:00Z")
    }

    @Test func keywords() throws {
        #expect(try next("hourly") == ["2026-11-27T07:00:00Z", "2026-11-27T08:00:00Z", "2026-11-27T09:00:00Z"])
        #expect(try next("daily", count: 1) == ["2026-11-28T00:00:00Z"])
        #expect(try next("weekly", count: 1) == ["2026-11-30T00:00:00Z"])
        #expect(try next("monthly", count: 2) == ["2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"])
        #expect(try next("quarterly", count: 1) == ["2027-01-01T00:00:00Z"])
        #expect(try next("semi-annually", count: 2) == ["2027-01-01T00:00:00Z", "2027-07-01T00:00:00Z"])
        #expect(try next("minutely", count: 1) == ["2026-11-27T06:01:00Z"])
    }

    @Test func everyFifteenMinutes() throws {
        #expect(try next("*:0/15") == ["2026-11-27T06:15:00Z", "2026-11-27T06:30:00Z", "2026-11-27T06:45:00Z"])
    }

    @Test func weekdayRangeWithTime() throws {
        #expect(try next("mon..fri 02:00") == ["2026-11-30T02:00:00Z", "2026-12-01T02:00:00Z", "2026-12-02T02:00:00Z"])
        #expect(try next("sat..mon 02:00") == ["2026-11-28T02:00:00Z", "2026-11-29T02:00:00Z", "2026-11-30T02:00:00Z"])
    }

    @Test func firstSaturdayOfTheMonth() throws {
        #expect(try next("sat *-1..7 15:00", count: 2) == ["2026-12-05T15:00:00Z", "2027-01-02T15:00:00Z"])
    }

    @Test func loneMinutesMeanEveryHour() throws {
        #expect(try next("5") == ["2026-11-27T06:05:00Z", "2026-11-27T07:05:00Z", "2026-11-27T08:05:00Z"])
        #expect(try next("12/2:5", count: 2) == ["2026-11-27T12:05:00Z", "2026-11-27T14:05:00Z"])
    }

    @Test func listsRangesAndRepetitions() throws {
        #expect(try next("mon..fri 8..17,22:0/30", after: friday + 11 * 3600, count: 3)
                == ["2026-11-27T17:30:00Z", "2026-11-27T22:00:00Z", "2026-11-27T22:30:00Z"])
        #expect(try next("*-05", count: 1) == ["2026-12-05T00:00:00Z"])
    }

    @Test func oneOffDatesEnd() throws {
        #expect(try next("2015-10-21", count: 1).isEmpty)
        #expect(try next("2027-02-03 04:05", count: 2) == ["2027-02-03T04:05:00Z"])
    }

    @Test func usesTheNodeLocalTime() throws {
        // 02:00 in Vienna (UTC+1 in November) is 01:00 UTC.
        let vienna = try #require(ZoneRules(identifier: "Europe/Vienna"))
        #expect(try next("02:00", count: 1, zone: vienna) == ["2026-11-28T01:00:00Z"])
        #expect(try next("02:00 UTC", count: 1, zone: vienna) == ["2026-11-28T02:00:00Z"])
    }

    /// Each run keeps its own offset across the change (the example of the hardening issue).
    @Test func aDailyRunAcrossTheSpringChangeKeepsMidnight() throws {
        #expect(try local("daily", from: "2026-03-28T12:00:00+01:00", count: 3, zone: "Europe/Berlin")
                == ["2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00", "2026-03-31T00:00:00+02:00"])
    }

    /// As proxmox-time computes it (mktime after every field move): a time in the skipped hour
    /// does not run that day; an hourly job goes from 01:00 to 03:00.
    @Test func theSkippedHourIsSkippedAsOnPBS() throws {
        #expect(try local("02:30", from: "2026-03-28T12:00:00+01:00", count: 2, zone: "Europe/Berlin")
                == ["2026-03-30T02:30:00+02:00", "2026-03-31T02:30:00+02:00"])
        #expect(try local("hourly", from: "2026-03-29T00:30:00+01:00", count: 3, zone: "Europe/Berlin")
                == ["2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T04:00:00+02:00"])
    }

    /// The repeated hour: a time in it runs once, at its first occurrence; an hourly job runs
    /// once in it, as the wall clock passes 02:00 only once for PBS's search.
    @Test func theRepeatedHourRunsOnceAsOnPBS() throws {
        #expect(try local("02:30", from: "2026-10-24T12:00:00+02:00", count: 2, zone: "Europe/Berlin")
                == ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"])
        #expect(try local("hourly", from: "2026-10-25T00:30:00+02:00", count: 4, zone: "Europe/Berlin")
                == ["2026-10-25T01:00:00+02:00", "2026-10-25T02:00:00+02:00", "2026-10-25T03:00:00+01:00", "2026-10-25T04:00:00+01:00"])
    }

    @Test func strictlyAfter() throws {
        #expect(try next("06:00", count: 1) == ["2026-11-28T06:00:00Z"])
    }

    @Test(arguments: [
        ("mon..fry 02:00", "unknown weekday 'fry'", 5, 3),
        ("25:00", "hour: 25 is outside 0..23", 0, 2),
        ("*:0/0", "repetition step '0'", 2, 3),
        ("02:00 mon", "misplaced weekday 'mon'", 6, 3),
        ("*-13-01", "month: 13 is outside 1..12", 2, 2),
        ("", "empty", 0, 1),
        ("10..5:00", "runs backwards", 0, 5),
    ])
    func badExpressionsPointAtTheBadPart(_ expression: String, _ message: String, _ offset: Int, _ length: Int) {
        #expect {
            try CalendarEvent(expression)
        } throws: { error in
            guard let error = error as? CalendarError else { return false }
            return error.message.contains(message) && error.offset == offset && error.length == length
                && error.source == expression && error.description.hasSuffix(String(repeating: "^", count: length))
        }
    }
}

@Suite struct DurationsTests {
    @Test(arguments: [("90s", 90), ("15m", 900), ("4h", 14_400), ("8d", 691_200), ("1h30m", 5400), ("45", 45), ("2w", 1_209_600)])
    func parses(_ text: String, _ seconds: Int) throws {
        #expect(try Durations.parse(text) == seconds)
    }

    @Test(arguments: ["", "4x", "h", "4h3", "-5m"])
    func rejects(_ text: String) {
        #expect(throws: Durations.ParseError.self) { try Durations.parse(text) }
    }

    @Test(arguments: ["99999999999999d", "3651d", "99999999999999999999", "9223372036854775807s", "3650d1s", "522w"])
    func refusesWhatIsLongerThanTenYearsWithoutTrapping(_ text: String) {
        #expect { try Durations.parse(text) } throws: { ($0 as? Durations.ParseError)?.description.contains("longer than 3650d, the most pbsha accepts") == true }
    }

    @Test func formatsForPeople() {
        #expect(Durations.format(45) == "45s")
        #expect(Durations.format(18_720) == "5h12m")
        #expect(Durations.format(7200) == "2h")
        #expect(Durations.format(273_600) == "3d4h")
    }
}
