import PairEngine
import ProxmoxAPI

extension LabWorld {
    /// Runs a sync job on `role`, PBS 3.3+ style in either direction: a pull copies from the
    /// node its remote reaches into this node's store, a push from this node's store to the
    /// remote's. Per group it copies the snapshots newer than the newest one the target has
    /// (older gaps are skipped, as PBS does), removes vanished ones when configured, and logs
    /// it the way PBS 3.3–4.1 does. `user` is who started the run: `root@pam` for the
    /// scheduler, the caller for a manual run.
    mutating func runSync(_ role: NodeRole, job: SyncJob, at start: Int64, trigger: String, user: String = "root@pam") {
        let workerID = "\(job.remote ?? "-"):\(job.remoteStore):\(job.store)::\(job.id)"
        let pushing = job.syncDirection == "push"
        var log: [(Int64, String)] = [
            (0, "Starting datastore sync job '\(workerID)'"),
            (0, "task triggered by \(trigger)"),
            (0, pushing ? "sync datastore '\(job.store)' to '\(job.remote ?? "-")/\(job.remoteStore)'"
                : "sync datastore '\(job.store)' from '\(job.remote ?? "-")/\(job.remoteStore)'"),
        ]
        func fail(_ message: String, after seconds: Int64) {
            log.append((seconds, "TASK ERROR: \(message)"))
            addTask(role, type: "syncjob", id: workerID, user: user, start: start, duration: seconds, status: message, lines: log)
        }
        let plan: SyncPlan
        switch reachRemote(of: job, on: role).flatMap({ syncPlan(job, on: role, remote: $0) }) {
        case .success(let made): plan = made
        case .failure(let refusal):
            if let detail = refusal.detail { log.append((1, detail)) }
            fail(refusal.message, after: refusal.seconds)
            return
        }
        let (sourceStore, targetStore) = pushing ? (job.store, job.remoteStore) : (job.remoteStore, job.store)
        let (sourceBase, targetBase) = pushing ? (job.ns ?? "", job.remoteNs ?? "") : (job.remoteNs ?? "", job.ns ?? "")
        guard node(plan.source).namespaces.contains(sourceBase) else {
            fail("namespace '\(sourceBase)' does not exist", after: 1)
            return
        }
        // Without a max-depth the run goes as deep as namespaces can be (`pull_store`).
        let depthLimit = job.maxDepth ?? (LabNamespaces.maxDepth - LabNamespaces.depth(sourceBase))
        let namespaces = node(plan.source).namespaces.filter { ns in
            LabNamespaces.relative(ns, to: sourceBase).map { LabNamespaces.depth($0) <= depthLimit } ?? false
        }.sorted { $0.count < $1.count }
        var run = SyncProgress(start: start, log: log)
        var synced: Set<String> = []
        for sourceNs in namespaces {
            let targetNs = LabNamespaces.map(sourceNs, from: sourceBase, to: targetBase)!
            let from = Self.storeAndNamespace(sourceStore, sourceNs), into = Self.storeAndNamespace(targetStore, targetNs)
            run.log.append((run.elapsed, "----"))
            run.log.append((run.elapsed, "Syncing \(from) into \(into)"))
            synced.insert(targetNs)
            if !node(plan.target).namespaces.contains(targetNs) {
                let path = LabNamespaces.aclPath(targetStore, LabNamespaces.parent(targetNs))
                guard plan.writer?.has("Datastore.Modify", on: path) == true else {
                    run.log.append((run.elapsed, "Cannot sync \(from) into \(into) - Creating \(targetNs) not allowed - permission check failed - missing Datastore.Modify on \(path)"))
                    run.errors += 1
                    continue
                }
                addNamespace(plan.target, targetNs)
                run.log.append((run.elapsed, "Created namespace \(targetNs)"))
            }
            syncNamespace(sourceNs, into: targetNs, job: job, plan: plan, &run)
        }
        if job.removeVanished == true {
            removeVanishedNamespaces(below: targetBase, depth: depthLimit, keeping: synced, store: targetStore, plan: plan, &run)
        }
        log = run.log
        let (elapsed, bytes, failedGroups, groups, copiedCount) = (run.elapsed, run.bytes, run.errors, run.groups, run.copied)
        // Every 31st hour in the older history: irregular across the day, never the last day.
        let warns = faults.syncWarns || (start < noisyHistoryEnd && (start / 3600) % 31 == 7)
        if warns, failedGroups == 0, let group = run.lastGroup {
            log.append((elapsed, "Failed to collect reusable chunk from last backup: \(group) - chunk store busy, continuing without reuse"))
        }
        log.append((elapsed, "Finished syncing root namespace, current progress: \(groups) groups, \(copiedCount) snapshots"))
        if failedGroups > 0 {
            fail("sync failed with some errors.", after: elapsed)
            return
        }
        log.append((elapsed, bytes == 0 ? "Summary: sync job found no new data to \(pushing ? "push" : "pull")"
                    : "Summary: sync job \(pushing ? "pushed" : "pulled") \(Bytes.format(bytes)) in \(bytes / (4 << 20)) chunks (average rate: \(Bytes.format(SyncProgress.rate))/s)"))
        log.append((elapsed, "sync job '\(workerID)' end"))
        let status = warns ? "WARNINGS: 1" : "OK"
        log.append((elapsed, warns ? "TASK WARNINGS: 1" : "TASK OK"))
        addTask(role, type: "syncjob", id: workerID, user: user, start: start, duration: elapsed, status: status, lines: log)
    }

    /// `datastore 'x', root namespace` or `datastore 'x', namespace 'a/b'` (`print_store_and_ns`).
    static func storeAndNamespace(_ store: String, _ ns: String) -> String {
        ns.isEmpty ? "datastore '\(store)', root namespace" : "datastore '\(store)', namespace '\(ns)'"
    }

    /// One namespace of a run (`pull_ns`): per group the snapshots newer than the newest the
    /// target has are copied (older gaps are skipped, as PBS does); with remove-vanished the
    /// group's snapshots and the groups the source no longer lists go, filters and owners
    /// permitting.
    private mutating func syncNamespace(_ sourceNs: String, into targetNs: String, job: SyncJob, plan: SyncPlan, _ run: inout SyncProgress) {
        let pushing = job.syncDirection == "push"
        let filters = (job.groupFilter ?? []).compactMap(GroupFilter.init)
        let source = node(plan.source).snapshots.filter { $0.ns == sourceNs && $0.finished <= run.start && plan.readable($0) }
        let all = Array(Set(source.map(\.group))).sorted()
        let groups = all.filter { group in source.contains { $0.group == group && GroupFilter.selects(filters, type: $0.type, id: $0.id) } }
        run.log.append((run.elapsed, "found \(groups.count) groups to sync (out of \(all.count) total)"))
        func inTarget(_ snapshot: LabSnapshot, _ group: String) -> Bool { snapshot.ns == targetNs && snapshot.group == group }
        for (number, group) in groups.enumerated() {
            run.lastGroup = group
            if faults.syncFails {
                run.log.append((run.elapsed, "sync group \(group) failed - connection error: Connection reset by peer (os error 104)"))
                run.errors += 1
                run.elapsed += 1
                continue
            }
            let wanted = source.filter { $0.group == group }.sorted { $0.time < $1.time }
            let present = node(plan.target).snapshots.filter { inTarget($0, group) }
            if let owner = present.first?.owner, let refusal = plan.refusesGroup(owner) {
                run.log.append((run.elapsed, "sync group \(group) failed - \(refusal)"))
                run.errors += 1
                continue
            }
            let newest = present.map(\.time).max() ?? Int64.min
            let older = wanted.filter { $0.time < newest && !present.map(\.time).contains($0.time) }
            if let first = older.first, let last = older.last {
                run.log.append((run.elapsed, "skipped: \(older.count) snapshot(s) (\(Timestamps.rfc3339(first.time)) .. \(Timestamps.rfc3339(last.time))) - older than the newest snapshot present on sync target"))
            }
            if let resync = wanted.last(where: { $0.time == newest }) {
                // The newest snapshot is always pulled again; a manifest that differs (a
                // verify state written on either side) is replaced by the source's.
                run.log.append((run.elapsed, "re-sync snapshot \(resync.name)"))
                if let local = node(plan.target).snapshots.firstIndex(where: { inTarget($0, group) && $0.time == newest }),
                   node(plan.target).snapshots[local].verification != resync.verification {
                    self[plan.target].snapshots[local].verification = resync.verification
                    run.log.append((run.elapsed, "sync archive index.json.blob"))
                } else {
                    run.log.append((run.elapsed, "no data changes"))
                }
            }
            for snapshot in wanted where snapshot.time > newest {
                run.log.append((run.elapsed, "sync snapshot \(snapshot.name)"))
                run.log.append((run.elapsed, "sync archive \(snapshot.type == "vm" ? "qemu-server.conf.blob" : "pct.conf.blob")"))
                run.log.append((run.elapsed, "sync archive \(snapshot.type == "vm" ? "drive-scsi0.img.fidx" : "root.pxar.didx")"))
                run.elapsed += max(1, snapshot.newBytes / SyncProgress.rate)
                run.log.append((run.elapsed, "\(pushing ? "uploaded" : "downloaded") \(Bytes.format(snapshot.newBytes)) (\(Bytes.format(SyncProgress.rate))/s)"))
                run.log.append((run.elapsed, "got backup log file \"client.log.blob\""))
                run.log.append((run.elapsed, "sync snapshot \(snapshot.name) done"))
                // The manifest travels byte for byte, the source's verify state included.
                var copy = snapshot
                copy.ns = targetNs
                copy.owner = plan.newOwner
                copy.corrupt = false
                copy.finished = run.start + run.elapsed
                self[plan.target].snapshots.append(copy)
                run.bytes += snapshot.newBytes
                run.copied += 1
            }
            if job.removeVanished == true {
                // After a clean pull of the group, its snapshots the source no longer has go.
                let kept = Set(wanted.map(\.time))
                for snapshot in node(plan.target).snapshots where inTarget(snapshot, group) && !kept.contains(snapshot.time) {
                    run.log.append((run.elapsed, "delete vanished snapshot \(snapshot.name)"))
                }
                self[plan.target].snapshots.removeAll { inTarget($0, group) && !kept.contains($0.time) }
            }
            run.log.append((run.elapsed, String(format: "percentage done: %.2f%% (%d/%d groups)", Double(number + 1) * 100 / Double(groups.count), number + 1, groups.count)))
        }
        run.groups += groups.count
        if job.removeVanished == true {
            // Groups the source no longer lists (or may no longer be read) go too, even when
            // other groups failed; only those the filters select and the job may remove.
            let listed = Set(all)
            let vanished = Set(node(plan.target).snapshots.filter {
                $0.ns == targetNs && !listed.contains($0.group) && plan.removable($0.owner) && GroupFilter.selects(filters, type: $0.type, id: $0.id)
            }.map(\.group)).sorted()
            for group in vanished { run.log.append((run.elapsed, "delete vanished group '\(group)'")) }
            self[plan.target].snapshots.removeAll { $0.ns == targetNs && vanished.contains($0.group) }
        }
    }

    /// With remove-vanished, the target's namespaces below the job's (to its depth) that the
    /// source no longer has go with every snapshot in them (`check_and_remove_vanished_ns`),
    /// when the writer holds Datastore.Modify on their parent; otherwise the run fails.
    private mutating func removeVanishedNamespaces(below base: String, depth: Int, keeping synced: Set<String>, store: String,
                                                   plan: SyncPlan, _ run: inout SyncProgress) {
        let local = node(plan.target).namespaces.filter { ns in
            guard let rest = LabNamespaces.relative(ns, to: base), !rest.isEmpty, LabNamespaces.depth(rest) <= depth else { return false }
            let path = LabNamespaces.aclPath(store, ns)
            return plan.writer?.has("Datastore.Backup", on: path) == true || plan.writer?.has("Datastore.Audit", on: path) == true
        }
        for ns in local.sorted(by: { $0.count > $1.count }) where !synced.contains(ns) {
            let path = LabNamespaces.aclPath(store, LabNamespaces.parent(ns))
            guard plan.writer?.has("Datastore.Modify", on: path) == true else {
                run.log.append((run.elapsed, "Failed to remove namespace \(ns) - Removing \(ns) not allowed - permission check failed - missing Datastore.Modify on \(path)"))
                run.errors += 1
                continue
            }
            self[plan.target].snapshots.removeAll { LabNamespaces.relative($0.ns, to: ns) != nil }
            self[plan.target].createdNamespaces?.removeAll { LabNamespaces.relative($0, to: ns) != nil }
            run.log.append((run.elapsed, "Removed namespace \(ns)"))
        }
    }

    /// The node a sync job's remote reaches and the remote's auth-id there, or why the run
    /// fails before it reads anything. A pull reads the remote store (Datastore.Audit or
    /// .Backup), a push writes it (Datastore.Backup).
    private func reachRemote(of job: SyncJob, on role: NodeRole) -> Result<(NodeRole, LabCaller), TaskFailure> {
        guard let name = job.remote, let remote = node(role).remotes.first(where: { $0.config.name == name }) else {
            return .failure(TaskFailure("remote '\(job.remote ?? "")' does not exist.", 0, nil))
        }
        guard let other = pbsNode(server: remote.config.host, port: remote.config.port ?? 8007), other != role, node(other).mode != .down else {
            return .failure(TaskFailure("error trying to connect: tcp connect error: Connection refused (os error 111)", 1, nil))
        }
        guard node(other).mode != .hang else {
            return .failure(TaskFailure("error trying to connect: operation timed out", 60, "could not query remote for namespaces: connection timed out"))
        }
        // The TLS client trusts the fingerprint or nothing: a renewed certificate fails here.
        if let pinned = remote.config.fingerprint, pinned.lowercased() != node(other).fingerprint.lowercased() {
            return .failure(TaskFailure("error trying to connect: error:0A000086:SSL routines:tls_post_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:2092:", 1, nil))
        }
        let header = "PBSAPIToken=\(remote.config.authID):\(remote.password)"
        guard let caller = LabAccess.authenticate(header, tokens: node(other).tokens, users: node(other).users) else {
            return .failure(TaskFailure("authentication failed - invalid credentials", 3, nil))
        }
        let path = "/datastore/\(job.remoteStore)"
        let pushing = job.syncDirection == "push"
        guard pushing ? caller.has("Datastore.Backup", on: path) : caller.has("Datastore.Audit", on: path) || caller.has("Datastore.Backup", on: path) else {
            let message = "permission check failed - missing \(pushing ? "Datastore.Backup" : "Datastore.Audit|Datastore.Backup") on \(path)"
            return .failure(TaskFailure(message, 1, "could not query remote for namespaces: \(message)"))
        }
        guard job.remoteStore == node(other).datastore else {
            return .failure(TaskFailure("no such datastore '\(job.remoteStore)'", 1, "could not query remote for namespaces: no such datastore '\(job.remoteStore)'"))
        }
        if let refusal = node(other).maintenanceRefusal(writing: pushing) {
            return .failure(TaskFailure(refusal, 1, "could not query remote for namespaces: \(refusal)"))
        }
        return .success((other, caller))
    }

    /// Who reads, who writes and who owns what a run copies, by direction. Pull: the remote's
    /// auth-id reads the remote store (everything with Datastore.Read, else its own groups);
    /// copied groups belong to the job's `owner` (default `root@pam`), which needs
    /// Datastore.Backup here; an existing group must have exactly that owner (`pull.rs`
    /// compares strictly). Push: the job's `owner` scopes what is read here; pushed groups
    /// belong to the remote's auth-id, and an existing one must pass the backup owner rule.
    private func syncPlan(_ job: SyncJob, on role: NodeRole, remote: (role: NodeRole, caller: LabCaller)) -> Result<SyncPlan, TaskFailure> {
        let jobOwner = job.owner ?? "root@pam"
        guard job.store == node(role).datastore else { return .failure(TaskFailure("no such datastore '\(job.store)'", 0, nil)) }
        if job.syncDirection == "push" {
            guard let local = principal(role, jobOwner) else {
                return .failure(TaskFailure("permission check failed - '\(jobOwner)' does not exist", 0, nil))
            }
            let path = "/datastore/\(job.store)"
            let readsAll = local.has("Datastore.Read", on: path)
            guard readsAll || local.has("Datastore.Backup", on: path) else {
                return .failure(TaskFailure("permission check failed - missing Datastore.Read|Datastore.Backup on \(path)", 0, nil))
            }
            if let refusal = node(remote.role).maintenanceRefusal(writing: true) { return .failure(TaskFailure(refusal, 0, nil)) }
            let writer = remote.caller
            return .success(SyncPlan(source: role, target: remote.role, readable: { readsAll || local.owns($0.owner) }, newOwner: writer.authID,
                                     refusesGroup: { writer.owns($0) ? nil : "backup owner check failed (\(writer.authID) != \($0))" },
                                     removable: { writer.owns($0) }, writer: writer))
        }
        if let refusal = node(role).maintenanceRefusal(writing: true) { return .failure(TaskFailure(refusal, 0, nil)) }
        if let refusal = ownerRefusal(role, owner: jobOwner) {
            return .failure(TaskFailure("Cannot sync datastore '\(job.remoteStore)' into '\(job.store)' - sync into '\(job.store)' not allowed - \(refusal)", 0, nil))
        }
        let reader = remote.caller
        let readsAll = reader.has("Datastore.Read", on: "/datastore/\(job.remoteStore)")
        // Removal uses the backup rule, not the pull's strict one: a token of the owner counts.
        let owner = LabCaller(authID: jobOwner, acl: [], ownerACL: nil)
        return .success(SyncPlan(source: remote.role, target: role, readable: { readsAll || reader.owns($0.owner) }, newOwner: jobOwner,
                                 refusesGroup: { $0 == jobOwner ? nil : "owner check failed (\(jobOwner) != \($0))" },
                                 removable: { owner.owns($0) }, writer: principal(role, jobOwner)))
    }
}

/// One sync run's sides and ownership rules (see `syncPlan`).
struct SyncPlan {
    let source: NodeRole
    let target: NodeRole
    /// Whether a source snapshot may be read by the run.
    let readable: (LabSnapshot) -> Bool
    /// Who owns the groups the run creates on the target.
    let newOwner: String
    /// Why the run may not write into a target group with this owner; nil when it may.
    let refusesGroup: (String) -> String?
    /// Whether remove-vanished may delete a target group with this owner.
    let removable: (String) -> Bool
    /// Who writes on the target (pull: the job's owner; push: the remote's auth-id): namespaces
    /// are made and removed with its Datastore.Modify on their parent.
    let writer: LabCaller?
}

/// A sync run's log and tallies as it goes through namespaces and groups.
struct SyncProgress {
    /// How fast the lab copies: 180 MiB/s.
    static let rate: Int64 = 180 << 20
    let start: Int64
    var log: [(Int64, String)]
    var elapsed: Int64 = 1
    var bytes: Int64 = 0
    var copied = 0
    var groups = 0
    var errors = 0
    var lastGroup: String?
}

/// Why a task (a pull, a vzdump) ends before it does its work: the task's error, after how
/// many seconds, and a log line before it.
struct TaskFailure: Error {
    let message: String
    let seconds: Int64
    let detail: String?

    init(_ message: String, _ seconds: Int64, _ detail: String?) {
        self.message = message
        self.seconds = seconds
        self.detail = detail
    }
}
