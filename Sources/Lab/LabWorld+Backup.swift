import PairEngine
import ProxmoxAPI

extension LabWorld {
    /// Runs a scheduled backup job as PVE's scheduler does (`root@pam`): on each node with
    /// guests the job covers, one vzdump task into the job's storage.
    mutating func runBackupJob(host index: Int, job id: String, at time: Int64) {
        guard let job = pve[index].jobs.first(where: { $0.config.id == id })?.config else { return }
        let listed = Set((job.vmid ?? "").split(separator: ",").compactMap { Int($0) })
        for node in pve[index].nodes where job.node == nil || job.node == node {
            let guests = pve[index].guests.filter { $0.node == node && (job.all == 1 || listed.contains($0.vmid)) }
            guard !guests.isEmpty else { continue }
            vzdump(host: index, node: node, guests: guests, storage: job.storage ?? "local", user: "root@pam", at: time)
        }
    }

    /// One vzdump task on a node: activate the storage (reach the PBS its pbs: entry names,
    /// with the entry's fingerprint, token and secret, and find the datastore), then back up
    /// each guest, one after another, meeting PBS's rules (`backupRefusal`). Logs in vzdump's
    /// words; ends `OK` or `job errors`, or with the activation error. Answers the UPID.
    @discardableResult
    mutating func vzdump(host index: Int, node: String, guests: [LabGuest], storage id: String, user: String, at start: Int64) -> String {
        var log: [(Int64, String)] = [(0, "INFO: starting new backup job: vzdump \(guests.map { String($0.vmid) }.joined(separator: " ")) --storage \(id) --mode snapshot --node \(node)")]
        var cursor: Int64 = 0
        var failed = 0
        func finish(_ status: String) -> String {
            if status != "OK" && status != "job errors" { log.append((cursor, "TASK ERROR: \(status)")) }
            return addPVETask(host: index, node: node, type: "vzdump", id: guests.count == 1 ? String(guests[0].vmid) : "", user: user,
                              start: start, duration: cursor, status: status, lines: log)
        }
        let activation = activate(host: index, storage: id)
        guard case .success(let (role, entry)) = activation else {
            if case .failure(let refusal) = activation { cursor = refusal.seconds; return finish(refusal.message) }
            return finish("unexpected status")
        }
        let secret = pve[index].passwords[id] ?? ""
        let authID = entry.username ?? "root@pam"
        for guest in guests {
            let group = "\(guest.backupType)/\(guest.vmid)"
            let stamp = Timestamps.rfc3339(start + cursor)
            log.append((cursor, "INFO: Starting Backup of VM \(guest.vmid) (\(guest.kind))"))
            if let refusal = backupRefusal(role, authID: authID, secret: secret, group: group) {
                log.append((cursor, "ERROR: Backup of VM \(guest.vmid) failed - \(refusal)"))
                failed += 1
                cursor += 2
                continue
            }
            log.append((cursor, "INFO: creating Proxmox Backup Server archive '\(group)/\(stamp)'"))
            let duration = backUp(guest, to: role, as: authID, at: start + cursor, from: index)
            cursor += duration
            log.append((cursor, String(format: "INFO: Finished Backup of VM %d (%02d:%02d:%02d)", guest.vmid, duration / 3600, duration / 60 % 60, duration % 60)))
            cursor += 15
        }
        log.append((cursor, failed == 0 ? "INFO: Backup job finished successfully" : "INFO: Backup job finished with errors"))
        log.append((cursor, failed == 0 ? "TASK OK" : "TASK ERROR: job errors"))
        return finish(failed == 0 ? "OK" : "job errors")
    }

    /// Writes one guest's snapshot on a PBS node with its `backup` task; answers how long it took.
    private mutating func backUp(_ guest: LabGuest, to role: NodeRole, as authID: String, at time: Int64, from host: Int) -> Int64 {
        let group = "\(guest.backupType)/\(guest.vmid)"
        let seed = Self.mix(Int64(guest.vmid) &* 7919 &+ time)
        // A daily change rate of a few percent, with some variation.
        let changed = guest.diskBytes / 100 * Int64(1 + seed % 4)
        let isFirst = !node(role).snapshots.contains { $0.ns.isEmpty && $0.group == group }
        let newBytes = isFirst ? guest.diskBytes * 6 / 10 : changed / 3
        let duration = 30 + changed / (200 << 20)
        let owner = node(role).snapshots.first { $0.ns.isEmpty && $0.group == group }?.owner ?? authID
        self[role].snapshots.append(LabSnapshot(type: guest.backupType, id: String(guest.vmid), time: time, finished: time + duration,
                                                size: guest.diskBytes, newBytes: newBytes, owner: owner))
        addTask(role, type: "backup", id: "\(node(role).datastore):\(group)", user: authID, start: time, duration: duration, status: "OK", lines: [
            (0, "starting new backup on datastore '\(node(role).datastore)' from ::ffff:10.0.0.\(10 + host): \"\(group)/\(Timestamps.rfc3339(time))\""),
            (1, "download 'index.json' from previous backup."),
            (duration - 1, "backup ended and finish successful"),
            (duration, "TASK OK"),
        ])
        return duration
    }

    /// What PVE's PBS plugin does before a backup or a status query: the entry exists and is
    /// a pbs: entry, its server answers with the pinned certificate, and the datastore is in
    /// the list the entry's token sees. The failure is in PVE's words, with its duration.
    func activate(host index: Int, storage id: String) -> Result<(NodeRole, PVEStorage), TaskFailure> {
        let host = pve[index]
        if case .failure(let error) = host.parsedStorage {
            return .failure(TaskFailure("storage '\(id)' does not exist (storage.cfg unreadable: \(error))", 0, nil))
        }
        guard let entry = host.storage(id) else { return .failure(TaskFailure("storage '\(id)' does not exist", 0, nil)) }
        guard entry.type == "pbs" else { return .failure(TaskFailure("storage '\(id)' is of type \(entry.type), not a Proxmox Backup Server", 0, nil)) }
        let server = entry.server ?? "", port = entry.port ?? 8007
        func cannot(_ reason: String, after seconds: Int64 = 1) -> Result<(NodeRole, PVEStorage), TaskFailure> {
            .failure(TaskFailure("could not activate storage '\(id)': \(id): error fetching datastores - 500 Can't connect to \(server):\(port) (\(reason))", seconds, nil))
        }
        guard let role = pbsNode(server: server, port: port), node(role).mode != .down else { return cannot("Connection refused") }
        guard node(role).mode != .hang, !faults.pveBlocked.contains(role) else { return cannot("Connection timed out", after: 30) }
        guard let pinned = entry.fingerprint, pinned.lowercased() == node(role).fingerprint.lowercased() else {
            return cannot("certificate verify failed")
        }
        let header = "PBSAPIToken=\(entry.username ?? ""):\(host.passwords[id] ?? "")"
        guard let caller = LabAccess.authenticate(header, tokens: node(role).tokens, users: node(role).users) else {
            return .failure(TaskFailure("could not activate storage '\(id)': \(id): error fetching datastores - 401 Unauthorized", 3, nil))
        }
        let store = node(role).datastore
        guard entry.datastore == store,
              caller.has("Datastore.Audit", on: "/datastore/\(store)") || caller.has("Datastore.Backup", on: "/datastore/\(store)") else {
            return .failure(TaskFailure("could not activate storage '\(id)': \(id): Cannot find datastore '\(entry.datastore ?? "")', check permissions and existence!", 1, nil))
        }
        return .success((role, entry))
    }

    /// Why PBS refuses `authID` a backup into `group`, in PBS's words, before any data moves:
    /// unknown token or wrong secret (401), no Datastore.Backup (403), a read-only or offline
    /// datastore, or the backup owner rule (`upgrade_to_backup_protocol`: the owner is the
    /// caller, or a token of the calling user).
    func backupRefusal(_ role: NodeRole, authID: String, secret: String, group: String) -> String? {
        let node = self.node(role)
        guard let caller = LabAccess.authenticate("PBSAPIToken=\(authID):\(secret)", tokens: node.tokens, users: node.users) else {
            return "authentication failed - invalid credentials"
        }
        guard caller.has("Datastore.Backup", on: "/datastore/\(node.datastore)") else {
            return "permission check failed - missing Datastore.Backup on /datastore/\(node.datastore)"
        }
        if let refusal = node.maintenanceRefusal(writing: true) { return refusal }
        if let owner = node.snapshots.first(where: { $0.ns.isEmpty && $0.group == group })?.owner, !caller.owns(owner) {
            return "backup owner check failed (\(authID) != \(owner))"
        }
        return nil
    }

    /// The lab PBS listening at `server`:`port`, if any.
    func pbsNode(server: String, port: Int) -> NodeRole? {
        guard ["127.0.0.1", "localhost"].contains(server) else { return nil }
        return NodeRole.allCases.first { node($0).port == port }
    }

    /// Which lab PBS a storage entry points at, if any (for `lab ctl show pve`).
    func target(of storage: PVEStorage) -> NodeRole? {
        pbsNode(server: storage.server ?? "", port: storage.port ?? 8007)
    }

    /// Adds a finished task to a PVE host and answers its UPID (PVE's layout: no counter).
    mutating func addPVETask(host index: Int, node: String, type: String, id: String, user: String, start: Int64,
                             duration: Int64, status: String, lines: [(Int64, String)]) -> String {
        pve[index].taskCounter += 1
        let upid = UPID.pve(node: node, pid: 0x3A100 + UInt32(truncatingIfNeeded: pve[index].taskCounter), pstart: 0x1C2D3E4,
                            startTime: start, workerType: type, workerID: id, authID: user)
        pve[index].tasks.append(LabTask(upid: upid.raw, start: start, end: start + max(1, duration), status: status,
                                        lines: lines.map(\.1), offsets: lines.map { min($0.0, max(1, duration)) }))
        if pve[index].tasks.count > 2000 { pve[index].tasks.removeFirst(pve[index].tasks.count - 2000) }
        return upid.raw
    }
}
