/// The gregorian date of a day number (days since 1970-01-01), by Howard Hinnant's algorithm.
struct Civil {
    let year: Int
    let month: Int
    let day: Int
    /// 0 = Monday.
    let weekday: Int

    /// The day number of a date (the inverse of `init(daysSinceEpoch:)`), same algorithm.
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    init(daysSinceEpoch days: Int64) {
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = Int(doy - (153 * mp + 2) / 5 + 1)
        month = Int(mp < 10 ? mp + 3 : mp - 9)
        year = Int(yoe + era * 400 + (month <= 2 ? 1 : 0))
        weekday = Int(((days % 7) + 7 + 3) % 7)
    }
}

/// Division rounding toward negative infinity (for positive `b`), defined for every `a`.
func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let quotient = a / b
    return a % b != 0 && a < 0 ? quotient - 1 : quotient
}
