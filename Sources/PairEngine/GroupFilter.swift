import Foundation

/// A sync job's `group-filter` entry, matched the way PBS matches it
/// (`pbs-api-types` `GroupFilter`, `apply_filters`): `type:vm`, `group:vm/100`,
/// `regex:^vm/1..$` (against `type/id`), each optionally prefixed `include:` or `exclude:`.
public struct GroupFilter: Sendable, Equatable {
    enum Match: Sendable, Equatable {
        case type(String)
        case group(String)
        case regex(String)
    }

    let match: Match
    let isExclude: Bool

    /// Parses one entry; nil when PBS would not accept it either.
    public init?(_ text: String) {
        var rest = Substring(text)
        if rest.hasPrefix("exclude:") {
            isExclude = true
            rest = rest.dropFirst(8)
        } else {
            isExclude = false
            if rest.hasPrefix("include:") { rest = rest.dropFirst(8) }
        }
        let parts = rest.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[1].isEmpty else { return nil }
        switch parts[0] {
        case "type": match = .type(parts[1])
        case "group": match = .group(parts[1])
        case "regex":
            guard (try? NSRegularExpression(pattern: parts[1])) != nil else { return nil }
            match = .regex(parts[1])
        default: return nil
        }
    }

    func matches(type: String, id: String) -> Bool {
        switch match {
        case .type(let wanted): return type == wanted
        case .group(let wanted): return "\(type)/\(id)" == wanted
        case .regex(let pattern):
            let subject = "\(type)/\(id)"
            guard let regex = try? NSRegularExpression(pattern: pattern) else { return false }
            return regex.firstMatch(in: subject, range: NSRange(subject.startIndex..., in: subject)) != nil
        }
    }

    /// Whether a job with these filters syncs the group: included by any include filter
    /// (or by default when there is none), and excluded by none.
    public static func selects(_ filters: [GroupFilter], type: String, id: String) -> Bool {
        let includes = filters.filter { !$0.isExclude }
        let included = includes.isEmpty || includes.contains { $0.matches(type: type, id: id) }
        return included && !filters.contains { $0.isExclude && $0.matches(type: type, id: id) }
    }
}
