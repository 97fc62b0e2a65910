import Foundation

/// How a time zone maps instants to wall-clock times and back, with the rules glibc's
/// `mktime` (with `tm_isdst = -1`) applies where daylight saving skips or repeats an hour.
/// PBS computes its schedules this way (proxmox-time's `TmEditor` normalises through
/// `mktime` after every change), so pbsha follows the same rules:
/// - a wall time the change skips (02:30 when clocks jump from 02:00 to 03:00) is read
///   with the offset before the change, so it lands as far after the jump as it was after
///   02:00 (03:30);
/// - a wall time the change repeats (02:30 when clocks fall back from 03:00 to 02:00) is
///   the first of the two instants.
public struct ZoneRules: Sendable {
    private let zone: TimeZone?

    /// UTC: no offsets, no changes.
    public static let utc = ZoneRules(zone: nil)

    public init(_ zone: TimeZone) { self.zone = zone }

    private init(zone: TimeZone?) { self.zone = zone }

    /// The zone a node names in `/nodes/localhost/time` (`Europe/Vienna`); nil if unknown here.
    public init?(identifier: String) {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        self.zone = zone
    }

    /// Seconds east of UTC at `epoch`.
    public func offset(at epoch: Int64) -> Int {
        guard let zone else { return 0 }
        return zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(epoch)))
    }

    /// The wall-clock time at `epoch`.
    func local(_ epoch: Int64) -> LocalTime {
        LocalTime(wallSeconds: epoch + Int64(offset(at: epoch)))
    }

    /// The instant of a wall-clock time given as seconds since 1970-01-01 00:00 on the wall,
    /// as `mktime` finds it (see the type's comment for skipped and repeated hours).
    func epoch(ofWallSeconds wall: Int64) -> Int64 {
        guard zone != nil else { return wall }
        // Offsets a day either side: no zone changes twice within two days.
        let before = Int64(offset(at: wall - 86_400))
        let after = Int64(offset(at: wall + 86_400))
        let candidates = Set([wall - before, wall - after]).filter { $0 + Int64(offset(at: $0)) == wall }
        return candidates.min() ?? wall - before
    }
}

/// A wall-clock time broken into fields, as `struct tm` holds it (months and days from 1,
/// weekday 0 = Monday).
struct LocalTime: Equatable {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int
    var weekday: Int

    /// A time to move to; the weekday follows from the date once normalised.
    init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        (self.year, self.month, self.day, self.hour, self.minute, self.second, weekday) = (year, month, day, hour, minute, second, 0)
    }

    init(wallSeconds: Int64) {
        let day = floorDiv(wallSeconds, 86_400)
        let civil = Civil(daysSinceEpoch: day)
        let seconds = Int(wallSeconds - day * 86_400)
        (year, month, self.day, weekday) = (civil.year, civil.month, civil.day, civil.weekday)
        (hour, minute, second) = (seconds / 3600, seconds % 3600 / 60, seconds % 60)
    }

    /// Seconds since 1970-01-01 00:00 on the wall; fields out of their range carry over, as
    /// `mktime` normalises them (hour 24 is the next day, month 13 the next year's January).
    var wallSeconds: Int64 {
        let months = Int64(year) * 12 + Int64(month - 1)
        let days = Civil.daysSinceEpoch(year: Int(floorDiv(months, 12)), month: Int(months - floorDiv(months, 12) * 12) + 1, day: 1)
            + Int64(day - 1)
        return days * 86_400 + Int64(hour) * 3600 + Int64(minute) * 60 + Int64(second)
    }
}
