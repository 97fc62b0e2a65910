import Foundation
@testable import PairEngine
import ProxmoxAPI
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

    /// A wallboard's reader: no journal yet is "never rehearsed" (and none is created); a
    /// journal that appears later is read, at most once a minute.
    @Test func theLedgerFindsALaterJournalAndReadsItAtMostOnceAMinute() throws {
        let path = NSTemporaryDirectory() + "pbsha-ledger-\(UUID().uuidString)/journal.sqlite"
        let ledger = RehearsalLedger(journalPath: path, runbooks: [runbook("failover")], maxAgeSeconds: 180 * 86_400)
        #expect(ledger.findings(now: now).map(\.code) == ["drill-due"])
        #expect(!FileManager.default.fileExists(atPath: path), "reading created no journal")
        let journal = try Journal(path: path)
        try journal.append([JournalEvent(run: "failover-1", kind: .runStarted, actor: "alice", host: "t", time: now,
                                         detail: ["runbook": "failover", "drill": "1-primary-power-loss", "digest": String(repeating: "a", count: 64)]),
                            JournalEvent(run: "failover-1", kind: .runFinished, actor: "alice", host: "t", time: now + 10, detail: ["state": "done"])], check: nil)
        #expect(ledger.findings(now: now + 30).map(\.code) == ["drill-due"], "read again only after a minute")
        #expect(ledger.findings(now: now + 61).isEmpty, "then the drill counts")
    }

    @Test func scorecardTimesAreToTheSecond() {
        #expect([40, 700, 3600, 3725, 7200, 90_061].map(Durations.exact) == ["40s", "11m40s", "1h", "1h02m05s", "2h", "25h01m01s"])
    }

    @Test func theDigestIsTheFilesText() throws {
        let text = "kind = \"failover\"\ntitle = \"t\"\n[[step]]\ntitle = \"a\"\nowner = \"o\"\nestimate = \"1m\"\naction = \"manual\"\nconfirm = \"enter\"\n"
        let first = try RunbookLoader.parse(text, file: "a.toml", kind: "failover")
        #expect(try RunbookLoader.parse(text, file: "b.toml", kind: "failover").digest == first.digest)
        #expect(try RunbookLoader.parse(text + "# reworded\n", file: "a.toml", kind: "failover").digest != first.digest)
    }

    /// A drill's config: every host, port, pin, token, shell and webhook is the lab's; the
    /// journal, runbook files, max-age and name are the pair's.
    @Test func aDrillConfigReachesOnlyTheLab() {
        func node(_ host: String, _ pin: String) -> NodeConfig {
            NodeConfig(host: host, port: 8007, fingerprint: Fingerprint(String(repeating: pin, count: 32))!,
                       token: APIToken(authID: "a@pbs!\(host)", secret: "secret-\(host)"), datastore: "main")
        }
        var pair = PairConfig(file: "/etc/pbsha/config.toml", name: "acme", rpoSeconds: 3600, verifyMaxAgeSeconds: 86_400, stateDir: "/var/lib/pbsha",
                              primary: node("pbs1.acme.example", "11"), secondary: node("pbs2.acme.example", "22"), syncJob: "s", remote: "r",
                              pve: [], notify: NotifyConfig(webhookURL: "https://chat.acme.example/hook", webhookFingerprint: nil))
        pair.runbookFiles = ["failover": "/etc/pbsha/failover.toml"]
        pair.drillMaxAgeSeconds = 90 * 86_400
        let lab = PairConfig(file: "/tmp/lab/pbsha.toml", name: "lab", rpoSeconds: 3600, verifyMaxAgeSeconds: 86_400, stateDir: "/tmp/lab/journal",
                             primary: node("127.0.0.1", "aa"), secondary: node("127.0.0.2", "bb"), syncJob: "s", remote: "r", pve: [],
                             notify: NotifyConfig(webhookURL: "https://127.0.0.1:9/hook", webhookFingerprint: nil))
        let merged = DrillConfig.merge(lab: lab, given: pair)
        #expect(merged.primary.host == "127.0.0.1" && merged.secondary.host == "127.0.0.2" && merged.notify?.webhookURL == lab.notify?.webhookURL)
        #expect(merged.primary.token.secret == "secret-127.0.0.1" && merged.primary.fingerprint == lab.primary.fingerprint)
        #expect(merged.stateDir == "/var/lib/pbsha" && merged.runbookFiles == pair.runbookFiles && merged.drillMaxAgeSeconds == 90 * 86_400 && merged.name == "acme")
        #expect(DrillConfig.merge(lab: lab, given: nil).stateDir == lab.stateDir)
    }
}
