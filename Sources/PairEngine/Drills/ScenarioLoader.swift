import Foundation
import BuiltIn
import TOMLKit

/// Reads a drill scenario and refuses what could not be rehearsed: an unknown runbook or
/// gate, a lab command pbsha's lab does not know, a bad duration, events out of order.
public enum ScenarioLoader {
    /// The `pbsha lab ctl` verbs a scenario may use.
    static let labVerbs: Set = ["node", "sync", "corrupt", "backup", "advance", "acl", "owner", "firewall", "cert", "pve"]
    static let keys = ["title", "runbook", "story", "rto", "event", "expect"]

    public static func parse(_ text: String, name: String, file: String) throws(RunbookError) -> Scenario {
        let root: TOMLTable
        do { root = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw RunbookError(file: file, line: error.source.begin.line, message: "not valid TOML: \(error.description)")
        } catch {
            throw RunbookError(file: file, line: nil, message: "not valid TOML: \(error)")
        }
        func fail(_ message: String) -> RunbookError { RunbookError(file: file, line: nil, message: message) }
        for key in root.keys where !keys.contains(key) {
            throw fail("unknown key '\(key)'; a scenario has \(keys.joined(separator: ", "))")
        }
        func string(_ table: TOMLTable, _ key: String, in place: String = "") throws(RunbookError) -> String {
            guard let value = table[key]?.string, !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw fail("\(place)'\(key)' must be a non-empty string")
            }
            return value
        }
        func strings(_ table: TOMLTable, _ key: String, in place: String = "") throws(RunbookError) -> [String] {
            guard let value = table[key] else { return [] }
            guard let array = value.array, case let names = array.compactMap(\.string), names.count == array.count else {
                throw fail("\(place)'\(key)' must be a list of strings")
            }
            return names
        }
        func duration(_ text: String, _ key: String) throws(RunbookError) -> Int {
            let negative = text.hasPrefix("-")
            do { return (negative ? -1 : 1) * (try Durations.parse(String(text.dropFirst(negative ? 1 : 0)))) } catch {
                throw fail("\(key) '\(text)' is not a duration like 90m, 3d or -2h")
            }
        }
        let runbook = try string(root, "runbook")
        guard RunbookCatalog.actions[runbook] != nil else {
            throw fail("runbook '\(runbook)' is not one pbsha runs; use \(RunbookCatalog.actions.keys.sorted().joined(separator: " or "))")
        }
        var events: [Scenario.Event] = []
        for (index, element) in (root["event"]?.array.map(Array.init) ?? []).enumerated() {
            let place = "event \(index + 1): "
            guard let table = element.table else { throw fail("\(place)not a table") }
            for key in table.keys where !["at", "lab", "run"].contains(key) { throw fail("\(place)unknown key '\(key)'; an event has at and lab (or run)") }
            let at = try duration(try string(table, "at", in: place), "\(place)at")
            if table["run"] != nil {
                let kind = try string(table, "run", in: place)
                guard RunbookCatalog.actions[kind] != nil, table["lab"] == nil else {
                    throw fail("\(place)run names a runbook pbsha runs for the operator (\(RunbookCatalog.actions.keys.sorted().joined(separator: " or "))), without lab")
                }
                guard at <= 0 else { throw fail("\(place)run happens before the operator starts: give it an at of 0 or less") }
                if let last = events.last, at < last.at { throw fail("\(place)at \(at) s comes before the event above it; list events in time order") }
                events.append(Scenario.Event(at: at, lab: [], run: kind))
                continue
            }
            let words = try string(table, "lab", in: place).split(separator: " ").map(String.init)
            guard let verb = words.first, labVerbs.contains(verb) else {
                throw fail("\(place)'\(words.joined(separator: " "))' is not a lab command; they begin with \(labVerbs.sorted().joined(separator: ", ")) (docs/lab.md)")
            }
            if let last = events.last, at < last.at { throw fail("\(place)at \(at) s comes before the event above it; list events in time order") }
            events.append(Scenario.Event(at: at, lab: words))
        }
        guard !events.isEmpty else { throw fail("no [[event]] tables; a scenario needs at least one lab event") }
        guard let expect = root["expect"]?.table else { throw fail("no [expect] table; say what a good run reaches (reach-step, gates-hit, gates-held)") }
        for key in expect.keys where !["reach-step", "gates-hit", "gates-held"].contains(key) {
            throw fail("expect: unknown key '\(key)'; [expect] has reach-step, gates-hit and gates-held")
        }
        guard let reach = expect["reach-step"]?.int, reach >= 1 else { throw fail("expect: 'reach-step' must be a step number from 1") }
        let hit = try strings(expect, "gates-hit", in: "expect: "), held = try strings(expect, "gates-held", in: "expect: ")
        for gate in hit + held where RunbookCatalog.gates[gate] == nil {
            throw fail("expect: unknown gate '\(gate)'; known gates: \(RunbookCatalog.gates.keys.sorted().joined(separator: ", "))")
        }
        let rto = try duration(try string(root, "rto"), "rto")
        guard rto > 0 else { throw fail("rto must be a positive duration like 45m") }
        return Scenario(name: name, title: try string(root, "title"), runbook: runbook, story: try string(root, "story"), rtoSeconds: rto,
                        events: events, expect: Scenario.Expectation(reachStep: reach, gatesHit: hit, gatesHeld: held))
    }

    /// The built-in scenarios, by name.
    public static func builtIn() throws(RunbookError) -> [Scenario] {
        var scenarios: [Scenario] = []
        for file in BuiltIn.scenarios() { scenarios.append(try parse(file.text, name: file.name, file: file.path)) }
        return scenarios
    }
}
