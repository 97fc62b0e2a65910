import ProxmoxAPI

/// Failover step 1's changes on the secondary, in this order: pause the forward sync job
/// (delete its schedule; the old one is journaled for failback), give every synced group to
/// PVE's token there (`change-owner`), and make that token the sync job's owner, so backups
/// after failover pass PBS's owner check and the forward sync still works after failback.
public struct PrepareSecondary: StepAction {
    public init() {}

    public func plan(_ context: RunContext, _ run: RunState, _ decisions: Decisions) async throws(StepFailure) -> [PlannedChange] {
        let node = context.node(.secondary)
        guard let pve = node.pveToken?.authID else {
            throw StepFailure("no [secondary] pve-auth-id: pbsha cannot tell which token PVE will back up with; add pve-auth-id and pve-secret-file")
        }
        let reader = context.reader(.secondary)
        let job: SyncJob?
        let groups: [GroupListItem]
        do {
            job = try await reader.syncJobs(store: node.datastore).first { $0.config.id == context.config.syncJob }?.config
            groups = try await reader.groups(node.datastore)
        } catch {
            throw StepFailure("cannot read the secondary's sync job and groups: \(error)")
        }
        var changes: [PlannedChange] = []
        if let job, let schedule = job.schedule {
            var detail = ["schedule": schedule]
            var diff = "sync job \(job.id): schedule \(schedule) -> none (restored at failback)"
            if job.removeVanished == true {
                detail["remove-vanished"] = "true"
                diff += "\nremove-vanished is on: left scheduled against a returning primary it would delete the secondary's copies of whatever the primary lost; it stays paused until failback"
            }
            changes.append(PlannedChange(target: "secondary", change: "pause sync job \(job.id)", diff: diff, detail: detail))
        }
        for group in groups where !Self.writable(group.owner ?? "root@pam", by: pve) {
            let name = "\(group.backupType)/\(group.backupID)"
            changes.append(PlannedChange(target: "secondary", change: "change-owner \(name) to \(pve)",
                                         diff: "\(name): owner \(group.owner ?? "root@pam") -> \(pve)"))
        }
        if let job, (job.owner ?? "root@pam") != pve {
            changes.append(PlannedChange(target: "secondary", change: "sync job \(job.id) owner \(pve)",
                                         diff: "sync job \(job.id): owner \(job.owner ?? "root@pam") -> \(pve) (pull compares owners strictly)"))
        }
        return changes
    }

    public func apply(_ change: PlannedChange, _ context: RunContext, _ run: RunState) async -> ApplyOutcome {
        let node = context.node(.secondary)
        let job = context.config.syncJob
        let pve = node.pveToken?.authID ?? ""
        let store = node.datastore
        let words = change.change.split(separator: " ").map(String.init)
        let manual: String
        var call: (PBSClient) async throws(APIError) -> Void
        if change.change.hasPrefix("pause sync job") {
            manual = "proxmox-backup-manager sync-job update \(job) --delete schedule"
            call = { client throws(APIError) in try await client.updateSyncJob(job, delete: ["schedule"]) }
        } else if words.first == "change-owner", words.count == 4 {
            let parts = words[1].split(separator: "/").map(String.init)
            manual = "proxmox-backup-client change-owner \(words[1]) '\(pve)' --repository 'root@pam@\(node.host):\(store)'"
            call = { client throws(APIError) in try await client.changeOwner(store: store, type: parts[0], id: parts[1], to: pve) }
        } else {
            manual = "proxmox-backup-manager sync-job update \(job) --owner '\(pve)'"
            call = { client throws(APIError) in try await client.updateSyncJob(job, set: [("owner", pve)]) }
        }
        guard let client = context.operatorClient(.secondary) else {
            return .needsOperator("no [secondary] operator token: on the secondary run `\(manual)`, then run pbsha failover again")
        }
        do {
            // What the operator token may do is read first: a change it may not make is not tried.
            let path = "/datastore/\(store)"
            let needed = (change.change.hasPrefix("change-owner") ? ["Datastore.Modify"] : ["Datastore.Audit", "Datastore.Backup", "Datastore.Modify"])
                .map { (privilege: $0, path: path) }
            if let missing = try await PrivilegeCheck.missing(needed, client) {
                return .needsOperator("the operator token lacks \(missing): on the secondary run `\(manual)`, then run pbsha failover again")
            }
            try await call(client)
            return .applied(change.diff ?? change.change)
        } catch {
            if case .forbidden = error { return .needsOperator("the operator token may not: \(error); on the secondary run `\(manual)`, then run pbsha failover again") }
            if case .unauthorized = error { return .needsOperator("the operator token was refused: \(error); on the secondary run `\(manual)`, then run pbsha failover again") }
            return .failed("\(error)")
        }
    }

    public func verify(_ context: RunContext, _ run: RunState) async -> [GateResult] {
        let node = context.node(.secondary)
        let pve = node.pveToken?.authID ?? ""
        do {
            let reader = context.reader(.secondary)
            let job = try await reader.syncJobs(store: node.datastore).first { $0.config.id == context.config.syncJob }?.config
            let foreign = try await reader.groups(node.datastore).filter { !Self.writable($0.owner ?? "root@pam", by: pve) }
            // Failback compares snapshot times with the moment the failover began, on this clock.
            let clock = await NodeClock.check(context)
            return [
                clock,
                GateResult(name: "forward sync paused", passed: job?.schedule == nil, hard: true,
                           message: job.map { $0.schedule.map { "still scheduled (\($0))" } ?? "no schedule" } ?? "no sync job \(context.config.syncJob)"),
                GateResult(name: "groups owned by \(pve)", passed: foreign.isEmpty, hard: true,
                           message: foreign.isEmpty ? "every group" : "\(foreign.count) group(s) still owned by others"),
            ]
        } catch {
            return [GateResult(name: "secondary readable", passed: false, hard: true, message: "\(error)")]
        }
    }

    /// PBS's backup owner rule: the owner itself, or a token of the owning user.
    static func writable(_ owner: String, by authID: String) -> Bool {
        owner == authID || (!authID.contains("!") && owner.hasPrefix(authID + "!"))
    }
}
