/// How bad a finding is. Ordered: a later case is worse.
public enum Severity: String, Sendable, Comparable, CaseIterable, Codable {
    case info, warning, critical

    public static func < (a: Severity, b: Severity) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// A health verdict for the pair or one part of it.
public enum HealthStatus: String, Sendable, Comparable, Codable {
    case ok, warning, critical, unknown

    private var rank: Int { [.ok: 0, .unknown: 1, .warning: 2, .critical: 3][self]! }

    public static func < (a: HealthStatus, b: HealthStatus) -> Bool { a.rank < b.rank }

    /// The status a set of findings amounts to (info does not count).
    public init(worstOf findings: [Finding]) {
        switch findings.map(\.severity).max() {
        case .critical: self = .critical
        case .warning: self = .warning
        default: self = .ok
        }
    }

    /// Nagios exit code.
    public var exitCode: Int32 { [.ok: 0, .warning: 1, .critical: 2, .unknown: 3][self]! }
}

/// One condition worth telling the operator, in plain words.
public struct Finding: Sendable, Equatable {
    public var severity: Severity
    /// Stable identifier for scripts, e.g. `sync-stale`.
    public var code: String
    public var message: String
    /// What the condition is about (a node, a job); with `code` it makes a finding unique.
    public var subject: String

    public init(_ severity: Severity, _ code: String, _ message: String, subject: String = "") {
        self.severity = severity
        self.code = code
        self.message = message
        self.subject = subject
    }
}

extension Array where Element == Finding {
    /// One finding per condition (code and subject), the worst kept, worst first.
    func deduplicated() -> [Finding] {
        var best: [String: Finding] = [:]
        var order: [String] = []
        for finding in self {
            let key = finding.code + "\u{0}" + finding.subject
            if let existing = best[key] {
                if finding.severity > existing.severity { best[key] = finding }
            } else {
                best[key] = finding
                order.append(key)
            }
        }
        let unique = order.map { best[$0]! }
        return unique.enumerated().sorted { lhs, rhs in
            lhs.element.severity != rhs.element.severity ? lhs.element.severity > rhs.element.severity : lhs.offset < rhs.offset
        }.map(\.element)
    }
}
