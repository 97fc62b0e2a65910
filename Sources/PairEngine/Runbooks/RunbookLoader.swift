import Crypto
import Foundation
import TOMLKit

/// Reads a runbook file and refuses what the engine could not run: unknown actions or
/// gates, bad estimates or confirmations, with the file, the line and the known names.
public enum RunbookLoader {
    public static func load(path: String, kind: String) throws(RunbookError) -> Runbook {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw RunbookError(file: path, line: nil, message: "cannot read the runbook file; check the [runbooks] \(kind) path and its permissions")
        }
        return try parse(text, file: path, kind: kind)
    }

    public static func parse(_ text: String, file: String, kind: String) throws(RunbookError) -> Runbook {
        let root: TOMLTable
        do { root = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw RunbookError(file: file, line: error.source.begin.line, message: "not valid TOML: \(error.description)")
        } catch {
            throw RunbookError(file: file, line: nil, message: "not valid TOML: \(error)")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        /// The line of `key` in the `step`-th `[[step]]` table (or at the top when nil).
        func line(of key: String, step: Int?) -> Int? {
            var start = 0, end = lines.count
            if let step {
                let headers = lines.indices.filter { lines[$0].trimmingCharacters(in: .whitespaces) == "[[step]]" }
                guard step < headers.count else { return nil }
                start = headers[step]
                end = step + 1 < headers.count ? headers[step + 1] : lines.count
            }
            return (start..<end).first { lines[$0].trimmingCharacters(in: .whitespaces).hasPrefix(key + " ") || lines[$0].hasPrefix(key + "=") }.map { $0 + 1 }
        }
        func fail(_ key: String, step: Int?, _ message: String) -> RunbookError {
            RunbookError(file: file, line: line(of: key, step: step) ?? step.flatMap { line(of: "[[step]]", step: $0) }, message: message)
        }
        for key in root.keys where !["kind", "title", "step"].contains(key) {
            throw fail(key, step: nil, "unknown key '\(key)'; a runbook has kind, title and [[step]] tables")
        }
        guard root["kind"]?.string == kind else {
            throw fail("kind", step: nil, "kind must be \"\(kind)\" in a \(kind) runbook, got \(root["kind"]?.string.map { "\"\($0)\"" } ?? "nothing")")
        }
        guard let title = root["title"]?.string, !title.isEmpty else { throw fail("title", step: nil, "title is missing") }
        guard let tables = root["step"]?.array, !tables.isEmpty else {
            throw RunbookError(file: file, line: nil, message: "no [[step]] tables; a runbook needs at least one step")
        }
        let actions = RunbookCatalog.actions[kind] ?? [:]
        var steps: [Runbook.Step] = []
        for (index, element) in tables.enumerated() {
            guard let table = element.table else { throw RunbookError(file: file, line: nil, message: "step \(index + 1) is not a table") }
            let allowed = ["title", "owner", "estimate", "action", "hard-gates", "soft-gates", "overridable-gates", "confirm", "guidance"]
            for key in table.keys where !allowed.contains(key) {
                throw fail(key, step: index, "step \(index + 1): unknown key '\(key)'; a step has \(allowed.joined(separator: ", "))")
            }
            func string(_ key: String, required: Bool = true) throws(RunbookError) -> String {
                guard let value = table[key]?.string, !value.trimmingCharacters(in: .whitespaces).isEmpty else {
                    if !required, table[key] == nil { return "" }
                    throw fail(key, step: index, "step \(index + 1): '\(key)' must be a non-empty string")
                }
                return value
            }
            func names(_ key: String) throws(RunbookError) -> [String] {
                guard let value = table[key] else { return [] }
                guard let array = value.array, let names = Optional(array.compactMap(\.string)), names.count == array.count else {
                    throw fail(key, step: index, "step \(index + 1): '\(key)' must be a list of gate names, e.g. [\"secondary-reachable\"]")
                }
                for name in names where RunbookCatalog.gates[name] == nil {
                    throw fail(key, step: index, "step \(index + 1): unknown gate '\(name)'; known gates: \(RunbookCatalog.gates.keys.sorted().joined(separator: ", "))")
                }
                return names
            }
            let action = try string("action")
            guard actions[action] != nil else {
                throw fail("action", step: index, "step \(index + 1): unknown action '\(action)'; known \(kind) actions: \(actions.keys.sorted().joined(separator: ", "))")
            }
            let estimateText = try string("estimate")
            var estimate: Int?
            if estimateText != "async" {
                do { estimate = try Durations.parse(estimateText) } catch {
                    throw fail("estimate", step: index, "step \(index + 1): estimate '\(estimateText)' is not a duration like 5m or 1h30m, nor \"async\"")
                }
            }
            let confirmText = try string("confirm", required: false)
            let confirmation: Runbook.Confirmation
            switch confirmText.split(separator: " ").map(String.init) {
            case [], ["none"]: confirmation = .none
            case ["enter"]: confirmation = .enter
            case let words where words.count == 2 && words[0] == "type" && words[1].allSatisfy({ $0.isLetter && $0.isUppercase }):
                confirmation = .word(words[1])
            default:
                throw fail("confirm", step: index, "step \(index + 1): confirm is \"none\", \"enter\" or \"type WORD\" (an upper-case word), got \"\(confirmText)\"")
            }
            if action == "manual", confirmation == .none {
                throw fail("confirm", step: index, "step \(index + 1): a manual step waits for the operator; give it confirm = \"enter\" or \"type WORD\"")
            }
            let hardGates = try names("hard-gates")
            let overridable = try names("overridable-gates")
            if let stray = overridable.first(where: { !hardGates.contains($0) }) {
                throw fail("overridable-gates", step: index, "step \(index + 1): '\(stray)' is not among this step's hard-gates; only a hard gate can be overridden")
            }
            var parsed = Runbook.Step(title: try string("title"), owner: try string("owner"), estimateSeconds: estimate, action: action,
                                      hardGates: hardGates, softGates: try names("soft-gates"), confirmation: confirmation,
                                      guidance: try string("guidance", required: false))
            parsed.overridable = overridable
            steps.append(parsed)
        }
        let digest = SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
        return Runbook(kind: kind, title: title, steps: steps, file: file, digest: digest)
    }
}

/// Why a runbook file cannot be used: the file, the line when known, the fix.
public struct RunbookError: Error, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int?
    public let message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { "\(file)\(line.map { ":\($0)" } ?? ""): \(message)" }
}
