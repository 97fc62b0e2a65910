import PairEngine
import ProxmoxAPI

/// `/config/remote` and `/config/sync` writes, with the checks and words of PBS's
/// `src/api2/config/remote.rs` and `sync.rs`: the router's privilege check first (403
/// `permission check failed`), then the handler's (400 for a sync job), then the config.
extension LabWorld {
    mutating func configWrite(_ role: NodeRole, _ s: [String], _ request: LabRequest, _ caller: LabCaller) -> LabResponse {
        switch (s[1], request.method, s.count) {
        case ("remote", "POST", 2): return createRemote(role, request, caller)
        case ("remote", "PUT", 3): return updateRemote(role, name: s[2], request, caller)
        case ("remote", "DELETE", 3): return deleteRemote(role, name: s[2], caller)
        case ("sync", "POST", 2): return createSyncJob(role, request, caller)
        case ("sync", "PUT", 3): return updateSyncJob(role, id: s[2], request, caller)
        case ("sync", "DELETE", 3): return deleteSyncJob(role, id: s[2], caller)
        default: return .notFound(request)
        }
    }

    private static let done = LabResponse.json(Envelope<String?>(data: nil))

    /// PBS's schema answer when required parameters are absent, or nil when all are there.
    private static func missing(_ names: [String], in request: LabRequest) -> LabResponse? {
        let absent = names.filter { request.value($0) == nil }
        guard !absent.isEmpty else { return nil }
        return .error(400, "parameter verification failed - " + absent.map { "'\($0)': parameter is missing and it is not optional." }.joined(separator: "\n"))
    }

    /// PBS's `SAFE_ID` rule for job and remote names (3 to 32 characters).
    private static func safeIDRefusal(_ name: String, _ value: String) -> LabResponse? {
        let ascii = value.unicodeScalars.allSatisfy(\.isASCII)
        let allowed = ascii && value.allSatisfy { $0.isLetter || $0.isNumber || "._-".contains($0) }
        guard (3...32).contains(value.count), allowed, let first = value.first, first.isLetter || first.isNumber || first == "_" else {
            return .error(400, "parameter verification failed - '\(name)': value does not match the regex pattern")
        }
        return nil
    }

    /// Takes a job's `ns`, `remote-ns`, `max-depth` (0–7) and `group-filter` (repeatable)
    /// from the request, or says why PBS's schema refuses them.
    private static func namespaceRefusal(_ request: LabRequest, into job: inout SyncJob) -> LabResponse? {
        for key in ["ns", "remote-ns"] {
            guard let value = request.value(key) else { continue }
            let parts = value.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard value.isEmpty || (parts.count <= LabNamespaces.maxDepth && parts.allSatisfy { LabNamespaces.nameRefusal($0) == nil }) else {
                return .error(400, "parameter verification failed - '\(key)': value does not match the regex pattern")
            }
            if key == "ns" { job.ns = value } else { job.remoteNs = value }
        }
        do {
            if let depth = try request.count("max-depth", maximum: LabNamespaces.maxDepth) { job.maxDepth = depth }
        } catch { return .error(400, error.message) }
        if let filters = request.query["group-filter"], !filters.isEmpty {
            guard filters.allSatisfy({ GroupFilter($0) != nil }) else {
                return .error(400, "parameter verification failed - 'group-filter': value does not match the regex pattern")
            }
            job.groupFilter = filters
        }
        return nil
    }

    /// The lab node a remote's host and port reach, other than `role` itself.
    private func nodeReached(from role: NodeRole, _ remote: RemoteConfig) -> NodeRole? {
        pbsNode(server: remote.host, port: remote.port ?? 8007).flatMap { $0 == role ? nil : $0 }
    }

    private mutating func createRemote(_ role: NodeRole, _ request: LabRequest, _ caller: LabCaller) -> LabResponse {
        guard caller.has("Remote.Modify", on: "/remote") else { return .error(403, "permission check failed") }
        if let refusal = Self.missing(["name", "host", "auth-id", "password"], in: request) { return refusal }
        let name = request.value("name")!
        if let refusal = Self.safeIDRefusal("name", name) { return refusal }
        let port = request.value("port").map { Int($0) }
        if let port, !(1...65535).contains(port ?? 0) { return .error(400, "parameter verification failed - 'port': value must be an integer from 1 to 65535") }
        guard !node(role).remotes.contains(where: { $0.config.name == name }) else {
            return .error(400, "parameter verification failed - 'name': remote '\(name)' already exists.")
        }
        var config = RemoteConfig(name: name, host: request.value("host")!, port: port ?? nil, authID: request.value("auth-id")!,
                                  fingerprint: request.value("fingerprint"))
        config.comment = request.value("comment")
        self[role].remotes.append(LabRemote(config: config, password: request.value("password")!, follows: nodeReached(from: role, config)))
        return Self.done
    }

    private mutating func updateRemote(_ role: NodeRole, name: String, _ request: LabRequest, _ caller: LabCaller) -> LabResponse {
        guard caller.has("Remote.Modify", on: "/remote/\(name)") else { return .error(403, "permission check failed") }
        guard let index = node(role).remotes.firstIndex(where: { $0.config.name == name }) else { return .error(400, "no such remote '\(name)'") }
        var remote = node(role).remotes[index]
        for property in request.query["delete"]?.flatMap({ $0.split(separator: ",").map(String.init) }) ?? [] {
            switch property {
            case "comment": remote.config.comment = nil
            case "fingerprint": remote.config.fingerprint = nil
            case "port": remote.config.port = nil
            default: return .error(400, "parameter verification failed - 'delete': value '\(property)' is not defined in the enumeration.")
            }
        }
        if let comment = request.value("comment")?.trimmingCharacters(in: .whitespaces) { remote.config.comment = comment.isEmpty ? nil : comment }
        if let host = request.value("host") { remote.config.host = host }
        if let port = request.value("port") {
            guard let number = Int(port), (1...65535).contains(number) else {
                return .error(400, "parameter verification failed - 'port': value must be an integer from 1 to 65535")
            }
            remote.config.port = number
        }
        if let authID = request.value("auth-id") { remote.config.authID = authID }
        if let password = request.value("password") { remote.password = password }
        if let fingerprint = request.value("fingerprint") { remote.config.fingerprint = fingerprint }
        remote.follows = nodeReached(from: role, remote.config)
        self[role].remotes[index] = remote
        return Self.done
    }

    private mutating func deleteRemote(_ role: NodeRole, name: String, _ caller: LabCaller) -> LabResponse {
        guard caller.has("Remote.Modify", on: "/remote/\(name)") else { return .error(403, "permission check failed") }
        if let job = node(role).syncJobs.first(where: { $0.remote == name }) {
            return .error(400, "parameter verification failed - 'name': remote '\(name)' is used by sync job '\(job.id)' (datastore '\(job.store)')")
        }
        guard node(role).remotes.contains(where: { $0.config.name == name }) else { return .error(404, "remote '\(name)' does not exist.") }
        self[role].remotes.removeAll { $0.config.name == name }
        return Self.done
    }

    /// A new pull job; a scheduled one counts its first run from now.
    private mutating func createSyncJob(_ role: NodeRole, _ request: LabRequest, _ caller: LabCaller) -> LabResponse {
        if let refusal = Self.missing(["id", "store", "remote-store"], in: request) { return refusal }
        let id = request.value("id")!
        if let refusal = Self.safeIDRefusal("id", id) { return refusal }
        let direction = request.value("sync-direction")
        guard direction == nil || direction == "pull" || direction == "push" else {
            return .error(400, "parameter verification failed - 'sync-direction': value '\(direction!)' is not defined in the enumeration.")
        }
        var job = SyncJob(id: id, store: request.value("store")!, remote: request.value("remote"), remoteStore: request.value("remote-store")!,
                          schedule: request.value("schedule"), removeVanished: request.value("remove-vanished").map { ["1", "true"].contains($0) },
                          owner: request.value("owner"), rateIn: request.value("rate-in"))
        job.comment = request.value("comment")
        job.syncDirection = direction
        if let refusal = Self.namespaceRefusal(request, into: &job) { return refusal }
        if let schedule = job.schedule {
            do { _ = try CalendarEvent(schedule) } catch { return .error(400, "parameter verification failed - 'schedule': \(error.message)") }
        }
        // A push job without a remote fails PBS's access check too.
        guard mayModify(job, caller) else { return .error(400, "permission check failed") }
        guard job.remote != nil || job.store != job.remoteStore else { return .error(400, "source and target datastore can't be the same") }
        guard job.remote != nil else { return .error(400, "the lab's nodes have one datastore each: a local sync job has nothing to copy (docs/lab.md)") }
        guard !node(role).syncJobs.contains(where: { $0.id == id }) else {
            return .error(400, "parameter verification failed - 'id': job '\(id)' already exists.")
        }
        self[role].syncJobs.append(job)
        self[role].lastRun[id] = now
        return Self.done
    }

    /// Changes a sync job's configuration; `delete` names properties to remove (a sync job has
    /// no disable flag: pausing it means deleting its schedule). A new schedule counts from now.
    private mutating func updateSyncJob(_ role: NodeRole, id: String, _ request: LabRequest, _ caller: LabCaller) -> LabResponse {
        guard let index = node(role).syncJobs.firstIndex(where: { $0.id == id }) else { return .error(400, "no such sync '\(id)'") }
        var job = node(role).syncJobs[index]
        let deleted = Set((request.query["delete"] ?? []).flatMap { $0.split(separator: ",").map(String.init) })
        let deletable: Set<String> = ["schedule", "remove-vanished", "owner", "comment", "rate-in", "group-filter", "transfer-last", "max-depth"]
        if let unknown = deleted.subtracting(deletable).first {
            return .error(400, "parameter verification failed - 'delete': value '\(unknown)' is not defined in the enumeration.")
        }
        let schedule = request.value("schedule")
        if let schedule {
            do { _ = try CalendarEvent(schedule) } catch {
                return .error(400, "parameter verification failed - 'schedule': \(error.message)")
            }
        }
        // In PBS's order: deletions, then new values; an empty comment removes it.
        if deleted.contains("schedule") { job.schedule = nil }
        if deleted.contains("remove-vanished") { job.removeVanished = nil }
        if deleted.contains("owner") { job.owner = nil }
        if deleted.contains("comment") { job.comment = nil }
        if let comment = request.value("comment")?.trimmingCharacters(in: .whitespaces) { job.comment = comment.isEmpty ? nil : comment }
        if let owner = request.value("owner") { job.owner = owner }
        // PBS compares the schedule sent with the one kept, so an update that sends none to a
        // scheduled job counts as a change too (`schedule_changed` in update_sync_job).
        let scheduleChanged = job.schedule != schedule
        if let schedule { job.schedule = schedule }
        if let value = request.value("remove-vanished") { job.removeVanished = ["1", "true"].contains(value) }
        if deleted.contains("max-depth") { job.maxDepth = nil }
        if deleted.contains("group-filter") { job.groupFilter = nil }
        if let refusal = Self.namespaceRefusal(request, into: &job) { return refusal }
        guard mayModify(job, caller) else { return .error(400, "permission check failed") }
        if scheduleChanged { self[role].lastRun[id] = now }
        self[role].syncJobs[index] = job
        return Self.done
    }

    /// Removes a sync job and its state (its snapshots stay, as on PBS).
    private mutating func deleteSyncJob(_ role: NodeRole, id: String, _ caller: LabCaller) -> LabResponse {
        guard let job = node(role).syncJobs.first(where: { $0.id == id }) else { return .error(404, "job '\(id)' does not exist.") }
        guard mayModify(job, caller) else { return .error(400, "permission check failed") }
        self[role].syncJobs.removeAll { $0.id == id }
        self[role].lastRun[id] = nil
        self[role].missedWhileDown.remove(id)
        return Self.done
    }
}
