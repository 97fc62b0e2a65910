/// One field of a calendar event: `*`, a number, `a..b`, `start/step`, `a..b/step`, or a comma list of those.
enum ValueSpec: Sendable, Equatable {
    case any
    case values(Set<Int>)

    /// Which field a spec belongs to, for its bounds and messages.
    enum Field: String {
        case year, month, day, hour, minute, second

        var bounds: ClosedRange<Int> {
            switch self {
            case .year: return 1970...9999
            case .month: return 1...12
            case .day: return 1...31
            case .hour: return 0...23
            case .minute, .second: return 0...59
            }
        }
    }

    func matches(_ value: Int) -> Bool {
        switch self {
        case .any: return true
        case .values(let set): return set.contains(value)
        }
    }

    /// The smallest allowed value above `value`; nil for `any` (which matches everything).
    func next(after value: Int) -> Int? {
        guard case .values(let set) = self else { return nil }
        return set.filter { $0 > value }.min()
    }

    static func parse(_ token: Token, field: Field, source: String) throws(CalendarError) -> ValueSpec {
        if token.text == "*" { return .any }
        guard !token.text.isEmpty else {
            throw CalendarError(source: source, message: "the \(field.rawValue) is empty", offset: token.offset, length: 1)
        }
        var set = Set<Int>()
        for part in token.parts(separatedBy: ",") {
            func number(_ text: Substring) throws(CalendarError) -> Int {
                guard let value = Int(text), field.bounds.contains(value) else {
                    let problem = Int(text) == nil ? "'\(text)' is not a number" : "\(text) is outside \(field.bounds.lowerBound)..\(field.bounds.upperBound)"
                    throw CalendarError(source: source, message: "\(field.rawValue): \(problem)", offset: part.offset, length: part.length)
                }
                return value
            }
            let stepSplit = part.text.split(separator: "/", omittingEmptySubsequences: false)
            guard stepSplit.count <= 2 else {
                throw CalendarError(source: source, message: "\(field.rawValue): more than one '/'", offset: part.offset, length: part.length)
            }
            var step = 1
            if stepSplit.count == 2 {
                guard let parsed = Int(stepSplit[1]), parsed > 0 else {
                    throw CalendarError(source: source, message: "\(field.rawValue): the repetition step '\(stepSplit[1])' is not a positive number",
                                        offset: part.offset, length: part.length)
                }
                step = parsed
            }
            let base = stepSplit[0]
            let range = base.components(separatedBy: "..")
            let lower: Int
            var upper: Int
            if base == "*" {
                lower = field.bounds.lowerBound
                upper = field.bounds.upperBound
            } else if range.count == 2 {
                lower = try number(Substring(range[0]))
                upper = try number(Substring(range[1]))
                guard lower <= upper else {
                    throw CalendarError(source: source, message: "\(field.rawValue): range \(base) runs backwards", offset: part.offset, length: part.length)
                }
            } else {
                lower = try number(base)
                upper = stepSplit.count == 2 ? field.bounds.upperBound : lower
            }
            if stepSplit.count == 1 && range.count == 1 && base != "*" { upper = lower }
            set.formUnion(stride(from: lower, through: upper, by: step))
        }
        return .values(set)
    }
}
