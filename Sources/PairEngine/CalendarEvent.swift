import Foundation

/// A PBS calendar event (job `schedule`): `[WEEKDAYS] [[YEARS-]MONTHS-DAYS] [HOURS:]MINUTES[:SECONDS]`
/// or a keyword such as `hourly`. Evaluated in the node's local time, given as a UTC offset.
public struct CalendarEvent: Sendable, Equatable, CustomStringConvertible {
    /// The expression as written.
    public let source: String
    var weekdays: Set<Int>?   // 0 = Monday … 6 = Sunday; nil = every day
    var years = ValueSpec.any
    var months = ValueSpec.any
    var days = ValueSpec.any
    var hours = ValueSpec.any
    var minutes = ValueSpec.any
    var seconds = ValueSpec.values([0])
    /// A trailing `UTC` (accepted by PBS since 2.1) pins evaluation to UTC.
    var utc = false

    public var description: String { source }

    private static let keywords: [String: String] = [
        "minutely": "*-*-* *:*:00", "hourly": "*-*-* *:00:00", "daily": "*-*-* 00:00:00",
        "weekly": "mon *-*-* 00:00:00", "monthly": "*-*-01 00:00:00", "yearly": "*-01-01 00:00:00",
        "annually": "*-01-01 00:00:00", "quarterly": "*-01,04,07,10-01 00:00:00",
        "semiannually": "*-01,07-01 00:00:00", "semi-annually": "*-01,07-01 00:00:00",
    ]

    private static let weekdayNames: [String: Int] = [
        "mon": 0, "monday": 0, "tue": 1, "tuesday": 1, "wed": 2, "wednesday": 2, "thu": 3, "thursday": 3,
        "fri": 4, "friday": 4, "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
    ]

    /// Parses an expression; the error points at the part that is wrong.
    public init(_ text: String) throws(CalendarError) {
        source = text
        let lowered = text.lowercased()
        let expanded = Self.keywords[lowered.trimmingCharacters(in: .whitespaces)]
        var tokens = Tokenizer.split(expanded ?? lowered)
        if expanded != nil { tokens = tokens.map { Token(text: $0.text, offset: 0, length: text.count) } }
        guard !tokens.isEmpty else { throw CalendarError(source: text, message: "the expression is empty", offset: 0, length: max(1, text.count)) }
        if tokens.last?.text == "utc" {
            utc = true
            tokens.removeLast()
        }
        var index = 0
        if index < tokens.count, tokens[index].text.first?.isLetter == true {
            weekdays = try Self.parseWeekdays(tokens[index], source: text)
            index += 1
        }
        var hasDate = false
        if index < tokens.count, tokens[index].text.contains("-") {
            try parseDate(tokens[index], source: text)
            hasDate = true
            index += 1
        }
        var hasTime = false
        if index < tokens.count, !tokens[index].text.contains("-"), tokens[index].text.first?.isLetter != true {
            try parseTime(tokens[index], source: text)
            hasTime = true
            index += 1
        }
        if index < tokens.count {
            let token = tokens[index]
            let what = token.text.first?.isLetter == true ? "unknown word or misplaced weekday" : "unexpected part"
            throw CalendarError(source: text, message: "\(what) '\(token.text)' (order is: weekdays, date, time)",
                                offset: token.offset, length: token.length)
        }
        if !hasTime {
            if !hasDate && weekdays == nil {
                throw CalendarError(source: text, message: "nothing to schedule", offset: 0, length: max(1, text.count))
            }
            hours = .values([0])
            minutes = .values([0])
        }
    }

    /// The years a calendar event is computed in: 0001 to 9999, as PBS's calendar does.
    static let computable: ClosedRange<Int64> = -62_135_596_800...253_402_300_799

    /// The first event strictly after `after` (epoch seconds) on the wall clock of `zone`, or
    /// nil when there is none PBS would find (a one-off date in the past, Feb 30th) or `after`
    /// lies outside the years 1 to 9999 (a broken node's clock).
    ///
    /// This is PBS's own search (proxmox-time `compute_next_event`): field by field from the
    /// year down, moving the first field that does not match to its next allowed value and
    /// resetting the smaller ones, normalising through the zone after every move. So the
    /// hours a daylight-saving change skips or repeats behave as on PBS (see `ZoneRules`):
    /// a job at 02:30 does not run on the day 02:00 jumps to 03:00; an hourly job runs
    /// once in a repeated hour.
    public func next(after: Int64, in zone: ZoneRules = .utc) -> Int64? {
        guard Self.computable.contains(after) else { return nil }
        var t = Cursor(epoch: after + 1, zone: utc ? .utc : zone)
        for _ in 0..<1000 {
            let now = t.time
            guard Self.computable.contains(t.epoch) else { return nil }
            if !years.matches(now.year) {
                guard let year = years.next(after: now.year) else { return nil }
                t.move { $0 = LocalTime(year: year, month: 1, day: 1) }
            } else if !months.matches(now.month) {
                let month = months.next(after: now.month)
                t.move { $0 = LocalTime(year: now.year + (month == nil ? 1 : 0), month: month ?? 1, day: 1) }
            } else if !days.matches(now.day) {
                let day = days.next(after: now.day)
                t.move { $0 = LocalTime(year: now.year, month: now.month + (day == nil ? 1 : 0), day: day ?? 1) }
            } else if let weekdays, !weekdays.contains(now.weekday) {
                // A later day this week, else Monday next week (and on from there).
                let step = (weekdays.filter { $0 > now.weekday }.min() ?? 7) - now.weekday
                t.move { $0 = LocalTime(year: now.year, month: now.month, day: now.day + step) }
            } else if !hours.matches(now.hour) {
                let hour = hours.next(after: now.hour)
                t.move { $0 = LocalTime(year: now.year, month: now.month, day: now.day + (hour == nil ? 1 : 0), hour: hour ?? 0) }
            } else if !minutes.matches(now.minute) {
                let minute = minutes.next(after: now.minute)
                t.move { $0.hour += minute == nil ? 1 : 0; $0.minute = minute ?? 0; $0.second = 0 }
            } else if !seconds.matches(now.second) {
                let second = seconds.next(after: now.second)
                t.move { $0.minute += second == nil ? 1 : 0; $0.second = second ?? 0 }
            } else {
                return t.epoch
            }
        }
        return nil
    }

    /// The next `count` events after `after`.
    public func upcoming(after: Int64, count: Int, in zone: ZoneRules = .utc) -> [Int64] {
        var result: [Int64] = []
        var cursor = after
        while result.count < count, let next = next(after: cursor, in: zone) {
            result.append(next)
            cursor = next
        }
        return result
    }

    private static func parseWeekdays(_ token: Token, source: String) throws(CalendarError) -> Set<Int> {
        var result = Set<Int>()
        for part in token.parts(separatedBy: ",") {
            let bounds = part.text.components(separatedBy: "..")
            var numbers: [Int] = []
            for name in bounds {
                guard let day = weekdayNames[name] else {
                    let at = part.offset + (part.text.range(of: name).map { part.text.distance(from: part.text.startIndex, to: $0.lowerBound) } ?? 0)
                    throw CalendarError(source: source, message: "unknown weekday '\(name)' (use mon, tue, wed, thu, fri, sat, sun)",
                                        offset: at, length: max(1, name.count))
                }
                numbers.append(day)
            }
            switch numbers.count {
            case 1: result.insert(numbers[0])
            case 2:
                var day = numbers[0]
                result.insert(day)
                while day != numbers[1] {   // wrap-around ranges like sat..mon are allowed
                    day = (day + 1) % 7
                    result.insert(day)
                }
            default:
                throw CalendarError(source: source, message: "a weekday range has two ends", offset: part.offset, length: part.length)
            }
        }
        return result
    }

    private mutating func parseDate(_ token: Token, source: String) throws(CalendarError) {
        let parts = token.parts(separatedBy: "-")
        switch parts.count {
        case 2:
            months = try ValueSpec.parse(parts[0], field: .month, source: source)
            days = try ValueSpec.parse(parts[1], field: .day, source: source)
        case 3:
            years = try ValueSpec.parse(parts[0], field: .year, source: source)
            months = try ValueSpec.parse(parts[1], field: .month, source: source)
            days = try ValueSpec.parse(parts[2], field: .day, source: source)
        default:
            throw CalendarError(source: source, message: "a date is [YEARS-]MONTHS-DAYS", offset: token.offset, length: token.length)
        }
    }

    private mutating func parseTime(_ token: Token, source: String) throws(CalendarError) {
        let parts = token.parts(separatedBy: ":")
        switch parts.count {
        case 1:
            minutes = try ValueSpec.parse(parts[0], field: .minute, source: source)
        case 2, 3:
            hours = try ValueSpec.parse(parts[0], field: .hour, source: source)
            minutes = try ValueSpec.parse(parts[1], field: .minute, source: source)
            if parts.count == 3 { seconds = try ValueSpec.parse(parts[2], field: .second, source: source) }
        default:
            throw CalendarError(source: source, message: "a time is [HOURS:]MINUTES[:SECONDS]", offset: token.offset, length: token.length)
        }
    }
}

/// An expression that could not be parsed; `description` shows it with a caret under the bad part.
public struct CalendarError: Error, Equatable, CustomStringConvertible {
    public let source: String
    public let message: String
    /// Character offset and length of the bad part.
    public let offset: Int
    public let length: Int

    public var description: String {
        "invalid calendar event: \(message)\n  \(source)\n  "
            + String(repeating: " ", count: offset) + String(repeating: "^", count: max(1, length))
    }
}

/// A whitespace-separated part of an expression, with its position for error messages.
struct Token: Equatable {
    let text: String
    let offset: Int
    let length: Int

    func parts(separatedBy separator: Character) -> [Token] {
        var result: [Token] = []
        var start = 0
        for piece in text.split(separator: separator, omittingEmptySubsequences: false) {
            result.append(Token(text: String(piece), offset: offset + start, length: max(1, piece.count)))
            start += piece.count + 1
        }
        return result
    }
}

enum Tokenizer {
    static func split(_ text: String) -> [Token] {
        var tokens: [Token] = []
        var current = ""
        var start = 0
        for (offset, character) in text.enumerated() {
            if character.isWhitespace {
                if !current.isEmpty { tokens.append(Token(text: current, offset: start, length: current.count)) }
                current = ""
            } else {
                if current.isEmpty { start = offset }
                current.append(character)
            }
        }
        if !current.isEmpty { tokens.append(Token(text: current, offset: start, length: current.count)) }
        return tokens
    }
}

/// proxmox-time's `TmEditor`: a wall-clock time that is normalised through the zone after
/// every change, the way `mktime` normalises a `struct tm`.
private struct Cursor {
    let zone: ZoneRules
    private(set) var epoch: Int64
    private(set) var time: LocalTime

    init(epoch: Int64, zone: ZoneRules) {
        self.zone = zone
        self.epoch = epoch
        time = zone.local(epoch)
    }

    mutating func move(_ change: (inout LocalTime) -> Void) {
        var fields = time
        change(&fields)
        epoch = zone.epoch(ofWallSeconds: fields.wallSeconds)
        time = zone.local(epoch)
    }
}
