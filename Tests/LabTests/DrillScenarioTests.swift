import BuiltIn
import Foundation
@testable import Lab
@testable import PairEngine
import ProxmoxAPI
import TestSupport
import Testing

/// The built-in drill scenarios: each parses, stages on a lab, and a failover driven through
/// the engine meets what the scenario says a good run looks like.
@Suite(.serialized) struct DrillScenarioTests {
    static let failovers = ["1-primary-power-loss", "2-silent-sync-failure", "3-corrupt-chunk", "4-firewall-forgot-secondary",
                            "6-ownership-mismatch", "7-primary-certificate-renewed"]

    @Test func everyBuiltInScenarioParsesAndThereAreSeven() throws {
        let scenarios = try ScenarioLoader.builtIn()
        #expect(scenarios.count == 7)
        #expect(Set(scenarios.map(\.runbook)) == ["failover", "failback"])
        #expect(scenarios.allSatisfy { !$0.story.isEmpty && $0.rtoSeconds > 0 && !$0.events.isEmpty })
    }

    @Test(arguments: [
        ("title = 1", "'title' must be a non-empty string"),
        ("runbook = \"restore\"", "runbook 'restore' is not one pbsha runs"),
        ("[[event]]\nat = \"0s\"\nlab = \"rm -rf /\"", "event 2: 'rm -rf /' is not a lab command"),
        ("[[event]]\nat = \"-1h\"\nlab = \"sync fail\"", "event 2: at -3600 s comes before the event above it"),
        ("[[event]]\nat = \"soon\"\nlab = \"sync fail\"", "event 2: at 'soon' is not a duration"),
        ("colour = \"red\"", "unknown key 'colour'"),
    ])
    func aBrokenScenarioSaysWhatIsWrong(change: String, message: String) throws {
        var lines = ["title = \"t\"", "runbook = \"failover\"", "rto = \"30m\"", "story = \"s\"",
                     "[[event]]", "at = \"0s\"", "lab = \"node primary down\"", "[expect]", "reach-step = 5"]
        if change.hasPrefix("title") { lines[0] = change } else if change.hasPrefix("runbook") { lines[1] = change } else if change.hasPrefix("colour") {
            lines.insert(change, at: 0)
        } else {
            lines.insert(change, at: 7)
        }
        #expect(throws: RunbookError.self) { try ScenarioLoader.parse(lines.joined(separator: "\n"), name: "x", file: "x.toml") }
        do { _ = try ScenarioLoader.parse(lines.joined(separator: "\n"), name: "x", file: "x.toml") } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test(arguments: failovers)
    func aFailoverMeetsTheScenario(name: String) async throws {
        let scenario = try #require(try ScenarioLoader.builtIn().first { $0.name == name })
        let lab = try await RunningLab.start()
        defer { Task { await lab.stop() } }
        guard case .success = await lab.runtime.stage(scenario) else { Issue.record("\(name) did not stage"); return }
        let journal = try Journal(path: "\(lab.runtime.stateDir)/journal/journal.sqlite")
        let builtIn = try #require(BuiltIn.runbook("failover"))
        let runbook = try RunbookLoader.parse(builtIn.text, file: builtIn.path, kind: "failover")
        let context = RunContext(config: lab.config, reads: try lab.transport(), writes: try lab.transport(), clock: lab.clock)
        let engine = StepEngine(runbook: runbook, journal: journal, context: context, actions: FailoverActions.all(), actor: "drill", host: "test", drill: scenario)

        var outcome = try await engine.run(Decisions(confirmAll: true, ticket: "DRILL-1"))
        if case .finished = outcome {} else if scenario.events.contains(where: { $0.at > 0 }) {
            // The scenario's fix comes later in the story (the firewall opens at 20m).
            #expect(name == "4-firewall-forgot-secondary", "\(name) stopped: \(outcome)")
            _ = try await lab.ctl("advance 21m")
            await lab.runtime.runScheduledEvents()
            outcome = try await engine.run(Decisions(confirmAll: true, ticket: "DRILL-1"))
        }
        guard case .finished(let run) = outcome else { Issue.record("\(name): the failover did not finish: \(outcome)"); return }
        #expect(run.drill == name)
        #expect(scenario.shortfalls(of: run) == [], "\(name)")
        if name == "7-primary-certificate-renewed" {
            // Once the primary is back, the findings name its new fingerprint and the remote's fix.
            _ = try await lab.ctl("node primary up")
            let renewed = try #require(await lab.runtime.fingerprints["primary"])
            let finding = try #require(try await lab.observe().1.findings.first { $0.code == "remote-fingerprint-stale" })
            #expect(finding.message.contains("remote update") && finding.message.contains("--fingerprint \(renewed)"), "\(finding.message)")
        }
    }
}
