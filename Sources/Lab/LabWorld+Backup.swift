import PairEngine
import ProxmoxAPI

extension LabWorld {
    /// A PVE host's backup job: every guest backs up, one after another, to the PBS its
    /// storage entry points at, authenticating as the entry's `username`. Nothing lands when
    /// that PBS is down or refuses writes; a guest PBS refuses (unknown token, no
    /// Datastore.Backup, a group owned by someone else) gets no snapshot, and the refusal is
    /// kept on the host as PVE's vzdump log would show it (`lab ctl show pve`).
    mutating func runBackups(host index: Int, at time: Int64) {
        let host = pve[index]
        guard let role = target(of: host.storage), node(role).mode == .up, node(role).maintenanceRefusal(writing: true) == nil else { return }
        var cursor = time
        var refusals: [String] = []
        for guest in host.guests {
            let group = "\(guest.backupType)/\(guest.vmid)"
            if let refusal = backupRefusal(role, authID: host.storage.username ?? "root@pam", group: group) {
                refusals.append("\(Timestamps.rfc3339(cursor)) ERROR: Backup of VM \(guest.vmid) failed - \(refusal)")
                cursor += 2
                continue
            }
            let seed = Self.mix(Int64(guest.vmid) &* 7919 &+ time)
            // A daily change rate of a few percent, with some variation.
            let changed = guest.diskBytes / 100 * Int64(1 + seed % 4)
            let isFirst = !node(role).snapshots.contains { $0.group == group }
            let newBytes = isFirst ? guest.diskBytes * 6 / 10 : changed / 3
            let duration = 30 + changed / (200 << 20)
            let owner = node(role).snapshots.first { $0.group == group }?.owner ?? host.storage.username ?? "root@pam"
            let snapshot = LabSnapshot(type: guest.backupType, id: String(guest.vmid), time: cursor, finished: cursor + duration,
                                       size: guest.diskBytes, newBytes: newBytes, owner: owner)
            self[role].snapshots.append(snapshot)
            let stamp = Timestamps.rfc3339(cursor)
            addTask(role, type: "backup", id: "\(node(role).datastore):\(group)", user: host.storage.username ?? "root@pam",
                    start: cursor, duration: duration, status: "OK", lines: [
                        (0, "starting new backup on datastore '\(node(role).datastore)' from ::ffff:10.0.0.\(10 + index): \"\(group)/\(stamp)\""),
                        (1, "download 'index.json' from previous backup."),
                        (duration - 1, "backup ended and finish successful"),
                        (duration, "TASK OK"),
                    ])
            cursor += duration + 15
        }
        pve[index].refusals = refusals.isEmpty ? nil : refusals
    }

    /// Why PBS refuses `authID` a backup into `group`, in PBS's words, before any data moves:
    /// unknown token (401), no Datastore.Backup (403), or the backup owner rule
    /// (`upgrade_to_backup_protocol`: the owner is the caller, or a token of the calling user).
    func backupRefusal(_ role: NodeRole, authID: String, group: String) -> String? {
        let node = self.node(role)
        guard let token = node.tokens.first(where: { $0.authID == authID }),
              let caller = LabAccess.authenticate("PBSAPIToken=\(token.authID):\(token.secret)", tokens: node.tokens, users: node.users) else {
            return "authentication failed - invalid credentials"
        }
        guard caller.has("Datastore.Backup", on: "/datastore/\(node.datastore)") else {
            return "permission check failed - missing Datastore.Backup on /datastore/\(node.datastore)"
        }
        if let owner = node.snapshots.first(where: { $0.group == group })?.owner, !caller.owns(owner) {
            return "backup owner check failed (\(authID) != \(owner))"
        }
        return nil
    }

    /// Which lab PBS a storage entry points at, if any.
    func target(of storage: PVEStorage) -> NodeRole? {
        for role in NodeRole.allCases where storage.port == node(role).port && storage.datastore == node(role).datastore {
            return role
        }
        return nil
    }
}
