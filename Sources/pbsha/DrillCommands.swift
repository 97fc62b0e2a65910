import ArgumentParser
import PairEngine

/// `pbsha drill list`: the rehearsal scenarios pbsha ships.
struct DrillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drill", abstract: "Rehearsal scenarios for the lab (stage one with `pbsha lab serve --scenario NAME`).",
        subcommands: [List.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the built-in drill scenarios: name, runbook, RTO, title.")

        func run() throws {
            for scenario in try DrillScenarios.all() {
                Output.line("\(scenario.name.padding(toLength: 34, withPad: " ", startingAt: 0)) \(scenario.runbook.padding(toLength: 9, withPad: " ", startingAt: 0)) "
                            + "RTO \(Durations.format(scenario.rtoSeconds).padding(toLength: 5, withPad: " ", startingAt: 0)) \(scenario.title)")
            }
        }
    }
}

/// The built-in scenarios, read for a command: a broken one is a usage error naming it.
enum DrillScenarios {
    static func all() throws -> [Scenario] {
        do { return try ScenarioLoader.builtIn() } catch {
            Output.error("pbsha: \(error)")
            throw Exit.usage
        }
    }

    /// The scenario `name`; an unknown name lists the known ones.
    static func named(_ name: String) throws -> Scenario {
        let scenarios = try all()
        guard let scenario = scenarios.first(where: { $0.name == name }) else {
            Output.error("pbsha: no scenario '\(name)'; pbsha drill list shows them: \(scenarios.map(\.name).joined(separator: ", "))")
            throw Exit.usage
        }
        return scenario
    }
}
