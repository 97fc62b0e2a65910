import PairEngine
import ProxmoxAPI

extension LabWorld {
    /// Sets how a node answers. A node that comes back starts the jobs it missed, as PBS does.
    mutating func setMode(_ name: String, _ mode: NodeMode) -> String? {
        if let role = NodeRole(rawValue: name) {
            self[role].mode = mode
            if mode != .down {
                let missed = node(role).missedWhileDown
                self[role].missedWhileDown = []
                for job in node(role).syncJobs where missed.contains(job.id) { runJob(.sync(role, job.id), at: now, missed: true) }
                if let verify = node(role).verifyJob, missed.contains(verify.id) { runJob(.verify(role), at: now, missed: true) }
            }
            return "\(name) is \(mode.rawValue)"
        }
        if let index = pve.firstIndex(where: { $0.name == name }) {
            // PVE's backup jobs do not repeat missed slots (repeat-missed is off by default):
            // a host that comes back waits for its next slot.
            if pve[index].mode == .down, mode != .down { pve[index].lastBackup = now }
            pve[index].mode = mode
            return "\(name) is \(mode.rawValue)"
        }
        return nil
    }

    /// Puts a node's datastore into a maintenance mode (`offline`, `read-only`) or out of it,
    /// the way `PUT /config/datastore/{name} maintenance-mode=…` does.
    mutating func setMaintenance(_ role: NodeRole, _ type: String?) -> String {
        self[role].maintenance = type.map { "type=\($0),message=set%20by%20lab%20ctl" }
        return "\(node(role).datastore) on \(role.rawValue): " + (type.map { "\($0) maintenance" } ?? "no maintenance")
    }

    /// Damages the `count` newest snapshots on a node; its next verify finds them.
    /// Snapshots that already verified ok are re-queued for verification (a lab shortcut:
    /// real PBS would not re-verify them before `outdated-after`).
    mutating func corrupt(_ role: NodeRole, count: Int) -> [String] {
        let order = node(role).snapshots.indices
            .filter { !node(role).snapshots[$0].corrupt }
            .sorted { node(role).snapshots[$0].time > node(role).snapshots[$1].time }
            .prefix(count)
        for index in order {
            self[role].snapshots[index].corrupt = true
            self[role].snapshots[index].verification = nil
        }
        return order.map { node(role).snapshots[$0].name }
    }

    /// Runs every PVE host's backup job now.
    mutating func backupNow() -> Int {
        let before = primary.snapshots.count + secondary.snapshots.count
        for index in pve.indices where pve[index].mode != .down { runBackups(host: index, at: now) }
        return primary.snapshots.count + secondary.snapshots.count - before
    }

    /// Where each PVE host's storage entry points.
    func describePVE() -> String {
        pve.map { host in
            let target = target(of: host.storage).map(\.rawValue) ?? "other"
            return "\(host.name) (\(host.mode.rawValue)): \(host.storage.storage) -> \(target) "
                + "[\(host.storage.server ?? "?"):\(host.storage.port ?? 8007) datastore \(host.storage.datastore ?? "?")]"
                + (host.refusals ?? []).map { "\n  " + $0 }.joined()
        }.joined(separator: "\n")
    }

    /// One paragraph about the world, for `lab ctl status`.
    func describe() -> String {
        let nodes = NodeRole.allCases.map { role in
            let n = node(role)
            return "\(role.rawValue): \(n.mode.rawValue), port \(n.port), \(n.snapshots.count) snapshots, \(n.tasks.count) tasks"
        }
        return (["world time \(Timestamps.rfc3339(now)); sync \(faults.syncFails ? "failing (injected)" : faults.syncWarns ? "warning (injected)" : "healthy")"] + nodes)
            .joined(separator: "\n")
    }

    /// Records the port a node listens on and moves storage entries that pointed at its old port.
    mutating func bind(_ role: NodeRole, port: Int, fingerprint: Fingerprint) {
        let old = node(role).port
        for index in pve.indices where pve[index].storage.port == old && pve[index].storage.datastore == node(role).datastore {
            pve[index].storage.port = port
            pve[index].storage.fingerprint = fingerprint.description
        }
        self[role].port = port
        self[role].fingerprint = fingerprint.description
        for other in NodeRole.allCases {
            for index in node(other).remotes.indices where node(other).remotes[index].follows == role {
                self[other].remotes[index].config.port = port
                // A remote written before the node had a certificate takes the first one.
                if self[other].remotes[index].config.fingerprint == nil { self[other].remotes[index].config.fingerprint = fingerprint.description }
            }
        }
    }
}
