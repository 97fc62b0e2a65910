import ProxmoxAPI

/// Failback step 5: the reverse job and its Remote go (their snapshots stay); the secondary's
/// groups and its forward sync job must share one owner (pull compares owners strictly); the
/// forward job gets back the schedule the failover journaled, runs once, and must end OK.
public struct RetireReverseSync: StepAction {
    let patience: Double

    public init(patience: Double = 6 * 3600) { self.patience = patience }

    /// The change that pulls and verifies what landed on the secondary until the retarget.
    static let lastCatchUp = "last catch-up"

    /// The forward job's schedule before the failover paused it, from that run's journal.
    static func pausedSchedule(_ context: RunContext) -> String? {
        context.lastFailover?.steps.flatMap(\.planned).first { $0.change == "pause sync job \(context.config.syncJob)" }?.detail["schedule"]
    }

    public func plan(_ context: RunContext, _ run: RunState, _ decisions: Decisions) async throws(StepFailure) -> [PlannedChange] {
        guard let primary = context.operatorClient(.primary), let secondary = context.operatorClient(.secondary) else {
            throw StepFailure("retiring needs the operator tokens of both nodes (operator-auth-id/operator-secret-file)")
        }
        var changes: [PlannedChange] = []
        // PVE backs up to the primary now: what landed on the secondary until the retarget is
        // pulled and verified before the reverse job goes.
        let facts = try await FailbackFacts.read(context)
        let unverified = try VerifyPrimary.unverified(facts, run)
        if facts.missingCount > 0 || !unverified.isEmpty {
            changes.append(PlannedChange(target: "primary", change: Self.lastCatchUp,
                                         diff: facts.missingCount > 0 ? facts.progress : "verify \(unverified.count) pulled snapshot(s) on the primary"))
        }
        let forward: SyncJob
        do {
            if try await primary.syncJobs(store: context.node(.primary).datastore).contains(where: { $0.config.id == ReverseSync.name }) {
                changes.append(PlannedChange(target: "primary", change: "delete sync job \(ReverseSync.name)", diff: "the pulled snapshots stay"))
            }
            if try await primary.remotes().contains(where: { $0.name == ReverseSync.name }) {
                changes.append(PlannedChange(target: "primary", change: "delete remote \(ReverseSync.name)"))
            }
            let job = try await secondary.syncJobs(store: context.node(.secondary).datastore).first { $0.config.id == context.config.syncJob }?.config
            guard let job else { throw StepFailure("the secondary has no sync job \(context.config.syncJob) to resume") }
            forward = job
            if job.schedule == nil {
                guard let schedule = Self.pausedSchedule(context) else {
                    throw StepFailure("the failover journaled no schedule for \(job.id); set one on the secondary (Datastore > Sync Jobs), then run pbsha failback again")
                }
                changes.append(PlannedChange(target: "secondary", change: "restore schedule of \(job.id)", diff: "sync job \(job.id): schedule none -> \(schedule)",
                                             detail: ["schedule": schedule]))
            }
        } catch let failure as StepFailure {
            throw failure
        } catch {
            throw StepFailure("cannot read the sync jobs and remotes: \(error)")
        }
        let ran = run.steps.contains { $0.applied.contains { $0.change == "run forward sync \(context.config.syncJob)" && $0.result == "ok" } }
        if !ran { changes.append(PlannedChange(target: "secondary", change: "run forward sync \(context.config.syncJob)", diff: "the secondary pulls from the primary again")) }
        if let copy = try await primaryOnlyCopy(facts, forward, context, run) { changes.append(copy) }
        return changes
    }

    /// The copy of primary-only snapshots the resumed forward sync cannot reach (see
    /// `PrimaryOnlyCopy`); nil when the secondary holds them all.
    private func primaryOnlyCopy(_ facts: FailbackFacts, _ forward: SyncJob, _ context: RunContext, _ run: RunState) async throws(StepFailure) -> PlannedChange? {
        let namespace = PrimaryOnlyCopy.namespace(run)
        let stranded = try await PrimaryOnlyCopy.stranded(facts, forward: forward, in: namespace, context)
        guard !stranded.isEmpty else { return nil }
        let groups = Set(stranded.map(FailbackFacts.group)).sorted()
        return PlannedChange(target: "secondary", change: PrimaryOnlyCopy.change(namespace),
                             diff: "only on the primary: " + stranded.map(FailbackFacts.name).joined(separator: ", ")
                                 + "\nthose the forward sync skips (older than the secondary's newest in their group) are pulled into namespace "
                                 + "\(namespace) by a one-shot job for \(groups.joined(separator: ", ")), removed after it ran; nothing is deleted")
    }

    public func apply(_ change: PlannedChange, _ context: RunContext, _ run: RunState) async -> ApplyOutcome {
        let role: NodeRole = change.target == "primary" ? .primary : .secondary
        guard let client = context.operatorClient(role) else { return .failed("no [\(role.rawValue)] operator token") }
        if change.change == PrimaryOnlyCopy.change(PrimaryOnlyCopy.namespace(run)) {
            return await PrimaryOnlyCopy.apply(change, client, context, run, patience: patience)
        }
        let job = context.config.syncJob
        let (needed, manual): ([(privilege: String, path: String)], String) = switch change.change.split(separator: " ").prefix(2).joined(separator: " ") {
        case "delete sync": ([("Datastore.Modify", "/datastore/\(context.node(.primary).datastore)")], "proxmox-backup-manager sync-job remove \(ReverseSync.name)")
        case "delete remote": ([("Remote.Modify", "/remote/\(ReverseSync.name)")], "proxmox-backup-manager remote remove \(ReverseSync.name)")
        case "restore schedule": ([("Datastore.Modify", "/datastore/\(context.node(.secondary).datastore)")],
                                  "proxmox-backup-manager sync-job update \(job) --schedule '\(change.detail["schedule"] ?? "")'")
        default: ([("Datastore.Backup", "/datastore/\(context.node(.secondary).datastore)")], "proxmox-backup-manager sync-job run \(job)")
        }
        if change.change == Self.lastCatchUp { return await lastCatchUp(client, context, run) }
        do {
            if let missing = try await PrivilegeCheck.missing(needed, client) {
                return .needsOperator("the \(role.rawValue)'s operator token lacks \(missing): on the \(role.rawValue) run `\(manual)`, then run pbsha failback again")
            }
            switch change.change {
            case "delete sync job \(ReverseSync.name)": try await client.deleteSyncJob(ReverseSync.name)
            case "delete remote \(ReverseSync.name)": try await client.deleteRemote(ReverseSync.name)
            case "restore schedule of \(job)": try await client.updateSyncJob(job, set: [("schedule", change.detail["schedule"] ?? "")])
            default:
                let upid = try await client.runSyncJob(job)
                let status = try await PBSTask.follow(client, upid, on: role, "forward sync \(job)", context, patience: patience)
                guard status.exitstatus == "OK" else {
                    return .failed("the forward sync ended \(status.exitstatus ?? "unknown"): \(await PBSTask.problems(client, upid))")
                }
                return .applied("forward sync ended OK (\(upid))")
            }
            return .applied(change.diff ?? change.change)
        } catch let failure as StepFailure {
            return .failed(failure.message)
        } catch {
            if case .forbidden = error as? APIError { return .needsOperator("the \(role.rawValue) refused: \(error); on it run `\(manual)`, then run pbsha failback again") }
            return .failed("\(error)")
        }
    }

    /// Pulls until caught up, then verifies each pulled snapshot this run has not: the UPIDs
    /// go in the message, where the verified-by-this-run check finds them.
    private func lastCatchUp(_ client: PBSClient, _ context: RunContext, _ run: RunState) async -> ApplyOutcome {
        let pulled = await CatchUp.pullUntilCaughtUp(context, patience: patience)
        guard case .applied = pulled else { return pulled }
        do {
            let left = try VerifyPrimary.unverified(try await FailbackFacts.read(context), run).map(FailbackFacts.name)
            let (upids, failure) = try await VerifyPrimary.verifyAll(left, client, context, patience: patience)
            if let failure { return failure }
            return .applied("caught up; verified \(upids.count): \(upids.joined(separator: " "))")
        } catch let failure as StepFailure {
            return .failed(failure.message)
        } catch {
            return .failed("\(error)")
        }
    }

    public func verify(_ context: RunContext, _ run: RunState) async -> [GateResult] {
        guard let primary = context.operatorClient(.primary), let secondary = context.operatorClient(.secondary) else { return [] }
        var results: [GateResult] = []
        do {
            let jobGone = try await !primary.syncJobs(store: context.node(.primary).datastore).contains { $0.config.id == ReverseSync.name }
            let remoteGone = try await !primary.remotes().contains { $0.name == ReverseSync.name }
            let reverseGone = jobGone && remoteGone
            results.append(GateResult(name: "reverse sync retired", passed: reverseGone, hard: true, message: reverseGone ? "job and remote removed" : "still configured"))
            let job = try await secondary.syncJobs(store: context.node(.secondary).datastore).first { $0.config.id == context.config.syncJob }?.config
            results.append(GateResult(name: "forward sync scheduled", passed: job?.schedule != nil, hard: true, message: job?.schedule ?? "no schedule"))
            let owner = job?.owner ?? "root@pam"
            let others = try await context.reader(.secondary).groups(context.node(.secondary).datastore).filter { ($0.owner ?? owner) != owner }
            results.append(GateResult(name: "one owner for the secondary's groups and its sync job", passed: others.isEmpty, hard: true,
                                      message: others.isEmpty ? owner : others.prefix(5).map { "\($0.backupType)/\($0.backupID) is \($0.owner ?? "?")'s" }.joined(separator: ", ")
                                          + "; give them to \(owner) (proxmox-backup-client change-owner) or the forward sync will skip them"))
            let facts = try await FailbackFacts.read(context)
            let unverified = try VerifyPrimary.unverified(facts, run)
            results.append(GateResult(name: "the primary holds and verified every failover-era snapshot", passed: facts.missingCount == 0 && unverified.isEmpty,
                                      hard: true, message: facts.missingCount > 0 ? facts.progress
                                          : unverified.isEmpty ? "\(facts.pulled.count) snapshot(s)" : "\(unverified.count) not verified by this run"))
            if let job {
                let namespace = PrimaryOnlyCopy.namespace(run)
                let stranded = try await PrimaryOnlyCopy.stranded(facts, forward: job, in: namespace, context)
                let copied = facts.primaryOnly.count - stranded.count
                results.append(GateResult(name: "every primary-only snapshot on the secondary too", passed: stranded.isEmpty, hard: true,
                                          message: stranded.isEmpty ? (copied == 0 ? "none" : "\(copied) in namespace \(namespace)")
                                              : stranded.map(FailbackFacts.name).joined(separator: ", ") + " only on the primary (kept there)"))
            }
        } catch let failure as StepFailure {
            results.append(GateResult(name: "nodes readable", passed: false, hard: true, message: failure.message))
        } catch {
            results.append(GateResult(name: "nodes readable", passed: false, hard: true, message: "\(error)"))
        }
        return results
    }
}

/// The failback runbook's actions by name.
public enum FailbackActions {
    public static func all(patience: Double = 6 * 3600) -> [String: any StepAction] {
        ["reverse-sync": ReverseSync(patience: patience), "catch-up": CatchUp(patience: patience), "verify-primary": VerifyPrimary(patience: patience),
         "retarget-to-primary": Retarget(to: .primary), "retire-reverse-sync": RetireReverseSync(patience: patience),
         "notify": Notify(), "manual": ManualStep()]
    }
}
