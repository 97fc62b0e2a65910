import Foundation
import Lab
import PairEngine
import ProxmoxAPI
import Testing

/// The whole observation path against a running lab: faults in, findings out.
@Suite(.serialized) struct LabPairTests {
    @Test func aFreshLabShowsAHealthyPairWithHistory() async throws {
        let lab = try await RunningLab.start()
        let (state, report) = try await lab.observe()
        #expect(state.primary.reachable && state.secondary.reachable)
        #expect((state.primary.status?.counts?.snapshots ?? 0) > 600)
        #expect(state.primary.status?.counts?.groups == 8)
        #expect((state.secondary.syncTasks?.count ?? 0) > 50)
        #expect(report.overall == .ok, "\(report.findings)")
        #expect(report.sync.ageSeconds.map { $0 < 3600 } == true)
        #expect(report.verify.snapshotsFailed == 0)
        #expect((report.verify.snapshotsOK ?? 0) > 500)
        // pve-b backed up at 06:15; those wait for the 07:00 sync, nothing older is missing.
        #expect(report.drift?.missedBySync == 0)
        #expect(report.drift?.missingOnSecondary == 4)
        #expect(report.targets == [.primary, .primary])
        await lab.stop()
    }

    @Test func aDownPrimaryIsReportedWhileTheSecondaryStillIs() async throws {
        let lab = try await RunningLab.start()
        _ = try await lab.ctl("node primary down")
        let (state, report) = try await lab.observe()
        #expect(!state.primary.reachable)
        #expect(state.secondary.reachable)
        #expect(report.findings.first?.code == "node-unreachable")
        #expect(report.sync.status != .unknown)
        // Syncs that run while the primary is down fail with a connection error.
        _ = try await lab.ctl("advance 2h")
        let (_, later) = try await lab.observe()
        #expect(later.sync.consecutiveFailures == 2)
        #expect(later.sync.lastError?.contains("Connection refused") == true)
        await lab.stop()
    }

    @Test func failingSyncTurnsCriticalAndHealRecovers() async throws {
        let lab = try await RunningLab.start()
        _ = try await lab.ctl("sync fail")
        _ = try await lab.ctl("advance 1h")
        #expect(try await lab.observe().1.overall == .warning)
        _ = try await lab.ctl("advance 2h")
        let (_, report) = try await lab.observe()
        #expect(report.overall == .critical)
        #expect(report.sync.consecutiveFailures == 3)
        #expect(report.findings.contains { $0.code == "sync-failing" && $0.severity == .critical })
        #expect(CheckLine.render(report, config: lab.config).hasPrefix("PBSHA CRITICAL - sync-failing"))
        _ = try await lab.ctl("sync heal")
        _ = try await lab.ctl("advance 1h")
        let (_, healed) = try await lab.observe()
        #expect(healed.sync.consecutiveFailures == 0)
        #expect(healed.sync.ageSeconds.map { $0 < 3600 } == true)
        await lab.stop()
    }

    @Test func warningsCountAsFailuresAndTheHistoryHasSome() async throws {
        let lab = try await RunningLab.start()
        let history = try await lab.observe().0.secondary.syncTasks ?? []
        #expect(history.contains { $0.status == "WARNINGS: 1" })
        _ = try await lab.ctl("sync warn")
        _ = try await lab.ctl("advance 1h")
        let (state, report) = try await lab.observe()
        #expect(state.secondary.syncTasks?.first?.status == "WARNINGS: 1")
        #expect(report.sync.lastRunState == .warning)
        #expect(report.sync.consecutiveFailures == 1)
        await lab.stop()
    }

    @Test func corruptedSnapshotsFailTheNextVerify() async throws {
        let lab = try await RunningLab.start()
        let message = try await lab.ctl("corrupt secondary 2")
        #expect(message.contains("corrupted 2"))
        _ = try await lab.ctl("advance 1d")
        let (_, report) = try await lab.observe()
        #expect(report.verify.snapshotsFailed == 2)
        #expect(report.findings.contains { $0.code == "verify-failed" && $0.severity == .critical })
        await lab.stop()
    }

    @Test func backupsLandAndWaitForTheNextSync() async throws {
        let lab = try await RunningLab.start()
        let before = try await lab.observe().1.drift?.missingOnSecondary ?? 0
        let message = try await lab.ctl("backup now")
        #expect(message.contains("8 new snapshot"))
        lab.clock.advance(by: 600)
        let (_, report) = try await lab.observe()
        #expect(report.drift?.missingOnSecondary == before + 8)
        #expect(report.findings.contains { $0.code == "drift-pending" })
        await lab.stop()
    }

    @Test func stateSurvivesARestart() async throws {
        let lab = try await RunningLab.start()
        _ = try await lab.ctl("sync fail")
        let before = try await lab.observe().0.primary.status?.counts?.snapshots
        await lab.runtime.shutdown()
        let again = try await LabRuntime.start(stateDir: lab.runtime.stateDir, clock: lab.clock)
        let config = try ConfigLoader.load(path: again.configPath)
        #expect(config.primary.fingerprint == lab.config.primary.fingerprint)
        let state = await PairObserver(config: config, transport: try lab.transport(), clock: lab.clock).observe()
        #expect(state.primary.status?.counts?.snapshots == before)
        let reply = try await LabControl.send(["status"], stateDir: again.stateDir)
        #expect(reply.message.contains("sync failing (injected)"))
        await again.shutdown()
        try? FileManager.default.removeItem(atPath: again.stateDir)
    }

    @Test func unknownControlCommandsAreExplained() async throws {
        let lab = try await RunningLab.start()
        let reply = try await LabControl.send(["node", "tertiary", "down"], stateDir: lab.runtime.stateDir)
        #expect(!reply.ok)
        #expect(reply.message.contains("use primary, secondary"))
        let advance = try await LabControl.send(["advance", "soon"], stateDir: lab.runtime.stateDir)
        #expect(!advance.ok && advance.message.contains("not a duration"))
        await lab.stop()
    }
}
