import BuiltIn
import Foundation
@testable import Lab
@testable import PairEngine
import ProxmoxAPI
import TestSupport
import Testing

/// The failover runbook run by the step engine against a running lab, end to end.
@Suite(.serialized) struct FailoverEngineTests {
    private func engine(_ lab: RunningLab, config: PairConfig? = nil, operator name: String = "oncall") throws -> (StepEngine, Journal) {
        let config = config ?? lab.config
        let journal = try Journal(path: "\(lab.runtime.stateDir)/journal/journal.sqlite")
        let builtIn = try #require(BuiltIn.runbook("failover"))
        let runbook = try RunbookLoader.parse(builtIn.text, file: builtIn.path, kind: "failover")
        let context = RunContext(config: config, reads: try lab.transport(), writes: try lab.transport(), clock: lab.clock)
        return (StepEngine(runbook: runbook, journal: journal, context: context, actions: FailoverActions.all(), actor: name, host: "test"), journal)
    }

    @Test func failoverWithThePrimaryDownMovesEveryTargetAndTheNextBackupLandsOnTheSecondary() async throws {
        let lab = try await RunningLab.start()
        _ = try await lab.ctl("node primary down")
        let (engine, journal) = try engine(lab)

        // Without --yes it stops at the first soft gates (the primary cannot be read).
        let first = try await engine.run(Decisions())
        guard case .waiting(_, 1, let reason) = first else { Issue.record("expected a wait at step 1, got \(first)"); return }
        #expect(reason.hasPrefix("acknowledge: ") && reason.contains("nothing-missed"))

        let outcome = try await engine.run(Decisions(confirmAll: true, ticket: "OPS-1"))
        guard case .finished(let run) = outcome else { Issue.record("expected the run to finish, got \(outcome)"); return }
        #expect(run.steps.map(\.status) == Array(repeating: .done, count: 5))
        #expect(run.steps.allSatisfy { $0.assignee == "oncall" && $0.started != nil && $0.finished != nil })

        // The forward sync is paused, its schedule journaled; the groups belong to PVE's token.
        let paused = try #require(run.steps[0].planned.first { $0.change == "pause sync job \(LabWorld.syncJobID)" })
        #expect(paused.target == "secondary")
        let scheduleJournaled = try journal.events(run: run.id).contains { $0.kind == .changePlanned && $0.detail["schedule"] == "hourly" }
        #expect(scheduleJournaled)
        let job = await lab.runtime.inspect { $0.secondary.syncJobs[0] }
        #expect(job.schedule == nil && job.owner == LabWorld.backupToken)
        #expect(await lab.runtime.inspect { $0.secondary.snapshots.allSatisfy { $0.owner == LabWorld.backupToken } })

        // Both targets point at the secondary; the test backups landed and verified.
        let shown = try await lab.ctl("show pve")
        #expect(shown.components(separatedBy: "-> secondary").count == 3, "\(shown)")
        #expect(run.steps[2].applied.count == 2 && run.steps[2].applied.allSatisfy { $0.result == "ok" })
        #expect(run.steps[4].applied.contains { $0.change == "recovery ticket OPS-1" })
        try await expectTheTestsTasksCanBeFollowed(run, journal, lab)
        // Every API write is journaled, and nothing secret reached the journal.
        let secret = try #require(lab.config.secondary.pveToken?.secret)
        let events = try journal.events()
        #expect(!events.contains { "\($0.detail)".contains(secret) })
        #expect(events.contains { $0.kind == .apiWrite && $0.detail["path"] == "/api2/json/storage/backup-primary" && $0.detail["parameters"] == "password=(secret removed)" })
        #expect(events.filter { $0.kind == .apiWrite && $0.detail["path"]?.hasSuffix("/change-owner") == true }.count == 8)

        // The next scheduled backup lands on the secondary, and the secondary's verify job checks it.
        let before = await lab.runtime.inspect { $0.secondary.tasks.filter { $0.parsed.workerType == "backup" }.count }
        _ = try await lab.ctl("advance 1d")
        let landed = await lab.runtime.inspect { world in world.secondary.tasks.filter { $0.parsed.workerType == "backup" }.count }
        #expect(landed > before + 8)
        let verified = await lab.runtime.inspect { world in
            world.secondary.snapshots.filter { $0.owner == LabWorld.backupToken && $0.time > Int64(lab.clock.now()) - 86_400 && $0.verification?.state == "ok" }.count
        }
        #expect(verified > 0)
        // A second invocation finds nothing active and starts nothing twice.
        #expect(RunState.active(in: try journal.events(), drill: false) == nil)
        await lab.stop()
    }

    /// Step 3 journals each task it starts as it starts it (a console follows its log), and
    /// the desk reads those logs from the node each ran on.
    private func expectTheTestsTasksCanBeFollowed(_ run: RunState, _ journal: Journal, _ lab: RunningLab) async throws {
        let tasks = run.steps[2].tasks
        #expect(tasks.filter { if case .pve = $0.node { true } else { false } }.count == 2, "\(tasks)")
        #expect(tasks.filter { $0.node == .pbs(.secondary) }.count == 2, "\(tasks)")
        let events = try journal.events(run: run.id).filter { $0.step == 3 }
        let firstTask = try #require(events.firstIndex { $0.kind == .taskStarted })
        let firstResult = try #require(events.firstIndex { $0.kind == .changeApplied })
        #expect(firstTask < firstResult, "a task is journaled when it starts, before its change's result")
        #expect(RunReport.markdown(run, now: run.finished ?? 0).contains("- task: verify of the test snapshot UPID:"), "the report lists the tasks")

        let builtIn = try #require(BuiltIn.runbook("failover"))
        let desk = RunbookDesk(runbooks: ["failover": try RunbookLoader.parse(builtIn.text, file: builtIn.path, kind: "failover")], journal: journal,
                               context: RunContext(config: lab.config, reads: try lab.transport(), writes: try lab.transport(), clock: lab.clock),
                               actions: ["failover": FailoverActions.all()], actor: "oncall")
        let backup = try #require(tasks.first)
        let whole = try await desk.taskLog(backup, from: 1)
        #expect(!whole.active && whole.lines.contains { $0.contains("TASK OK") }, "\(whole.lines)")
        let rest = try await desk.taskLog(backup, from: 2)
        #expect(rest.lines == Array(whole.lines.dropFirst()), "PVE's log is paged by line number here too")
        let verify = try #require(tasks.last)
        let verifyLog = try await desk.taskLog(verify, from: 1)
        #expect(verifyLog.lines.contains { $0.contains("TASK OK") }, "\(verifyLog.lines)")
        #expect(try desk.read(now: Int64(lab.clock.now())).boards["failover"]?.detail.task == nil, "the shown step (the last, done) started no task")
    }

    /// pve-b's scheduled job (every four hours at :15) starts during step 3: its snapshots,
    /// newer than the test's and not verified yet, must not hide the verified test snapshot.
    /// (At -200 s the scheduled backup of guest 110 starts just after the test's.)
    @Test(arguments: [-200.0, -150.0, 0.0])
    func aScheduledBackupDuringTheTestDoesNotHideIt(offset: Double) async throws {
        let lab = try await RunningLab.start(at: RunningLab.usualStart + 4 * 3600 - 5 * 60 + offset)
        _ = try await lab.ctl("node primary down")
        let (engine, _) = try engine(lab)
        let outcome = try await engine.run(Decisions(confirmAll: true, ticket: "OPS-3"))
        guard case .finished(let run) = outcome else { Issue.record("expected the run to finish, got \(outcome)"); return }
        #expect(run.steps[2].applied.count == 2 && run.steps[2].applied.allSatisfy { $0.result == "ok" })
        let scheduled = await lab.runtime.inspect { world in
            world.secondary.snapshots.filter { $0.id == "110" && $0.verification == nil }.count
        }
        #expect(scheduled > 0, "pve-b's scheduled backup of 110 should have landed unverified during the run")
        await lab.stop()
    }

    @Test func switchStorageMovesTheBackupJobsAndDisablesTheDeadEntry() async throws {
        let lab = try await RunningLab.start()
        _ = try await lab.ctl("node primary down")
        var config = lab.config
        for index in config.pve.indices {
            config.pve[index].method = .switchStorage
            config.pve[index].failoverStorage = "backup-secondary"
            config.pve[index].remoteShell = nil
        }
        let (engine, _) = try engine(lab, config: config)
        let outcome = try await engine.run(Decisions(confirmAll: true, ticket: "OPS-2"))
        guard case .finished(let run) = outcome else { Issue.record("expected the run to finish, got \(outcome)"); return }
        #expect(run.steps[1].applied.filter { $0.change.hasPrefix("move backup job") }.count == 2)
        let hosts = await lab.runtime.inspect { $0.pve }
        #expect(hosts.allSatisfy { $0.jobs.allSatisfy { $0.config.storage == "backup-secondary" } })
        #expect(hosts.allSatisfy { $0.storage("backup-primary")?.disable == 1 && $0.storageCfg.contains("pbs: backup-primary\n\tdisable\n") })
        let before = await lab.runtime.inspect { $0.secondary.tasks.filter { $0.parsed.workerType == "backup" }.count }
        _ = try await lab.ctl("advance 5h")
        #expect(await lab.runtime.inspect { $0.secondary.tasks.filter { $0.parsed.workerType == "backup" }.count } > before + 4)
        await lab.stop()
    }

    @Test func theReadinessGatesNameWhatTheSecondaryMissedByGroup() async throws {
        let lab = try await RunningLab.start()
        _ = try await lab.ctl("sync fail")
        _ = try await lab.ctl("backup now")
        _ = try await lab.ctl("advance 2h")
        let builtIn = try #require(BuiltIn.runbook("failover"))
        let runbook = try RunbookLoader.parse(builtIn.text, file: builtIn.path, kind: "failover")
        let context = RunContext(config: lab.config, reads: try lab.transport(), writes: try lab.transport(), clock: lab.clock)
        let gates = await GateEvaluator(context: context, runbook: runbook).evaluate(runbook.steps[0], number: 1, run: nil)
        let missed = try #require(gates.first { $0.name == "nothing-missed" })
        #expect(!missed.passed && !missed.hard && missed.message.contains("vm/100 ") && missed.message.contains("ct/200 "), "\(missed.message)")
        #expect(gates.first { $0.name == "sync-not-failing" }?.passed == false)
        #expect(gates.filter { $0.hard }.allSatisfy { $0.passed })
        await lab.stop()
    }

    @Test func anEncryptingTargetWhoseFailoverEntryHasNoKeyNeedsAnAcknowledgment() async throws {
        let lab = try await RunningLab.start()
        // An admin edits pve-a's storage.cfg: the entry in use encrypts, the prepared one does not.
        let path = "\(lab.runtime.stateDir)/pve/pve-a/etc/pve/storage.cfg"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let key = "\tencryption-key " + Array(repeating: "07", count: 32).joined(separator: ":") + "\n"
        try text.replacingOccurrences(of: "pbs: backup-primary\n", with: "pbs: backup-primary\n" + key).write(toFile: path, atomically: true, encoding: .utf8)
        var config = lab.config
        for index in config.pve.indices {
            config.pve[index].method = .switchStorage
            config.pve[index].failoverStorage = "backup-secondary"
        }
        let builtIn = try #require(BuiltIn.runbook("failover"))
        let runbook = try RunbookLoader.parse(builtIn.text, file: builtIn.path, kind: "failover")
        let context = RunContext(config: config, reads: try lab.transport(), writes: try lab.transport(), clock: lab.clock)
        let gates = await GateEvaluator(context: context, runbook: runbook).evaluate(runbook.steps[0], number: 1, run: nil)
        let keys = try #require(gates.first { $0.name == "encryption-keys" })
        #expect(!keys.passed && !keys.hard && keys.message.hasPrefix("pve-a: backup-primary encrypts, backup-secondary has no key"), "\(keys.message)")
        // With edit-storage-cfg the entry keeps its key file.
        let edit = RunContext(config: lab.config, reads: try lab.transport(), writes: try lab.transport(), clock: lab.clock)
        #expect(await GateEvaluator(context: edit, runbook: runbook).evaluate(runbook.steps[0], number: 1, run: nil).first { $0.name == "encryption-keys" }?.passed == true)
        await lab.stop()
    }

    /// Steps 2 and 3 read the PVE operator token's privileges first: a change it may not make
    /// is not sent; the operator gets the command, and the next run verifies and goes on.
    @Test func withoutPVEPrivilegesStepsTwoAndThreeWaitWithTheCommandsAndSendNothing() async throws {
        let lab = try await RunningLab.start()
        _ = try await lab.ctl("node primary down")
        let token = "pbsha@pve!operator"
        // pve-b may not change storage entries; pve-a may not back up its test guest.
        _ = try await lab.ctl("pve pve-b acl \(token) /storage PVEDatastoreUser")
        let testGuest = try #require(lab.config.pve.first { $0.name == "pve-a" }?.testVMID)
        _ = try await lab.ctl("pve pve-a acl \(token) /vms/\(testGuest) PVEAuditor")
        let (engine, _) = try engine(lab)

        let second = try await engine.run(Decisions(confirmAll: true, ticket: "OPS-4"))
        guard case .waiting(let run, 2, let reason) = second else { Issue.record("expected a wait at step 2, got \(second)"); return }
        #expect(reason.contains("pve-b: the operator token lacks Datastore.Allocate on /storage"), "\(reason)")
        #expect(reason.contains("`pvesm set backup-primary --password '<the secret of \(LabWorld.backupToken)>'`"), "\(reason)")
        #expect(!run.steps[1].writes.contains { $0.contains("PUT") && $0.contains("/storage/") && !$0.contains("-> 200") }, "\(run.steps[1].writes)")
        #expect(run.steps[1].writes.filter { $0.contains("/storage/backup-primary") }.count == 1, "only pve-a's secret was sent: \(run.steps[1].writes)")

        _ = try await lab.ctl("pve pve-b acl \(token) /storage none")
        let third = try await engine.run(Decisions(confirmAll: true, ticket: "OPS-4"))
        guard case .waiting(let later, 3, let why) = third else { Issue.record("expected a wait at step 3, got \(third)"); return }
        #expect(later.steps[1].status == .done)
        #expect(why.contains("pve-a: the operator token lacks VM.Backup on /vms/\(testGuest)") && why.contains("`vzdump \(testGuest) --storage backup-primary --remove 0`"), "\(why)")
        let started = try await lab.ctl("show vzdump").split(separator: "\n").filter { $0.hasPrefix("pve-a ") && $0.contains(token) }
        #expect(started.isEmpty, "no test backup was started on pve-a: \(started)")

        _ = try await lab.ctl("pve pve-a acl \(token) /vms/\(testGuest) none")
        let done = try await engine.run(Decisions(confirmAll: true, ticket: "OPS-4"))
        guard case .finished = done else { Issue.record("expected the run to finish, got \(done)"); return }
        await lab.stop()
    }

    @Test func withoutTheRightToChangeOwnersStepOneStopsWithTheCommands() async throws {
        let lab = try await RunningLab.start()
        _ = try await lab.ctl("node primary down")
        // The operator token (and its user) keep reading but lose Datastore.Modify on the store.
        _ = try await lab.ctl("acl secondary pbsha@pbs!operator /datastore/mirror DatastorePowerUser")
        let (engine, _) = try engine(lab)
        let outcome = try await engine.run(Decisions(confirmAll: true))
        guard case .waiting(let run, 1, let reason) = outcome else { Issue.record("expected a wait at step 1, got \(outcome)"); return }
        #expect(reason.contains("proxmox-backup-client change-owner") || reason.contains("proxmox-backup-manager sync-job update"), "\(reason)")
        #expect(reason.contains("the operator token lacks Datastore."), "\(reason)")
        #expect(run.steps[0].planned.contains { $0.change.hasPrefix("change-owner vm/100") })
        #expect(try await lab.ctl("status").contains("writes received: 0"), "the token's permissions were read first: no refused write was sent")
        await lab.stop()
    }
}

/// Kill tests: the process dies just before the journal gets an event (so also right after
/// an external call whose result was never written); a new process resumes the run.
@Suite(.serialized) struct FailoverResumeTests {
    /// The journal of a process that dies when `dies` says so: that event is never written.
    final class DyingStore: EventStore, @unchecked Sendable {
        let inner: Journal
        let dies: (JournalEvent, Int) -> Bool
        private var seen: [JournalEvent.Kind: Int] = [:]
        private(set) var died = false

        init(_ inner: Journal, dies: @escaping (JournalEvent, Int) -> Bool) {
            self.inner = inner
            self.dies = dies
        }

        func append(_ events: [JournalEvent], check: (@Sendable ([JournalEvent]) throws(JournalError) -> Void)?) throws(JournalError) -> [JournalEvent] {
            for event in events {
                seen[event.kind, default: 0] += 1
                if !died, dies(event, seen[event.kind]!) {
                    died = true
                }
                if died { throw JournalError("killed") }
            }
            return try inner.append(events, check: check)
        }

        func events(run: String?) throws(JournalError) -> [JournalEvent] { try inner.events(run: run) }
    }

    static let deaths: [(JournalEvent.Kind, Int)] = [
        (.changePlanned, 1), (.intent, 1), (.changeApplied, 1), (.intent, 3), (.changeApplied, 9), (.confirmed, 2),
        (.intent, 11), (.changeApplied, 11), (.changeApplied, 12), (.changeApplied, 13), (.changeApplied, 15), (.changeApplied, 16),
        (.stepFinished, 3), (.changeApplied, 17), (.stepFinished, 5),
    ]

    @Test(arguments: deaths.indices)
    func aRunKilledAtAnyPointResumesWithoutDoingAnythingTwice(death: Int) async throws {
        let (kind, count) = Self.deaths[death]
        let lab = try await RunningLab.start()
        _ = try await lab.ctl("node primary down")
        let journal = try Journal(path: "\(lab.runtime.stateDir)/journal/journal.sqlite")
        let builtIn = try #require(BuiltIn.runbook("failover"))
        let runbook = try RunbookLoader.parse(builtIn.text, file: builtIn.path, kind: "failover")
        let context = RunContext(config: lab.config, reads: try lab.transport(), writes: try lab.transport(), clock: lab.clock)
        let decisions = Decisions(confirmAll: true, ticket: "OPS-1")
        let dying = DyingStore(journal) { event, seen in event.kind == kind && seen == count }
        let first = StepEngine(runbook: runbook, journal: dying, context: context, actions: FailoverActions.all(), actor: "oncall", host: "a")
        await #expect(throws: JournalError("killed")) { _ = try await first.run(decisions) }
        #expect(dying.died)

        let second = StepEngine(runbook: runbook, journal: journal, context: context, actions: FailoverActions.all(), actor: "oncall", host: "b")
        let outcome = try await second.run(decisions)
        guard case .finished(let run) = outcome else { Issue.record("after dying at \(kind) #\(count): \(outcome)"); return }
        // Every change at most once, on the servers and in the journal.
        let applied = run.steps.flatMap(\.applied).filter { $0.result == "ok" }
        #expect(Set(applied.map { "\($0.target) \($0.change)" }).count == applied.count, "\(applied.map(\.change))")
        let vzdumps = await lab.runtime.inspect { world in world.pve.flatMap(\.tasks).filter { $0.parsed.workerType == "vzdump" && $0.parsed.authID != "root@pam" } }
        #expect(vzdumps.count == 2, "one test backup per target")
        let verifies = await lab.runtime.inspect { $0.secondary.tasks.filter { $0.parsed.workerType == "verify_snapshot" }.count }
        #expect(verifies == 2)
        #expect(try await lab.ctl("show notifications").components(separatedBy: "FAILOVER by").count <= 2, "posted at most once")
        let job = await lab.runtime.inspect { $0.secondary.syncJobs[0] }
        #expect(job.schedule == nil && job.owner == LabWorld.backupToken)
        #expect(try await lab.ctl("show pve").components(separatedBy: "-> secondary").count == 3)
        await lab.stop()
    }
}
