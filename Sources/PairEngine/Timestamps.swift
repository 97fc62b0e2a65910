import Foundation

/// RFC 3339 formatting and parsing in UTC (`2026-11-27T06:00:00Z`).
public enum Timestamps {
    public static func rfc3339(_ epoch: Int64) -> String {
        let civil = Civil(daysSinceEpoch: floorDiv(epoch, 86_400))
        let remainder = epoch % 86_400
        let second = Int(remainder < 0 ? remainder + 86_400 : remainder)
        // Built by hand: String(format:) goes through Foundation and dominated the rules' time.
        return padded(civil.year, 4) + "-" + padded(civil.month, 2) + "-" + padded(civil.day, 2) + "T"
            + padded(second / 3600, 2) + ":" + padded(second % 3600 / 60, 2) + ":" + padded(second % 60, 2) + "Z"
    }

    /// `value` in decimal with leading zeros to `width` digits (a sign before them).
    static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value.magnitude)
        let zeros = String(repeating: "0", count: max(0, width - digits.count))
        return (value < 0 ? "-" : "") + zeros + digits
    }

    /// RFC 3339 with the given offset from UTC; `Z` for UTC.
    public static func rfc3339(_ epoch: Int64, utcOffset: Int) -> String {
        utcOffset == 0 ? rfc3339(epoch) : rfc3339(epoch, numericOffset: utcOffset)
    }

    /// RFC 3339 with a numeric offset even in UTC (`+00:00`), as PBS writes task log lines.
    public static func rfc3339(_ epoch: Int64, numericOffset utcOffset: Int) -> String {
        let local = rfc3339(clampedSum(epoch, Int64(utcOffset))).dropLast()
        let sign = utcOffset < 0 ? "-" : "+"
        let minutes = abs(utcOffset) / 60
        return local + String(format: "%@%02d:%02d", sign, minutes / 60, minutes % 60)
    }

    /// Parses `2026-11-27T06:00:00Z`, `…+01:00` or a bare date `2026-11-27`.
    public static func parse(_ text: String) -> Int64? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970) }
        formatter.formatOptions = [.withFullDate]
        return formatter.date(from: text).map { Int64($0.timeIntervalSince1970) }
    }
}
