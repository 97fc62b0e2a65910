import BuiltIn
import Foundation
@testable import Lab
@testable import PairEngine
import ProxmoxAPI
import TestSupport
import Testing

/// The failback runbook after a failover, run by the step engine against a running lab.
@Suite(.serialized) struct FailbackEngineTests {
    private func engine(_ kind: String, _ lab: RunningLab, _ journal: Journal) throws -> StepEngine {
        let builtIn = try #require(BuiltIn.runbook(kind))
        let runbook = try RunbookLoader.parse(builtIn.text, file: builtIn.path, kind: kind)
        let context = RunContext(config: lab.config, reads: try lab.transport(), writes: try lab.transport(), clock: lab.clock)
        let actions = kind == "failover" ? FailoverActions.all() : FailbackActions.all()
        return StepEngine(runbook: runbook, journal: journal, context: context, actions: actions, actor: "oncall", host: "test")
    }

    /// A lab after a completed failover and a day of backups on the secondary, the primary back.
    private func afterFailover() async throws -> (RunningLab, Journal) {
        let lab = try await RunningLab.start()
        let journal = try Journal(path: "\(lab.runtime.stateDir)/journal/journal.sqlite")
        _ = try await lab.ctl("node primary down")
        let failover = try await engine("failover", lab, journal).run(Decisions(confirmAll: true, ticket: "OPS-1"))
        guard case .finished = failover else { throw LabError("the failover did not finish: \(failover)") }
        _ = try await lab.ctl("advance 1d")
        _ = try await lab.ctl("node primary up")
        return (lab, journal)
    }

    private func names(_ lab: RunningLab, _ role: NodeRole) async -> Set<String> {
        await lab.runtime.inspect { Set($0.node(role).snapshots.map(\.name)) }
    }

    @Test func failbackRestoresTheDirectionWithEverySnapshotVerifiedAndNothingDeleted() async throws {
        let (lab, journal) = try await afterFailover()
        let failoverStart = try #require(RunState.runs(from: try journal.events()).first?.started)
        let primaryBefore = await names(lab, .primary), secondaryBefore = await names(lab, .secondary)
        let era = await lab.runtime.inspect { world in world.secondary.snapshots.filter { $0.time > failoverStart }.map(\.name) }
        #expect(!era.isEmpty && era.allSatisfy { !primaryBefore.contains($0) }, "failover-era snapshots only on the secondary")
        let primaryOnly = primaryBefore.subtracting(secondaryBefore)
        #expect(!primaryOnly.isEmpty, "the lab's primary holds snapshots the secondary missed before the outage")

        let outcome = try await engine("failback", lab, journal).run(Decisions(confirmAll: true))
        guard case .finished(let run) = outcome else { Issue.record("expected the failback to finish, got \(outcome)"); return }
        #expect(run.steps.map(\.status) == Array(repeating: .done, count: 5))
        // Each long task was journaled on its node, so a console could follow its log.
        #expect(run.steps[0].tasks.map(\.label) == ["reverse sync"] && run.steps[0].tasks.allSatisfy { $0.node == .pbs(.primary) })
        #expect(!run.steps[2].tasks.isEmpty && run.steps[2].tasks.allSatisfy { $0.label.hasPrefix("verify ") })
        #expect(run.steps[4].tasks.contains { $0.label.hasPrefix("forward sync ") && $0.node == .pbs(.secondary) }, "\(run.steps[4].tasks)")

        // Nothing deleted anywhere; the primary holds every failover-era snapshot, verified by this run.
        let primaryAfter = await names(lab, .primary), secondaryAfter = await names(lab, .secondary)
        #expect(primaryBefore.isSubset(of: primaryAfter) && secondaryBefore.isSubset(of: secondaryAfter))
        #expect(Set(era).isSubset(of: primaryAfter))
        let ours = VerifyPrimary.ours(run)
        let verified = await lab.runtime.inspect { world in
            world.primary.snapshots.filter { era.contains($0.name) }.allSatisfy { ($0.verification.map { ours.contains($0.upid) && $0.state == "ok" }) ?? false }
        }
        #expect(verified, "each failover-era snapshot verified on the primary by this run")
        // The primary-only snapshots are kept and reached the secondary: pull skips those older
        // than the secondary's newest in their group, so they went into the failback's namespace.
        #expect(primaryOnly.isSubset(of: primaryAfter))
        let namespace = PrimaryOnlyCopy.namespace(run)
        let (inRoot, inNamespace, jobsLeft) = await lab.runtime.inspect { world in
            (Set(world.secondary.snapshots.filter { $0.ns.isEmpty }.map(\.name)), Set(world.secondary.snapshots.filter { $0.ns == namespace }.map(\.name)),
             world.secondary.syncJobs.map(\.id))
        }
        #expect(primaryOnly.allSatisfy { inRoot.contains($0) || inNamespace.contains($0) }, "\(primaryOnly.subtracting(inRoot).subtracting(inNamespace))")
        #expect(!primaryOnly.intersection(inNamespace).isEmpty, "the lab's primary-only snapshot is older than the secondary's newest in its group")
        #expect(jobsLeft == [LabWorld.syncJobID], "the one-shot copy job is gone: \(jobsLeft)")
        #expect(run.steps[4].checks.contains { $0.name == "verify: every primary-only snapshot on the secondary too" && $0.passed })
        // The forward sync leaves the copies alone on its next runs.
        _ = try await lab.ctl("advance 3h")
        let kept = await lab.runtime.inspect { world in world.secondary.snapshots.filter { $0.ns == namespace }.count }
        #expect(kept == inNamespace.count)
        let (_, report) = try await lab.observe()
        #expect(report.drift?.missedBySync == 0, "the dashboard counts the copies as held: \(report.findings.map(\.message))")

        // The original direction: PVE on the primary, the reverse job and remote gone, the forward job scheduled.
        let shown = try await lab.ctl("show pve")
        #expect(shown.components(separatedBy: "-> primary").count == 3, "\(shown)")
        let (jobs, remotes, forward) = await lab.runtime.inspect { world in
            (world.primary.syncJobs.map(\.id), world.primary.remotes.map(\.config.name), world.secondary.syncJobs.first { $0.id == LabWorld.syncJobID })
        }
        #expect(!jobs.contains(ReverseSync.name) && !remotes.contains(ReverseSync.name))
        #expect(forward?.schedule == "hourly" && forward?.owner == LabWorld.backupToken)
        #expect(run.steps[4].applied.contains { $0.change == "run forward sync \(LabWorld.syncJobID)" && $0.result == "ok" })

        // The failover is undone: a second failback has nothing to start from.
        let again = try await engine("failback", lab, journal).run(Decisions(confirmAll: true))
        guard case .refused(_, 1, let reason) = again else { Issue.record("expected a refusal at step 1, got \(again)"); return }
        #expect(reason.hasPrefix("failover-done: the journal holds no finished failover that a failback has not undone yet"), "\(reason)")
        await lab.stop()
    }

    @Test func aForwardJobThatWouldRemoveTheCopiesMakesStepFiveWait() async throws {
        let (lab, journal) = try await afterFailover()
        let secondary = PBSClient(transport: try lab.transport(), endpoint: lab.config.secondary.endpoint, token: try #require(lab.config.secondary.operatorToken))
        try await secondary.updateSyncJob(LabWorld.syncJobID, set: [("remove-vanished", "true")])
        let waiting = try await engine("failback", lab, journal).run(Decisions(confirmAll: true))
        guard case .waiting(let run, 5, let reason) = waiting else { Issue.record("expected a wait at step 5, got \(waiting)"); return }
        #expect(reason.contains("remove-vanished on and reaches namespace \(PrimaryOnlyCopy.namespace(run))")
                    && reason.contains("sync-job update \(LabWorld.syncJobID) --max-depth 0"), "\(reason)")
        let namespaces = await lab.runtime.inspect { $0.secondary.namespaces }
        #expect(namespaces == [""], "nothing was copied where the next run would delete it")

        try await secondary.updateSyncJob(LabWorld.syncJobID, set: [("max-depth", "0")])
        let finished = try await engine("failback", lab, journal).run(Decisions(confirmAll: true))
        guard case .finished = finished else { Issue.record("expected the failback to finish, got \(finished)"); return }
        _ = try await lab.ctl("advance 3h")
        let copies = await lab.runtime.inspect { world in world.secondary.snapshots.filter { $0.ns == PrimaryOnlyCopy.namespace(run) }.count }
        #expect(copies > 0, "the copies survive the forward job's remove-vanished at max-depth 0")
        await lab.stop()
    }

    @Test func withoutTheReverseSyncTokenStepOneWaitsWithTheCommands() async throws {
        let (lab, journal) = try await afterFailover()
        var config = lab.config
        config.secondary.reverseSyncToken = nil
        let builtIn = try #require(BuiltIn.runbook("failback"))
        let runbook = try RunbookLoader.parse(builtIn.text, file: builtIn.path, kind: "failback")
        let context = RunContext(config: config, reads: try lab.transport(), writes: try lab.transport(), clock: lab.clock)
        let engine = StepEngine(runbook: runbook, journal: journal, context: context, actions: FailbackActions.all(), actor: "oncall", host: "test")
        let outcome = try await engine.run(Decisions(confirmAll: true))
        guard case .waiting(let run, 1, let reason) = outcome else { Issue.record("expected a wait at step 1, got \(outcome)"); return }
        #expect(reason.contains("proxmox-backup-manager user generate-token reverse@pbs primary-pull")
                    && reason.contains("acl update /datastore/mirror DatastoreReader"), "\(reason)")
        #expect(run.steps[0].writes.isEmpty, "nothing was created on the primary: \(run.steps[0].writes)")
        await lab.stop()
    }

    @Test func aFailingReverseSyncStopsEarlyAndTheRetargetRefusesUntilOverridden() async throws {
        let (lab, journal) = try await afterFailover()
        _ = try await lab.ctl("sync fail")
        let failing = try await engine("failback", lab, journal).run(Decisions(confirmAll: true))
        guard case .refused(_, let step, let reason) = failing else { Issue.record("expected a refusal, got \(failing)"); return }
        #expect(step <= 2 && reason.contains("the PVE targets stay on the secondary"), "\(reason)")
        #expect(try await lab.ctl("show pve").components(separatedBy: "-> secondary").count == 3)

        // Skipping the catch-up and the verify does not open the way back.
        let failback = try engine("failback", lab, journal)
        _ = try failback.skip(step: 2, reason: "drill: try the dangerous order")
        _ = try failback.skip(step: 3, reason: "drill: try the dangerous order")
        _ = try await lab.ctl("sync heal")
        let unverified = try await failback.run(Decisions(confirmAll: true))
        guard case .refused(_, 4, let notVerified) = unverified else { Issue.record("expected step 4 refused, got \(unverified)"); return }
        #expect(notVerified.hasPrefix("primary-verified: ") && notVerified.contains("--override primary-verified --reason"), "\(notVerified)")
        // Backups keep landing on the secondary meanwhile: the primary is behind again.
        _ = try await lab.ctl("advance 8h")
        let behind = try await failback.run(Decisions(confirmAll: true))
        guard case .refused(_, 4, let why) = behind else { Issue.record("expected step 4 refused, got \(behind)"); return }
        #expect(why.hasPrefix("caught-up: the primary lacks") && why.contains("--override caught-up --reason"), "\(why)")
        #expect(try await lab.ctl("show pve").components(separatedBy: "-> secondary").count == 3, "still on the secondary")

        // An override needs its reason, and is journaled and reported.
        let overrides = ["caught-up": "the secondary is on fire", "primary-verified": "the secondary is on fire"]
        let forced = try await failback.run(Decisions(confirmAll: true, overrides: overrides))
        guard case .finished = forced else { Issue.record("expected the overridden failback to finish, got \(forced)"); return }
        let steps = forced.run.steps
        #expect(steps[3].overrides == ["caught-up: the secondary is on fire", "primary-verified: the secondary is on fire"], "\(steps[3].overrides)")
        let report = RunReport.markdown(forced.run, now: Int64(lab.clock.now()))
        #expect(report.contains("caught-up: the secondary is on fire"), "\(report)")
        await lab.stop()
    }
}
