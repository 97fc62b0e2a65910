import PairEngine
import ProxmoxAPI

extension LabWorld {
    /// Runs a pull job on `role`: reach the node its remote names with the remote's
    /// credentials, then for each group the remote's auth-id may read copy the snapshots newer
    /// than the newest one already here (older gaps are skipped, as PBS does), remove vanished
    /// snapshots when configured, and log it the way PBS 3.3–4.1 does. `user` is who started
    /// the run: `root@pam` for the scheduler, the caller for a manual run.
    mutating func runSync(_ role: NodeRole, job: SyncJob, at start: Int64, trigger: String, user: String = "root@pam") {
        let workerID = "\(job.remote ?? "-"):\(job.remoteStore):\(job.store)::\(job.id)"
        var log: [(Int64, String)] = [
            (0, "Starting datastore sync job '\(workerID)'"),
            (0, "task triggered by \(trigger)"),
            (0, "sync datastore '\(job.store)' from '\(job.remote ?? "-")/\(job.remoteStore)'"),
            (0, "----"),
        ]
        func fail(_ message: String, after seconds: Int64) {
            log.append((seconds, "TASK ERROR: \(message)"))
            addTask(role, type: "syncjob", id: workerID, user: user, start: start, duration: seconds, status: message, lines: log)
        }
        let sourceRole: NodeRole, reader: LabCaller
        switch reachSource(of: job, on: role) {
        case .success(let reached): (sourceRole, reader) = reached
        case .failure(let refusal):
            if let detail = refusal.detail { log.append((1, detail)) }
            fail(refusal.message, after: refusal.seconds)
            return
        }
        guard job.store == node(role).datastore else {
            fail("no such datastore '\(job.store)'", after: 0)
            return
        }
        if let refusal = node(role).maintenanceRefusal(writing: true) {
            fail(refusal, after: 0)
            return
        }
        let jobOwner = job.owner ?? "root@pam"
        if let refusal = ownerRefusal(role, owner: jobOwner) {
            fail("Cannot sync datastore '\(job.remoteStore)' into '\(job.store)' - sync into '\(job.store)' not allowed - \(refusal)", after: 0)
            return
        }
        let target = node(role)
        let sourceNode = node(sourceRole)
        log.append((0, "Syncing datastore '\(job.remoteStore)', root namespace into datastore '\(job.store)', root namespace"))
        // The remote's auth-id reads every group with Datastore.Read, only its own with Datastore.Backup.
        let readsAll = reader.has("Datastore.Read", on: "/datastore/\(job.remoteStore)")
        let source = sourceNode.snapshots.filter { $0.finished <= start && (readsAll || reader.owns($0.owner)) }
        let groups = Array(Set(source.map(\.group))).sorted()
        log.append((0, "found \(groups.count) groups to sync (out of \(groups.count) total)"))
        var elapsed: Int64 = 1
        var bytes: Int64 = 0
        var copiedCount = 0
        var failedGroups = 0
        let rate: Int64 = 180 << 20
        for (number, group) in groups.enumerated() {
            if faults.syncFails {
                log.append((elapsed, "sync group \(group) failed - connection error: Connection reset by peer (os error 104)"))
                failedGroups += 1
                elapsed += 1
                continue
            }
            let wanted = source.filter { $0.group == group }.sorted { $0.time < $1.time }
            let present = target.snapshots.filter { $0.group == group }
            // PBS's pull compares owners strictly (`lock_and_pull_group`): a group owned by
            // anyone but the job's owner fails, whatever the backup rule would allow.
            if let owner = present.first?.owner, owner != jobOwner {
                log.append((elapsed, "sync group \(group) failed - owner check failed (\(jobOwner) != \(owner))"))
                failedGroups += 1
                continue
            }
            let newest = present.map(\.time).max() ?? Int64.min
            let older = wanted.filter { $0.time < newest && !present.map(\.time).contains($0.time) }
            if let first = older.first, let last = older.last {
                log.append((elapsed, "skipped: \(older.count) snapshot(s) (\(Timestamps.rfc3339(first.time)) .. \(Timestamps.rfc3339(last.time))) - older than the newest snapshot present on sync target"))
            }
            if let resync = wanted.last(where: { $0.time == newest }) {
                // The newest snapshot is always pulled again; a manifest that differs (a
                // verify state written on either side) is replaced by the source's.
                log.append((elapsed, "re-sync snapshot \(resync.name)"))
                if let local = node(role).snapshots.firstIndex(where: { $0.group == group && $0.time == newest }),
                   node(role).snapshots[local].verification != resync.verification {
                    self[role].snapshots[local].verification = resync.verification
                    log.append((elapsed, "sync archive index.json.blob"))
                } else {
                    log.append((elapsed, "no data changes"))
                }
            }
            for snapshot in wanted where snapshot.time > newest {
                log.append((elapsed, "sync snapshot \(snapshot.name)"))
                log.append((elapsed, "sync archive \(snapshot.type == "vm" ? "qemu-server.conf.blob" : "pct.conf.blob")"))
                log.append((elapsed, "sync archive \(snapshot.type == "vm" ? "drive-scsi0.img.fidx" : "root.pxar.didx")"))
                let seconds = max(1, snapshot.newBytes / rate)
                elapsed += seconds
                log.append((elapsed, "downloaded \(Bytes.format(snapshot.newBytes)) (\(Bytes.format(rate))/s)"))
                log.append((elapsed, "got backup log file \"client.log.blob\""))
                log.append((elapsed, "sync snapshot \(snapshot.name) done"))
                // The manifest travels byte for byte, the source's verify state included.
                var copy = snapshot
                copy.owner = jobOwner
                copy.corrupt = false
                copy.finished = start + elapsed
                self[role].snapshots.append(copy)
                bytes += snapshot.newBytes
                copiedCount += 1
            }
            if job.removeVanished == true {
                // After a clean pull of the group, its snapshots the source no longer has go.
                let kept = Set(wanted.map(\.time))
                let vanished = node(role).snapshots.filter { $0.group == group && !kept.contains($0.time) }
                for snapshot in vanished { log.append((elapsed, "delete vanished snapshot \(snapshot.name)")) }
                self[role].snapshots.removeAll { $0.group == group && !kept.contains($0.time) }
            }
            log.append((elapsed, String(format: "percentage done: %.2f%% (%d/%d groups)", Double(number + 1) * 100 / Double(groups.count), number + 1, groups.count)))
        }
        if job.removeVanished == true {
            // Groups the source no longer lists (or the remote's auth-id may no longer read) go
            // too, even when other groups failed; only those of the job's owner, by the backup
            // rule rather than the pull's strict one: a token of the owner counts.
            let owned = { (candidate: String) in candidate == jobOwner || (!jobOwner.contains("!") && candidate.hasPrefix(jobOwner + "!")) }
            let listed = Set(groups)
            let vanished = Set(node(role).snapshots.filter { !listed.contains($0.group) && owned($0.owner) }.map(\.group)).sorted()
            for group in vanished { log.append((elapsed, "delete vanished group '\(group)'")) }
            self[role].snapshots.removeAll { vanished.contains($0.group) }
        }
        // Every 31st hour in the older history: irregular across the day, never the last day.
        let warns = faults.syncWarns || (start < noisyHistoryEnd && (start / 3600) % 31 == 7)
        if warns, failedGroups == 0, let group = groups.last {
            log.append((elapsed, "Failed to collect reusable chunk from last backup: \(group) - chunk store busy, continuing without reuse"))
        }
        log.append((elapsed, "Finished syncing root namespace, current progress: \(groups.count) groups, \(copiedCount) snapshots"))
        if failedGroups > 0 {
            fail("sync failed with some errors.", after: elapsed)
            return
        }
        log.append((elapsed, bytes == 0 ? "Summary: sync job found no new data to pull"
                    : "Summary: sync job pulled \(Bytes.format(bytes)) in \(bytes / (4 << 20)) chunks (average rate: \(Bytes.format(rate))/s)"))
        log.append((elapsed, "sync job '\(workerID)' end"))
        let status = warns ? "WARNINGS: 1" : "OK"
        log.append((elapsed, warns ? "TASK WARNINGS: 1" : "TASK OK"))
        addTask(role, type: "syncjob", id: workerID, user: user, start: start, duration: elapsed, status: status, lines: log)
    }

    /// The node a pull job's remote reaches and the remote's auth-id there, or why the run
    /// fails before it reads anything: (task error, seconds, an extra log line).
    private func reachSource(of job: SyncJob, on role: NodeRole) -> Result<(NodeRole, LabCaller), TaskFailure> {
        guard let name = job.remote, let remote = node(role).remotes.first(where: { $0.config.name == name }) else {
            return .failure(TaskFailure("remote '\(job.remote ?? "")' does not exist.", 0, nil))
        }
        let port = remote.config.port ?? 8007
        guard let source = NodeRole.allCases.first(where: { $0 != role && node($0).port == port && ["127.0.0.1", "localhost"].contains(remote.config.host) }),
              node(source).mode != .down else {
            return .failure(TaskFailure("error trying to connect: tcp connect error: Connection refused (os error 111)", 1, nil))
        }
        guard node(source).mode != .hang else {
            return .failure(TaskFailure("error trying to connect: operation timed out", 60, "could not query remote for namespaces: connection timed out"))
        }
        // The TLS client trusts the fingerprint or nothing: a renewed certificate fails here.
        if let pinned = remote.config.fingerprint, pinned.lowercased() != node(source).fingerprint.lowercased() {
            return .failure(TaskFailure("error trying to connect: error:0A000086:SSL routines:tls_post_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:2092:", 1, nil))
        }
        let header = "PBSAPIToken=\(remote.config.authID):\(remote.password)"
        guard let reader = LabAccess.authenticate(header, tokens: node(source).tokens, users: node(source).users) else {
            return .failure(TaskFailure("authentication failed - invalid credentials", 3, nil))
        }
        let path = "/datastore/\(job.remoteStore)"
        guard reader.has("Datastore.Audit", on: path) || reader.has("Datastore.Backup", on: path) else {
            let message = "permission check failed - missing Datastore.Audit|Datastore.Backup on \(path)"
            return .failure(TaskFailure(message, 1, "could not query remote for namespaces: \(message)"))
        }
        guard job.remoteStore == node(source).datastore else {
            return .failure(TaskFailure("no such datastore '\(job.remoteStore)'", 1, "could not query remote for namespaces: no such datastore '\(job.remoteStore)'"))
        }
        if let refusal = node(source).maintenanceRefusal(writing: false) {
            return .failure(TaskFailure(refusal, 1, "could not query remote for namespaces: \(refusal)"))
        }
        return .success((source, reader))
    }
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
