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
            if pve[index].mode == .down, mode != .down {
                for job in pve[index].jobs.indices { pve[index].jobs[job].lastRun = now }
            }
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

    /// Runs every PVE host's backup jobs now.
    mutating func backupNow() -> Int {
        let before = primary.snapshots.count + secondary.snapshots.count
        for index in pve.indices where pve[index].mode != .down {
            for job in pve[index].jobs where job.config.enabled != 0 { runBackupJob(host: index, job: job.config.id, at: now) }
        }
        return primary.snapshots.count + secondary.snapshots.count - before
    }

    /// Each PVE host's backup jobs, where their storage points, and the errors of its last
    /// vzdump run per node, as the task log shows them.
    func describePVE() -> String {
        pve.map { host in
            var lines = ["\(host.name) (\(host.mode.rawValue))\(host.cluster.map { ", cluster \($0)" } ?? ""), nodes \(host.nodes.joined(separator: " "))"]
            for job in host.jobs {
                let storage = job.config.storage ?? "local"
                let entry = host.storage(storage)
                let pointsAt = entry.flatMap { target(of: $0) }.map(\.rawValue) ?? "other"
                lines.append("  job \(job.config.id) (\(job.config.schedule ?? "manual")): \(storage) -> \(pointsAt) "
                             + "[\(entry?.server ?? "?"):\(entry?.port ?? 8007) datastore \(entry?.datastore ?? "?")]")
            }
            for node in host.nodes {
                guard let last = host.tasks.last(where: { $0.parsed.workerType == "vzdump" && $0.parsed.node == node }), last.status != "OK" else { continue }
                lines.append("  last vzdump on \(node): \(last.status)")
                lines += last.lines.filter { $0.hasPrefix("ERROR:") || $0.hasPrefix("TASK ERROR:") }.map { "    " + $0 }
            }
            return lines.joined(separator: "\n")
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
        for index in pve.indices { pve[index].follow(role, port: port) }
        self[role].port = port
        self[role].fingerprint = fingerprint.description
        for other in NodeRole.allCases {
            for index in node(other).remotes.indices where node(other).remotes[index].follows == role {
                self[other].remotes[index].config.port = port
            }
        }
    }
}
