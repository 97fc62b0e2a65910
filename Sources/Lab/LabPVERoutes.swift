import PairEngine
import ProxmoxAPI

extension LabWorld {
    /// Answers one request to a lab PVE host or cluster, with PVE's privilege checks
    /// (shared/reference/pve-side.md section 4) and pve-http-server's error shapes.
    public mutating func respondPVE(_ index: Int, _ request: LabRequest) -> LabResponse {
        guard pve.indices.contains(index) else { return .notFound(request) }
        guard let caller = LabAccess.authenticate(request.authorization, tokens: pve[index].tokens, users: nil) else {
            return .pveUnauthorized
        }
        if let malformed = request.malformed { return .pveError(400, malformed) }
        switch request.method {
        case "GET": return handlePVE(index, request, caller)
        case "PUT", "POST": return handlePVEWrite(index, request, caller)
        default: return .pveError(501, "Method '\(request.method) \(request.rawPath)' not implemented")
        }
    }

    /// PVE's refusal for a missing privilege, naming the path and the privilege.
    static func pveDenied(_ path: String, _ privilege: String) -> LabResponse {
        .pveError(403, "Permission check failed (\(path), \(privilege))")
    }

    private func handlePVE(_ index: Int, _ request: LabRequest, _ caller: LabCaller) -> LabResponse {
        let host = pve[index]
        let s = request.segments
        switch s {
        case ["version"]:
            return .json(Envelope(data: VersionInfo(version: "8.3.2", release: "8.3", repoid: "3e76eec21c4a14a7")))
        case ["storage"]:
            let type = request.value("type")
            let visible = host.storages().filter { entry in
                (type == nil || entry.type == type)
                    && (caller.has("Datastore.Audit", on: "/storage/\(entry.storage)") || caller.has("Datastore.AllocateSpace", on: "/storage/\(entry.storage)"))
            }
            return .json(Envelope(data: visible))
        case _ where s.count == 2 && s[0] == "storage":
            guard caller.has("Datastore.Allocate", on: "/storage/\(s[1])") else { return Self.pveDenied("/storage/\(s[1])", "Datastore.Allocate") }
            guard let entry = host.storage(s[1]) else { return .pveError(500, "storage '\(s[1])' does not exist") }
            return .json(Envelope(data: entry))
        case ["access", "permissions"]:
            // Anyone may read their own; another's needs Sys.Audit on /access (AccessControl.pm).
            var subject = caller
            if let other = request.value("userid"), other != caller.authID {
                guard caller.has("Sys.Audit", on: "/access") else { return Self.pveDenied("/access", "Sys.Audit") }
                // An unknown auth-id holds nothing.
                subject = LabCaller(authID: other, acl: host.tokens.first { $0.authID == other }?.acl ?? [], ownerACL: nil)
            }
            let paths = request.value("path").map { [$0] } ?? Array(Set(["/", "/storage", "/vms"] + subject.acl.map(\.path)))
            var map: [String: [String: Int]] = [:]
            for path in paths {
                let privileges = subject.privileges(on: path)
                // With a path PVE answers `{path: {}}` even when nothing is held there.
                if !privileges.isEmpty || request.value("path") != nil { map[path] = Dictionary(uniqueKeysWithValues: privileges.map { ($0, 1) }) }
            }
            return .json(Envelope(data: map))
        case ["nodes"]:
            return .json(Envelope(data: host.nodes.map { PVENode(node: $0, status: host.mode == .up ? "online" : "offline", sslFingerprint: host.fingerprint) }))
        case ["cluster", "status"]:
            var entries: [PVEClusterStatusEntry] = []
            if let cluster = host.cluster {
                entries.append(PVEClusterStatusEntry(type: "cluster", name: cluster, id: "cluster", nodes: host.nodes.count, quorate: 1))
            }
            for (number, node) in host.nodes.enumerated() {
                entries.append(PVEClusterStatusEntry(type: "node", name: node, id: "node/\(node)", online: 1, local: number == 0 ? 1 : 0,
                                                     ip: "10.0.0.\(10 + index * 10 + number)"))
            }
            return .json(Envelope(data: entries))
        case ["cluster", "resources"]:
            guard request.value("type") == nil || request.value("type") == "vm" else { return .json(Envelope(data: [PVEGuest]())) }
            let guests = host.guests.filter { caller.has("VM.Audit", on: "/vms/\($0.vmid)") }
                .map { PVEGuest(type: $0.kind, vmid: $0.vmid, node: $0.node, name: $0.name) }
            return .json(Envelope(data: guests))
        case ["cluster", "backup"]:
            guard caller.has("Sys.Audit", on: "/") else { return Self.pveDenied("/", "Sys.Audit") }
            return .json(Envelope(data: host.jobs.map(\.config)))
        case _ where s.count == 3 && s[0] == "cluster" && s[1] == "backup":
            guard caller.has("Sys.Audit", on: "/") else { return Self.pveDenied("/", "Sys.Audit") }
            guard let job = host.jobs.first(where: { $0.config.id == s[2] }) else { return .pveError(500, "job '\(s[2])' does not exist") }
            return .json(Envelope(data: job.config))
        case _ where s.count == 5 && s[0] == "nodes" && s[2] == "tasks":
            return taskRoute(host, node: s[1], upid: s[3], call: s[4], request, caller)
        case _ where s.count == 5 && s[0] == "nodes" && s[2] == "storage" && s[4] == "status":
            return storageStatus(index, node: s[1], storage: s[3], caller)
        default:
            return .pveError(501, "Method 'GET \(request.rawPath)' not implemented")
        }
    }

    /// A task's status or log: its owner (a user also its tokens') or Sys.Audit on the node.
    private func taskRoute(_ host: LabPVE, node: String, upid: String, call: String, _ request: LabRequest, _ caller: LabCaller) -> LabResponse {
        guard host.nodes.contains(node) else { return .pveError(500, "no such cluster node '\(node)'") }
        guard let parsed = try? UPID(upid), parsed.flavor == .pve else { return .pveParameterError(["upid": "unable to parse worker upid '\(upid)'"]) }
        guard LabCaller(authID: caller.authID, acl: [], ownerACL: nil).owns(parsed.authID) || caller.has("Sys.Audit", on: "/nodes/\(node)") else {
            return Self.pveDenied("/nodes/\(node)", "Sys.Audit")
        }
        guard let task = host.tasks.last(where: { $0.upid == upid }) else {
            return .pveError(500, "unable to open file '/var/log/pve/tasks/\(String(format: "%X", parsed.startTime & 0xF))/\(upid)' - No such file or directory")
        }
        switch call {
        case "status":
            return .json(Envelope(data: TaskStatus(upid: parsed, running: task.running(at: now), exitstatus: task.status, endtime: task.end)))
        case "log":
            // PVE's `start` is a number of lines to skip; its lines carry no timestamps.
            let skip: Int, limit: Int
            do { (skip, limit) = (try request.count("start") ?? 0, try request.count("limit") ?? 50) } catch { return .pveError(400, error.message) }
            let visible = zip(task.offsets, task.lines).filter { task.start + $0.0 <= now }.map(\.1)
            let lines = visible.isEmpty ? ["no content"] : visible
            let page = lines.enumerated().dropFirst(skip).prefix(limit == 0 ? Int.max : limit).map { TaskLogLine(n: $0.offset + 1, t: $0.element) }
            var answer = TaskLogPage(data: Array(page), total: lines.count, active: nil)
            answer.success = nil
            return .json(answer)
        default:
            return .pveError(501, "Method 'GET /nodes/\(node)/tasks/\(upid)/\(call)' not implemented")
        }
    }

    /// `GET /nodes/{node}/storage/{id}/status`: a live activation; a failure is 200 with `active` 0.
    private func storageStatus(_ index: Int, node: String, storage id: String, _ caller: LabCaller) -> LabResponse {
        guard pve[index].nodes.contains(node) else { return .pveError(500, "no such cluster node '\(node)'") }
        guard caller.has("Datastore.Audit", on: "/storage/\(id)") || caller.has("Datastore.AllocateSpace", on: "/storage/\(id)") else {
            return Self.pveDenied("/storage/\(id)", "Datastore.Audit|Datastore.AllocateSpace")
        }
        guard let entry = pve[index].storage(id) else { return .pveError(500, "storage '\(id)' does not exist") }
        let enabled = entry.disable == 1 ? 0 : 1
        guard enabled == 1, case .success(let (role, _)) = activate(host: index, storage: id) else {
            return .json(Envelope(data: PVEStorageStatus(type: entry.type, enabled: enabled, active: 0, total: 0, used: 0, avail: 0)))
        }
        let target = self.node(role)
        return .json(Envelope(data: PVEStorageStatus(type: entry.type, enabled: 1, active: 1, total: target.totalBytes, used: target.usedBytes,
                                                     avail: target.totalBytes - target.usedBytes)))
    }
}
