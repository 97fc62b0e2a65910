import Foundation
import PairEngine
import ProxmoxAPI

extension LabWorld {
    /// Answers any request to a lab PBS node: reads from `handlePBS`, writes from `handlePBSWrite`.
    public mutating func respondPBS(_ role: NodeRole, _ request: LabRequest) -> LabResponse {
        request.method == "GET" ? handlePBS(role, request) : handlePBSWrite(role, request)
    }

    /// Answers a write to a lab PBS node with the privileges and rules PBS applies
    /// (`src/api2/admin/datastore.rs` `set_backup_owner`, `src/api2/config/sync.rs`,
    /// `src/api2/admin/sync.rs`; shared/reference/pbs-api.md 4.8, 5.2, 5.3, 5.5).
    public mutating func handlePBSWrite(_ role: NodeRole, _ request: LabRequest) -> LabResponse {
        let s = request.segments
        if let malformed = request.malformed { return .error(400, malformed) }
        guard let caller = LabAccess.authenticate(request.authorization, tokens: node(role).tokens, users: node(role).users) else {
            return .error(401, "authentication failed - invalid credentials")
        }
        switch (request.method, s.count) {
        case ("POST", 4) where s[0] == "admin" && s[1] == "datastore" && s[3] == "change-owner":
            return changeOwner(role, store: s[2], request, caller)
        case (_, 2...3) where s[0] == "config" && (s[1] == "sync" || s[1] == "remote"):
            return configWrite(role, s, request, caller)
        case ("POST", 4) where s[0] == "admin" && s[1] == "datastore" && s[3] == "verify":
            return verifyNow(role, store: s[2], request, caller)
        case ("POST", 4) where s[0] == "admin" && s[1] == "datastore" && s[3] == "namespace":
            return createNamespace(role, store: s[2], request, caller)
        case ("POST", 4) where s[0] == "admin" && s[1] == "sync" && s[3] == "run":
            return runSyncJob(role, id: s[2], caller)
        default:
            return .notFound(request)
        }
    }

    /// Moves a group to another owner. Datastore.Modify: any move. Datastore.Backup alone:
    /// only between a user and its own tokens, asked by the user itself (refused with 401).
    private mutating func changeOwner(_ role: NodeRole, store: String, _ request: LabRequest, _ caller: LabCaller) -> LabResponse {
        let modify = caller.has("Datastore.Modify", on: "/datastore/\(store)")
        if let refusal = datastoreRefusal(role, store: store, caller, either: "Datastore.Modify", or: "Datastore.Backup", writing: true) {
            return refusal
        }
        guard let type = request.value("backup-type"), let id = request.value("backup-id"), let newOwner = request.value("new-owner") else {
            return .error(400, "parameter verification failed - 'backup-type', 'backup-id' and 'new-owner' are required")
        }
        let group = "\(type)/\(id)"
        let ns = request.value("ns") ?? ""
        let indices = node(role).snapshots.indices.filter { node(role).snapshots[$0].ns == ns && node(role).snapshots[$0].group == group }
        guard let first = indices.first else { return .error(400, "backup group '\(group)' does not exist") }
        if !modify {
            let owner = node(role).snapshots[first].owner
            let user = String(caller.authID.prefix { $0 != "!" })
            let withinUser = !caller.authID.contains("!") && [owner, newOwner].allSatisfy { $0 == user || $0.hasPrefix(user + "!") }
            guard withinUser else {
                return .error(401, "\(caller.authID) does not have permission to change owner of backup group '\(group)' to \(newOwner)")
            }
        }
        let exists = newOwner.contains("!") ? node(role).tokens.contains { $0.authID == newOwner }
            : newOwner == "root@pam" || node(role).users.contains { $0.userid == newOwner }
        guard exists else {
            return .error(400, "\(newOwner.contains("!") ? "API token" : "user") '\(newOwner)' is inactive or non-existent")
        }
        for index in indices { self[role].snapshots[index].owner = newOwner }
        return .json(Envelope<String?>(data: nil))
    }

    /// What PBS answers before a datastore call that needs one of two privileges: 403 naming
    /// both, an unknown store, or the store's maintenance mode; nil when the call may go on.
    private func datastoreRefusal(_ role: NodeRole, store: String, _ caller: LabCaller, either first: String, or second: String,
                                  writing: Bool) -> LabResponse? {
        let path = "/datastore/\(store)"
        guard caller.has(first, on: path) || caller.has(second, on: path) else {
            return .error(403, "permission check failed - missing \(first)|\(second) on \(path)")
        }
        guard store == node(role).datastore else { return .error(400, "no such datastore '\(store)'") }
        return node(role).maintenanceRefusal(writing: writing).map { .error(400, $0) }
    }

    /// Whether the caller may create, change or run a sync job (`check_sync_job_modify_access`).
    /// Pull: Datastore.Audit and .Backup on the store, .Prune with remove-vanished, .Modify
    /// unless the caller is the job's owner (or its user), Remote.Read on the remote store.
    /// Push: Remote.Audit and .DatastoreBackup on the remote store (.DatastorePrune with
    /// remove-vanished), and here Datastore.Audit, .Read or .Backup, .Modify unless owner.
    func mayModify(_ job: SyncJob, _ caller: LabCaller) -> Bool {
        let store = LabNamespaces.aclPath(job.store, job.ns ?? "")
        let isOwner = caller.owns(job.owner ?? "root@pam")
        let remote = "/remote/\(job.remote ?? "")/\(job.remoteStore)" + (job.remoteNs.map { $0.isEmpty ? "" : "/\($0)" } ?? "")
        if job.syncDirection == "push" {
            return job.remote != nil && caller.has("Remote.Audit", on: remote) && caller.has("Remote.DatastoreBackup", on: remote)
                && (job.removeVanished != true || caller.has("Remote.DatastorePrune", on: remote))
                && caller.has("Datastore.Audit", on: store)
                && (caller.has("Datastore.Read", on: store) || caller.has("Datastore.Backup", on: store))
                && (isOwner || caller.has("Datastore.Modify", on: store))
        }
        return caller.has("Datastore.Audit", on: store) && caller.has("Datastore.Backup", on: store)
            && (job.removeVanished != true || caller.has("Datastore.Prune", on: store))
            && (isOwner || caller.has("Datastore.Modify", on: store))
            && caller.has("Remote.Read", on: remote)
    }

    /// Runs a sync job now, as the caller; answers the task's UPID.
    private mutating func runSyncJob(_ role: NodeRole, id: String, _ caller: LabCaller) -> LabResponse {
        guard let job = node(role).syncJobs.first(where: { $0.id == id }) else { return .error(400, "no such sync '\(id)'") }
        guard mayModify(job, caller) else { return .error(400, "permission check failed, '\(caller.authID)' is missing access") }
        runSync(role, job: job, at: now, trigger: "manual", user: caller.authID)
        return .json(Envelope(data: node(role).tasks.last?.upid ?? ""))
    }

    /// An ad-hoc verify of a snapshot (type, id, time), a group (type, id) or the store
    /// (nothing): Datastore.Verify for any, Datastore.Backup for owned groups only.
    private mutating func verifyNow(_ role: NodeRole, store: String, _ request: LabRequest, _ caller: LabCaller) -> LabResponse {
        let mayVerify = caller.has("Datastore.Verify", on: "/datastore/\(store)")
        if let refusal = datastoreRefusal(role, store: store, caller, either: "Datastore.Verify", or: "Datastore.Backup", writing: false) {
            return refusal
        }
        let type = request.value("backup-type"), id = request.value("backup-id"), time = request.value("backup-time")
        let ignoreVerified = request.value("ignore-verified").map { ["1", "true"].contains($0) } ?? true
        let outdatedAfter = request.value("outdated-after").flatMap { Int($0) }
        guard request.value("outdated-after") == nil || outdatedAfter != nil else {
            return .error(400, "parameter verification failed - 'outdated-after': value is not an integer")
        }
        let owned = { (snapshot: LabSnapshot) in mayVerify || caller.owns(snapshot.owner) }
        let ns = request.value("ns") ?? ""
        let workerType: String, workerID: String, include: (LabSnapshot) -> Bool
        switch (type, id, time) {
        case let (type?, id?, time?):
            guard let seconds = Int64(time) else { return .error(400, "parameter verification failed - 'backup-time': value is not an integer") }
            let group = "\(type)/\(id)"
            guard let snapshot = node(role).snapshots.first(where: { $0.ns == ns && $0.group == group && $0.time == seconds }) else {
                return .error(400, "backup snapshot '\(group)/\(Timestamps.rfc3339(seconds))' does not exist")
            }
            guard owned(snapshot) else { return .error(400, "backup owner check failed (\(caller.authID) != \(snapshot.owner))") }
            (workerType, workerID) = ("verify_snapshot", "\(store):/\(group)/\(String(format: "%08llX", seconds))")
            include = { $0.ns == ns && $0.group == group && $0.time == seconds }
        case let (type?, id?, nil):
            let group = "\(type)/\(id)"
            guard let first = node(role).snapshots.first(where: { $0.ns == ns && $0.group == group }) else {
                return .error(400, "backup group '\(group)' does not exist")
            }
            guard owned(first) else { return .error(400, "backup owner check failed (\(caller.authID) != \(first.owner))") }
            (workerType, workerID) = ("verify_group", "\(store):/\(group)")
            include = { $0.ns == ns && $0.group == group }
        case (nil, nil, nil):
            (workerType, workerID) = ("verify", store)
            include = owned
        default:
            return .error(400, "parameters do not specify a backup group or snapshot")
        }
        let due = dueForVerify(role, at: now, ignoreVerified: ignoreVerified, outdatedAfter: outdatedAfter, where: include)
        let upid = verify(role, due: due, start: now, type: workerType, id: workerID, user: caller.authID, header: [])
        return .json(Envelope(data: upid))
    }
}
