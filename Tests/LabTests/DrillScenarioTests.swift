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
        ("[[event]]\nat = \"1m\"\nrun = \"failover\"", "event 2: run happens before the operator starts"),
        ("[[event]]\nat = \"0s\"\nrun = \"restore\"", "event 2: run names a runbook pbsha runs"),
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
        let card = try #require(run.scorecard, "a finished drill is scored")
        #expect(card.passed && card.steps.count == 5 && card.totalSeconds <= card.rtoSeconds, "\(card.markdown)")
        #expect(scenario.expect.gatesHit.allSatisfy { gate in card.gatesHit.contains { $0.contains(" \(gate) ") } }, "\(card.gatesHit)")
        if name == "7-primary-certificate-renewed" {
            // Once the primary is back, the findings name its new fingerprint and the remote's fix.
            _ = try await lab.ctl("node primary up")
            let renewed = try #require(await lab.runtime.fingerprints["primary"])
            let finding = try #require(try await lab.observe().1.findings.first { $0.code == "remote-fingerprint-stale" })
            #expect(finding.message.contains("remote update") && finding.message.contains("--fingerprint \(renewed)"), "\(finding.message)")
        }
    }

    private func runbooks() throws -> [String: Runbook] {
        var runbooks: [String: Runbook] = [:]
        for kind in ["failover", "failback"] {
            let builtIn = try #require(BuiltIn.runbook(kind))
            runbooks[kind] = try RunbookLoader.parse(builtIn.text, file: builtIn.path, kind: kind)
        }
        return runbooks
    }

    /// Scenario 5: the lab runs the failover of the story itself; the operator first tries to
    /// send the hosts back before the primary verified what it pulled (the hard gate refuses,
    /// the drill is aborted and scored so), then does it in order: the primary-only snapshots survive and reach the
    /// secondary, nothing is deleted, and the drill scores a pass.
    @Test func aFailbackDrillHoldsTheGateAndKeepsThePrimaryOnlySnapshots() async throws {
        let scenario = try #require(try ScenarioLoader.builtIn().first { $0.name == "5-failback-primary-only-snapshot" })
        let lab = try await RunningLab.start()
        defer { Task { await lab.stop() } }
        let journal = try Journal(path: "\(lab.runtime.stateDir)/journal/journal.sqlite")
        let runbooks = try runbooks()
        let staged = await lab.runtime.stage(scenario, runbooks: runbooks, journal: journal)
        guard case .success(let said) = staged else { Issue.record("scenario 5 did not stage: \(staged)"); return }
        #expect(said.contains("1d before: pbsha runs the failover"), "\(said)")
        let setup = try #require(RunState.runs(from: try journal.events()).first)
        #expect(setup.runbook == "failover" && setup.state == .done && setup.setup && setup.drill == scenario.name && setup.scorecard == nil)

        func names(_ role: NodeRole) async -> Set<String> { await lab.runtime.inspect { Set($0.node(role).snapshots.map(\.name)) } }
        let primaryBefore = await names(.primary), secondaryBefore = await names(.secondary)
        let primaryOnly = primaryBefore.subtracting(secondaryBefore)
        #expect(!primaryOnly.isEmpty, "the nightly backups after the sync broke are on the primary only")
        #expect(!secondaryBefore.subtracting(primaryBefore).isEmpty, "a day of failover-era backups is on the secondary only")

        let context = RunContext(config: lab.config, reads: try lab.transport(), writes: try lab.transport(), clock: lab.clock)
        let engine = StepEngine(runbook: try #require(runbooks["failback"]), journal: journal, context: context, actions: FailbackActions.all(),
                                actor: "drill", host: "test", drill: scenario)
        // The dangerous order: straight from the reverse sync to the retarget.
        guard case .waiting = try await engine.run(Decisions()) else { Issue.record("step 1 should ask first"); return }
        _ = try engine.skip(step: 2, reason: "the customer wants the primary back now")
        _ = try engine.skip(step: 3, reason: "verify later")
        let hurried = try await engine.run(Decisions(confirmAll: true))
        guard case .refused(_, 4, let reason) = hurried else { Issue.record("retarget before catch-up was not refused: \(hurried)"); return }
        // The reverse sync already pulled every failover-era snapshot; what is missing is the
        // primary's own verify of them.
        #expect(reason.contains("not verified on the primary by this run"), "\(reason)")
        #expect(await lab.runtime.inspect { $0.pve.allSatisfy { $0.storageCfg.contains("datastore mirror") } }, "the hosts still back up to the secondary")
        let aborted = try engine.abort(reason: "the gate held; again in the right order")
        let refusedCard = try #require(aborted.scorecard)
        #expect(!refusedCard.passed && refusedCard.mistakesPrevented.contains { $0.contains("while primary-verified did not hold: refused") }, "\(refusedCard.mistakesPrevented)")

        let outcome = try await engine.run(Decisions(confirmAll: true))
        guard case .finished(let run) = outcome else { Issue.record("the failback drill did not finish: \(outcome)"); return }
        let card = try #require(run.scorecard)
        #expect(card.passed && scenario.shortfalls(of: run).isEmpty, "\(card.markdown)")
        let primaryAfter = await names(.primary), secondaryAfter = await names(.secondary)
        #expect(primaryBefore.isSubset(of: primaryAfter) && secondaryBefore.isSubset(of: secondaryAfter), "nothing was deleted anywhere")
        #expect(primaryOnly.isSubset(of: primaryAfter), "the primary-only snapshots survived")
        let onSecondary = await lab.runtime.inspect { world in Set(world.secondary.snapshots.map(\.name)) }
        #expect(primaryOnly.isSubset(of: onSecondary), "and reached the secondary: \(primaryOnly.subtracting(onSecondary))")
        // The journal now knows the failback was rehearsed: no drill-due for it.
        let findings = DrillRules.evaluate(runs: RunState.runs(from: try journal.events()), runbooks: Array(runbooks.values), maxAgeSeconds: 180 * 86_400,
                                           now: Int64(lab.clock.now()))
        #expect(findings.map(\.message).filter { $0.contains("failback") }.isEmpty && findings.contains { $0.message.contains("failover runbook was never rehearsed") },
                "the story's failover is not a rehearsal: \(findings.map(\.message))")
    }
}
