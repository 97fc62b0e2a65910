import Foundation
@testable import PairEngine
import Testing

/// `drill-due` and `drill-stale`: when each runbook was last rehearsed, from the journal.
@Suite struct DrillRulesTests {
    let day: Int64 = 86_400
    let now: Int64 = 1_800_000_000

    private func runbook(_ kind: String, text: String = "v1") -> Runbook {
        Runbook(kind: kind, title: kind, steps: [], file: "/etc/pbsha/\(kind).toml", digest: text == "v1" ? String(repeating: "a", count: 64) : String(repeating: "b", count: 64))
    }

    private func drill(_ kind: String, finishedDaysAgo days: Int64, state: RunState.State = .done, digest: String = String(repeating: "a", count: 64),
                       scenario: String? = "1-primary-power-loss") -> RunState {
        var run = RunState(id: "\(kind)-\(days)", runbook: kind, startedBy: "alice", started: now - days * day - 600, finished: now - days * day,
                           state: state, drill: scenario, steps: [])
        run.runbookDigest = digest
        return run
    }

    @Test func neverDrilledIsInfoAndNamesTheCommand() {
        let findings = DrillRules.evaluate(runs: [], runbooks: [runbook("failover"), runbook("failback")], maxAgeSeconds: 180 * 86_400, now: now)
        #expect(findings.map(\.code) == ["drill-due", "drill-due"] && findings.allSatisfy { $0.severity == .info })
        #expect(findings[0].message.contains("the failback runbook was never rehearsed") && findings[0].message.contains("pbsha drill NAME --config FILE"))
    }

    @Test func aDrillOlderThanMaxAgeIsAWarningAndARecentOneIsNothing() {
        let runs = [drill("failover", finishedDaysAgo: 200), drill("failback", finishedDaysAgo: 10)]
        let findings = DrillRules.evaluate(runs: runs, runbooks: [runbook("failover"), runbook("failback")], maxAgeSeconds: 180 * 86_400, now: now)
        #expect(findings.count == 1 && findings[0].severity == .warning && findings[0].code == "drill-due", "\(findings)")
        #expect(findings[0].message.contains("failover runbook was last rehearsed 200d ago") && findings[0].message.contains("max-age 180d"))
    }

    @Test func onlyFinishedDrillsCountAndLiveRunsAreNotRehearsals() {
        let runs = [drill("failover", finishedDaysAgo: 1, state: .aborted), drill("failover", finishedDaysAgo: 1, scenario: nil)]
        let findings = DrillRules.evaluate(runs: runs, runbooks: [runbook("failover")], maxAgeSeconds: 180 * 86_400, now: now)
        #expect(findings.map(\.code) == ["drill-due"] && findings[0].severity == .info)
    }

    @Test func aRunbookChangedSinceItsLastDrillIsStale() {
        let findings = DrillRules.evaluate(runs: [drill("failover", finishedDaysAgo: 3)], runbooks: [runbook("failover", text: "v2")],
                                           maxAgeSeconds: 180 * 86_400, now: now)
        #expect(findings.map(\.code) == ["drill-stale"] && findings[0].severity == .info)
        #expect(findings[0].message.contains("(/etc/pbsha/failover.toml) changed since its last rehearsal"))
    }

    @Test func theDigestIsTheFilesText() throws {
        let text = "kind = \"failover\"\ntitle = \"t\"\n[[step]]\ntitle = \"a\"\nowner = \"o\"\nestimate = \"1m\"\naction = \"manual\"\nconfirm = \"enter\"\n"
        let first = try RunbookLoader.parse(text, file: "a.toml", kind: "failover")
        #expect(try RunbookLoader.parse(text, file: "b.toml", kind: "failover").digest == first.digest)
        #expect(try RunbookLoader.parse(text + "# reworded\n", file: "a.toml", kind: "failover").digest != first.digest)
    }
}
