import PairEngine
import ProxmoxAPI

extension LabWorld {
    /// The secondary's pull job: for each group on the primary, copy the snapshots newer
    /// than the newest one already on the secondary (older gaps are skipped, as PBS does),
    /// remove vanished snapshots when configured, and log it the way PBS 3.3–4.1 does.
    /// `user` is who started the run: `root@pam` for the scheduler, the caller for a manual run.
    mutating func runSync(at start: Int64, trigger: String, user: String = "root@pam") {
        guard let job = secondary.syncJob else { return }
        let workerID = "\(job.remote ?? "-"):\(job.remoteStore):\(job.store)::\(job.id)"
        var log: [(Int64, String)] = [
            (0, "Starting datastore sync job '\(workerID)'"),
            (0, "task triggered by \(trigger)"),
            (0, "sync datastore '\(job.store)' from '\(job.remote ?? "-")/\(job.remoteStore)'"),
            (0, "----"),
        ]
        func fail(_ message: String, after seconds: Int64) {
            log.append((seconds, "TASK ERROR: \(message)"))
            addTask(.secondary, type: "syncjob", id: workerID, user: user, start: start, duration: seconds, status: message, lines: log)
        }
        guard primary.mode != .down else {
            fail("error trying to connect: tcp connect error: Connection refused (os error 111)", after: 1)
            return
        }
        guard primary.mode != .hang else {
            log.append((1, "could not query remote for namespaces: connection timed out"))
            fail("error trying to connect: operation timed out", after: 60)
            return
        }
        if let refusal = secondary.maintenanceRefusal(writing: true) {
            fail(refusal, after: 0)
            return
        }
        if let refusal = primary.maintenanceRefusal(writing: false) {
            log.append((0, "could not query remote for namespaces: \(refusal)"))
            fail("\(refusal)", after: 1)
            return
        }
        log.append((0, "Syncing datastore '\(job.remoteStore)', root namespace into datastore '\(job.store)', root namespace"))
        let source = primary.snapshots.filter { $0.finished <= start }
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
            let present = secondary.snapshots.filter { $0.group == group }
            // PBS's pull compares owners strictly (`lock_and_pull_group`): a group owned by
            // anyone but the job's owner fails, whatever the backup rule would allow.
            let jobOwner = job.owner ?? "root@pam"
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
                if let local = secondary.snapshots.firstIndex(where: { $0.group == group && $0.time == newest }),
                   secondary.snapshots[local].verification != resync.verification {
                    secondary.snapshots[local].verification = resync.verification
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
                copy.owner = job.owner ?? "root@pam"
                copy.corrupt = false
                copy.finished = start + elapsed
                secondary.snapshots.append(copy)
                bytes += snapshot.newBytes
                copiedCount += 1
            }
            log.append((elapsed, String(format: "percentage done: %.2f%% (%d/%d groups)", Double(number + 1) * 100 / Double(groups.count), number + 1, groups.count)))
        }
        if job.removeVanished == true && !faults.syncFails {
            let keep = Set(source.map { "\($0.group)/\($0.time)" })
            // Removal uses the backup rule, not the pull's strict one: a token of the owner counts.
            let owner = job.owner ?? "root@pam"
            let owned = { (candidate: String) in candidate == owner || (!owner.contains("!") && candidate.hasPrefix(owner + "!")) }
            let vanished = secondary.snapshots.filter { !keep.contains("\($0.group)/\($0.time)") && owned($0.owner) }
            for snapshot in vanished { log.append((elapsed, "delete vanished snapshot \(snapshot.name)")) }
            secondary.snapshots.removeAll { vanished.map(\.name).contains($0.name) }
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
        addTask(.secondary, type: "syncjob", id: workerID, user: user, start: start, duration: elapsed, status: status, lines: log)
    }
}
