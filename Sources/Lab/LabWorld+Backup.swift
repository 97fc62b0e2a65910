import PairEngine
import ProxmoxAPI

extension LabWorld {
    /// A PVE host's backup job: every guest backs up, one after another, to the PBS its
    /// storage entry points at. Nothing lands when that PBS is down or refuses writes.
    mutating func runBackups(host index: Int, at time: Int64) {
        let host = pve[index]
        guard let role = target(of: host.storage), node(role).mode == .up, node(role).maintenanceRefusal(writing: true) == nil else { return }
        var cursor = time
        for guest in host.guests {
            let seed = Self.mix(Int64(guest.vmid) &* 7919 &+ time)
            // A daily change rate of a few percent, with some variation.
            let changed = guest.diskBytes / 100 * Int64(1 + seed % 4)
            let isFirst = !node(role).snapshots.contains { $0.type == guest.backupType && $0.id == String(guest.vmid) }
            let newBytes = isFirst ? guest.diskBytes * 6 / 10 : changed / 3
            let duration = 30 + changed / (200 << 20)
            let snapshot = LabSnapshot(type: guest.backupType, id: String(guest.vmid), time: cursor, finished: cursor + duration,
                                       size: guest.diskBytes, newBytes: newBytes, owner: host.backupUser)
            self[role].snapshots.append(snapshot)
            let stamp = Timestamps.rfc3339(cursor)
            addTask(role, type: "backup", id: "\(node(role).datastore):\(guest.backupType)/\(guest.vmid)", user: host.backupUser,
                    start: cursor, duration: duration, status: "OK", lines: [
                        (0, "starting new backup on datastore '\(node(role).datastore)' from ::ffff:10.0.0.\(10 + index): \"\(guest.backupType)/\(guest.vmid)/\(stamp)\""),
                        (1, "download 'index.json' from previous backup."),
                        (duration - 1, "backup ended and finish successful"),
                        (duration, "TASK OK"),
                    ])
            cursor += duration + 15
        }
    }

    /// Which lab PBS a storage entry points at, if any.
    func target(of storage: PVEStorage) -> NodeRole? {
        for role in NodeRole.allCases where storage.port == node(role).port && storage.datastore == node(role).datastore {
            return role
        }
        return nil
    }
}
