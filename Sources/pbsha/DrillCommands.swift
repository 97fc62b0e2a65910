import ArgumentParser
import Console
import Foundation
import PairEngine

/// `pbsha drill`: rehearsals on the lab, scored.
struct DrillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drill", abstract: "Rehearse a runbook on the lab: pbsha drill list, pbsha drill SCENARIO [--speed X] [--config FILE].",
        subcommands: [List.self, Start.self], defaultSubcommand: Start.self)

    /// `pbsha drill list`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the built-in drill scenarios: name, runbook, RTO, title.")

        func run() throws {
            for scenario in try DrillScenarios.all() {
                Output.line("\(scenario.name.padding(toLength: 34, withPad: " ", startingAt: 0)) \(scenario.runbook.padding(toLength: 9, withPad: " ", startingAt: 0)) "
                            + "RTO \(Durations.format(scenario.rtoSeconds).padding(toLength: 5, withPad: " ", startingAt: 0)) \(scenario.title)")
            }
        }
    }

    /// `pbsha drill SCENARIO`: a lab with the scenario's story, and the console in DRILL mode
    /// acting on that lab only, journaling into the given config's journal.
    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "start", abstract: "Run a scenario on a new lab with the console in DRILL mode (the default: pbsha drill SCENARIO).")

        @Argument(help: "The scenario (pbsha drill list names them).")
        var scenario: String

        @Option(name: .long, help: "How fast the lab's clock runs (1 = real time): the story's later events and the lab's tasks come sooner.")
        var speed: Double = 1

        /// `--config`: the pair whose runbooks are rehearsed and whose journal remembers the
        /// drill (default: the usual search; none found: the lab's own). The same options as
        /// the root command's, so that ArgumentParser hands `--config` to this command too.
        @OptionGroup var source: PairSource

        @Option(name: .long, help: "Who runs the drill, for the journal (default: $USER).")
        var `operator`: String?

        @OptionGroup var screen: ScreenOptions

        func validate() throws {
            guard speed > 0, speed <= 10_000 else { throw ValidationError("--speed must be above 0 and at most 10000, got \(speed)") }
            if source.lab { throw ValidationError("a drill always runs on a lab of its own; --lab does not apply (give --config FILE for the pair's journal and runbooks)") }
        }

        func run() async throws {
            let scenario = try DrillScenarios.named(self.scenario)
            let given = try DrillSession.givenConfig(source.config)
            let environment = ProcessInfo.processInfo.environment
            guard isatty(0) == 1, isatty(1) == 1, environment["TERM"] != "dumb" else {
                Output.error("pbsha: a drill needs an interactive terminal (the console runs it); TERM=\(environment["TERM"] ?? "(unset)")")
                throw Exit.usage
            }
            let drill = try await DrillSession.open(scenario, given: given, speed: speed)
            Output.line(drill.briefing)
            Output.line("\nPress Enter to start the clock (q and Enter to leave).")
            if readLine()?.trimmingCharacters(in: .whitespaces) == "q" {
                await drill.close()
                return
            }
            let session = drill.session
            let reader = session.reader(readOnly: false, patience: 2)
            let state = ConsoleState(mode: .drill, pairName: scenario.name, rpoSeconds: session.config.rpoSeconds,
                                     width: 80, height: 24, now: Date().timeIntervalSince1970, refreshInterval: screen.refresh, ascii: screen.ascii)
            let desk = try Runbooks.desk(session, actor: `operator`, drill: scenario)
            let outcome = await ConsoleRuntime.run(state, reader: reader, desk: desk)
            Output.line(drill.finish(desk))
            await drill.close()
            if case .noTerminal(let message) = outcome {
                Output.error("pbsha: \(message)")
                throw Exit.usage
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
