import Foundation
@testable import PairEngine
import ProxmoxAPI
import Testing

/// The step engine on a runbook of checklist items: no servers involved, so what is tested is
/// the engine itself (waits, confirmations, skip, assignment, notes, resuming).
@Suite struct StepEngineTests {
    /// Any request is an error here: checklist steps never call out.
    struct Nowhere: HTTPTransport {
        func send(_ request: HTTPRequest, to endpoint: Endpoint) async throws(APIError) -> HTTPResponse {
            throw .connectionRefused(host: endpoint.host, port: endpoint.port, detail: "a checklist step called out")
        }
    }

    private func engine(_ journal: Journal, actor: String = "alice", drill: Scenario? = nil, clock: ManualClock = ManualClock(1_800_000_000)) throws -> StepEngine {
        let (runbook, context) = try checklist(clock)
        return StepEngine(runbook: runbook, journal: journal, context: context, actions: FailoverActions.all(), actor: actor, host: "t", drill: drill)
    }

    private func checklist(_ clock: ManualClock) throws -> (Runbook, RunContext) {
        let text = """
            kind = "failover"
            title = "Checklist"

            [[step]]
            title = "Call the vendor"
            owner = "ops lead"
            estimate = "10m"
            action = "manual"
            confirm = "enter"

            [[step]]
            title = "Tell the customers"
            owner = "comms"
            estimate = "5m"
            action = "manual"
            hard-gates = ["previous-steps-done"]
            confirm = "type TOLD"

            [[step]]
            title = "Write it down"
            owner = "on-call"
            estimate = "5m"
            action = "manual"
            hard-gates = ["previous-steps-done"]
            confirm = "enter"
            """
        let runbook = try RunbookLoader.parse(text, file: "checklist.toml", kind: "failover")
        let pin = Fingerprint(String(repeating: "00", count: 32))!
        let node = NodeConfig(host: "pbs", port: 8007, fingerprint: pin, token: APIToken(authID: "a@pbs!b", secret: "s"), datastore: "main")
        let config = PairConfig(file: "memory", name: "p", rpoSeconds: 3600, verifyMaxAgeSeconds: 86_400, stateDir: "/nonexistent",
                                primary: node, secondary: node, syncJob: "s", remote: "r", pve: [], notify: nil)
        return (runbook, RunContext(config: config, reads: Nowhere(), writes: Nowhere(), clock: clock))
    }

    /// The console asks `readIfUnchanged` every second: it must always equal a real read at
    /// the same time, while a step's time runs, after a write, and once the run ended.
    @Test func aReadingWithoutQueryingEqualsARealReadAtAnyTime() async throws {
        let journal = try Journal(path: NSTemporaryDirectory() + "pbsha-engine-\(UUID().uuidString)/journal.sqlite")
        let clock = ManualClock(1_800_000_000)
        let engine = try engine(journal, clock: clock)
        let (runbook, context) = try checklist(clock)
        let desk = RunbookDesk(runbooks: ["failover": runbook], journal: journal, context: context, actions: ["failover": FailoverActions.all()], actor: "bob")
        let fresh = RunbookDesk(runbooks: ["failover": runbook], journal: journal, context: context, actions: ["failover": FailoverActions.all()], actor: "bob")
        let t: Int64 = 1_800_000_000
        _ = try await engine.run(Decisions())
        #expect(desk.readIfUnchanged(now: t) == nil, "nothing read yet")
        let first = try desk.read(now: t)
        let running = try #require(desk.readIfUnchanged(now: t + 3))
        #expect(running == (try fresh.read(now: t + 3)) && running != first, "step 1's time runs")
        _ = try await engine.run(Decisions(manualDone: [1]))
        #expect(desk.readIfUnchanged(now: t + 4) == nil, "a write shows in the files")
        _ = try engine.skip(step: 2, reason: "told by phone")
        guard case .finished = try await engine.run(Decisions(typed: ["enter"])) else { Issue.record("the run did not finish"); return }
        let ended = try desk.read(now: t + 5)
        for later in [t + 6, t + 9] {
            #expect(desk.readIfUnchanged(now: later) == (try fresh.read(now: later)) && desk.readIfUnchanged(now: later) == ended)
        }
        #expect(desk.readIfUnchanged(now: t + 15) == nil, "ten seconds after the last real read: read again")
    }

    @Test func anAbortedRunNeedsAReasonIsReportedAndLetsTheNextOneStart() async throws {
        let journal = try Journal(path: NSTemporaryDirectory() + "pbsha-engine-\(UUID().uuidString)/journal.sqlite")
        let engine = try engine(journal)
        #expect(throws: JournalError("no active failover run")) { try engine.abort(reason: "nothing to abort") }
        guard case .waiting(let first, 1, _) = try await engine.run(Decisions()) else { Issue.record("no wait"); return }
        #expect(throws: JournalError("aborting a run needs a reason")) { try engine.abort(reason: "  ") }
        let aborted = try engine.abort(reason: "started by mistake during a drill")
        #expect(aborted.id == first.id && aborted.state == .aborted && aborted.abortReason == "started by mistake during a drill")
        #expect(RunReport.markdown(aborted, now: 1_800_000_000).contains("- state: aborted — started by mistake during a drill"))
        #expect(RunState.active(in: try journal.events(), drill: false) == nil)
        guard case .waiting(let second, 1, _) = try await engine.run(Decisions()) else { Issue.record("no new run"); return }
        #expect(second.id != first.id || second.started >= first.started)
        #expect(RunState.runs(from: try journal.events()).count == 2)
    }

    @Test func manualStepsWaitForAPersonEvenWithYesAndStepsCanBeSkippedAssignedAndAnnotated() async throws {
        let journal = try Journal(path: NSTemporaryDirectory() + "pbsha-engine-\(UUID().uuidString)/journal.sqlite")
        let engine = try engine(journal)
        guard case .waiting(_, 1, let reason) = try await engine.run(Decisions(confirmAll: true)) else { Issue.record("no wait"); return }
        #expect(reason == "the operator confirms: Call the vendor (Enter in the console, or --done 1)")

        let done = try await engine.run(Decisions(manualDone: [1]))
        guard case .waiting(let run, 2, let second) = done else { Issue.record("expected step 2 to wait, got \(done)"); return }
        #expect(run.steps[0].status == .done && second.hasSuffix("type TOLD"))

        // Step 2 is skipped with a reason; a skip without one is refused.
        #expect(throws: JournalError("skipping a step needs a reason")) { try engine.skip(step: 2, reason: " ") }
        _ = try engine.skip(step: 2, reason: "customers were told by phone")
        _ = try engine.assign(step: 3, to: "bob")
        _ = try engine.note(step: 3, "ticket OPS-7 has the timeline")
        #expect(throws: JournalError("step 1 is done; it cannot be skipped")) { try engine.skip(step: 1, reason: "x") }

        let last = try await engine.run(Decisions(typed: ["enter"]))
        guard case .finished(let finished) = last else { Issue.record("expected the run to finish, got \(last)"); return }
        #expect(finished.steps.map(\.status) == [.done, .skipped, .done])
        #expect(finished.steps[1].skippedReason == "customers were told by phone")
        #expect(finished.steps[2].assignee == "bob" && finished.steps[2].notes == ["ticket OPS-7 has the timeline"] && finished.steps[2].title == "Write it down")
        let report = RunReport.markdown(finished, now: 1_800_000_600)
        #expect(report.contains("- skipped: customers were told by phone") && report.contains("| 3 | Write it down | on-call | bob |"))

        // A second process (another journal connection) sees the same run.
        let other = try Journal(path: journal.path)
        #expect(RunState.runs(from: try other.events()) == [finished])
    }

    /// A drill shares the live journal but never its runs: an open rehearsal does not block a
    /// real failover (nor the reverse), and the drill is scored when it ends.
    @Test func aDrillRunsBesideALiveRunAndIsScoredWhenItEnds() async throws {
        let journal = try Journal(path: NSTemporaryDirectory() + "pbsha-engine-\(UUID().uuidString)/journal.sqlite")
        let clock = ManualClock(1_800_000_000)
        let scenario = Scenario(name: "9-checklist", title: "Checklist drill", runbook: "failover", story: "s", rtoSeconds: 900,
                                events: [], expect: .init(reachStep: 3, gatesHit: ["secondary-reachable"], gatesHeld: ["previous-steps-done"]))
        let drill = try engine(journal, drill: scenario, clock: clock)
        let live = try engine(journal, actor: "bob", clock: clock)
        guard case .waiting(let rehearsal, 1, _) = try await drill.run(Decisions()) else { Issue.record("the drill did not start"); return }
        guard case .waiting(let real, 1, _) = try await live.run(Decisions()) else { Issue.record("a live run was blocked by the drill"); return }
        #expect(rehearsal.drill == "9-checklist" && real.drill == nil && rehearsal.id != real.id)
        #expect(rehearsal.runbookDigest?.count == 64)

        clock.advance(by: 700)
        _ = try await drill.run(Decisions(manualDone: [1]))
        clock.advance(by: 400)
        guard case .finished(let done) = try await drill.run(Decisions(typed: ["TOLD", "enter"])) else { Issue.record("the drill did not finish"); return }
        let card = try #require(done.scorecard)
        #expect(card.steps.map(\.seconds) == [700, 400, 0] && card.steps[0].late == true && card.steps[1].late == true)
        #expect(card.totalSeconds == 1100 && card.rtoSeconds == 900 && !card.passed)
        #expect(card.shortfalls == ["gate secondary-reachable never refused or asked: the scenario's risk went unseen"])
        #expect(RunState.active(in: try journal.events(), drill: false)?.id == real.id, "the live run is still open")

        let markdown = RunReport.markdown(done, now: 1_800_002_000)
        #expect(markdown.contains("## Drill scorecard: Checklist drill") && markdown.contains("- total: 18m20s against an RTO of 15m — OVER")
                && markdown.contains("| 1 | Call the vendor | 11m40s (late) | 10m | done |") && markdown.contains("- verdict: FAIL"), "\(markdown)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(RunReport.json(done, now: 1_800_002_000).serialized().utf8)) as? [String: Any])
        let reported = try #require(json["drill"] as? [String: Any])
        let scored = try #require(reported["scorecard"] as? [String: Any])
        #expect(reported["scenario"] as? String == "9-checklist" && scored["passed"] as? Bool == false && scored["total-seconds"] as? Int == 1100)
    }
}
