import PairEngine
import ProxmoxAPI

/// Faults for drills beyond a node's mode: a firewall that forgot the PVE hosts, a revoked
/// backup token, and the webhook sink that stands in for the team's chat.
extension LabWorld {
    /// Makes a PBS node's firewall drop (or accept again) connections from the PVE hosts:
    /// their storage activation and backups time out; pbsha and the other PBS are unaffected.
    mutating func setFirewall(_ role: NodeRole, blockPVE: Bool) -> String {
        if blockPVE { faults.pveBlocked.insert(role) } else { faults.pveBlocked.remove(role) }
        return blockPVE ? "\(role.rawValue)'s firewall drops connections from the PVE hosts; 'firewall \(role.rawValue) open' ends it"
            : "\(role.rawValue)'s firewall accepts the PVE hosts again"
    }

    /// Removes the PBS token a PVE host backs up with (its jobs' entries' `username`) from
    /// both PBS nodes, as `proxmox-backup-manager user delete-token` would: every host using
    /// it is refused from the next backup on.
    mutating func revokeBackupToken(host name: String) -> (ok: Bool, message: String) {
        guard let host = pve.first(where: { $0.name == name }) else {
            return (false, "no PVE host '\(name)'; the lab's: \(pve.map(\.name).joined(separator: ", "))")
        }
        let tokens = Set(host.jobs.compactMap { host.storage($0.config.storage ?? "")?.username }.filter { $0.contains("!") })
        guard !tokens.isEmpty else { return (false, "\(name)'s backup jobs use no PBS API token") }
        var removed: [String] = []
        for role in NodeRole.allCases {
            let before = node(role).tokens.count
            self[role].tokens.removeAll { tokens.contains($0.authID) }
            if node(role).tokens.count < before { removed.append(role.rawValue) }
        }
        let names = tokens.sorted().joined(separator: ", ")
        return (true, removed.isEmpty ? "\(names) was already gone from both PBS nodes" : "revoked \(names) on \(removed.joined(separator: " and "))")
    }

    /// A POST to the webhook sink: JSON `{"text": …}` to the URL's secret path.
    mutating func receiveNotification(_ request: LabRequest) -> LabResponse {
        guard request.segments == ["hook", webhook.token] else { return .error(404, "no webhook at \(request.rawPath)") }
        guard request.method == "POST" else { return .error(405, "webhooks take POST") }
        guard let text = request.value("text") else { return .error(400, "expected a JSON body with a \"text\" field") }
        webhook.received.append(LabNotification(time: now, text: text))
        return .json(["ok": true])
    }

    /// Every vzdump task the PVE hosts ran, oldest first: host, node, start, who, how it ended.
    func describeVzdumps() -> String {
        let lines = pve.flatMap { host in
            host.tasks.filter { $0.parsed.workerType == "vzdump" }.map { task in
                "\(host.name) \(task.parsed.node) \(Timestamps.rfc3339(task.start)) \(task.parsed.authID) \(task.running(at: now) ? "running" : task.status)"
                    + (task.parsed.workerID.isEmpty ? "" : " vm \(task.parsed.workerID)")
            }
        }
        return lines.isEmpty ? "no vzdump tasks" : lines.joined(separator: "\n")
    }

    /// What the webhook sink received, oldest first.
    func describeNotifications() -> String {
        guard !webhook.received.isEmpty else { return "no notifications received" }
        return webhook.received.map { "\(Timestamps.rfc3339($0.time))  \($0.text)" }.joined(separator: "\n")
    }
}
