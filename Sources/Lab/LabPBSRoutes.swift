import PairEngine
import ProxmoxAPI

extension LabWorld {
    /// Answers one request to a lab PBS node the way PBS does: same paths, envelopes,
    /// privilege checks and plain-text errors.
    public func handlePBS(_ role: NodeRole, _ request: LabRequest) -> LabResponse {
        let node = self.node(role)
        let s = request.segments
        if let malformed = request.malformed { return .error(400, malformed) }
        if s == ["ping"] { return .json(Envelope(data: Pong())) }
        guard let caller = LabAccess.authenticate(request.authorization, tokens: node.tokens, users: node.users) else {
            return .error(401, "authentication failed - invalid credentials")
        }
        guard request.method == "GET" else { return .notFound(request) }
        // A fixed privilege in the router: PBS answers 403 without saying which one.
        func need(_ privilege: String, _ path: String) -> LabResponse? {
            caller.has(privilege, on: path) ? nil : .error(403, "permission check failed")
        }
        switch s.count {
        case 1 where s[0] == "version":
            return .json(Envelope(data: VersionInfo(version: "3.4", release: "1", repoid: "lab0000000000000000000000000000000000000")))
        case 3 where s[0] == "nodes" && s[2] == "time":
            return .json(Envelope(data: NodeTime(timezone: "UTC", time: now, localtime: now)))
        case 3 where s[0] == "nodes" && s[2] == "status":
            if let denied = need("Sys.Audit", "/system/status") { return denied }
            return .json(Envelope(data: NodeStatus(uptime: 86_400 * 41, cpu: 0.07, loadavg: [0.21, 0.3, 0.28],
                                                   memory: .init(total: 64 << 30, used: 21 << 30, free: 43 << 30), info: nil)))
        case 2 where s == ["admin", "datastore"]:
            let visible = caller.has("Datastore.Audit", on: "/datastore/\(node.datastore)")
                || caller.has("Datastore.Backup", on: "/datastore/\(node.datastore)")
            return .json(Envelope(data: visible ? [DatastoreListItem(store: node.datastore, maintenance: node.maintenance)] : []))
        case 4 where s[0] == "admin" && s[1] == "datastore":
            // The privilege check comes first (on the namespace asked for, which inherits the
            // store's entries), so a caller without it learns nothing about the name.
            let ns = request.value(s[3] == "namespace" ? "parent" : "ns") ?? ""
            let path = LabNamespaces.aclPath(s[2], ns)
            let audit = caller.has("Datastore.Audit", on: path)
            if !audit && !caller.has("Datastore.Backup", on: path) && !(s[3] == "namespace" && caller.has("Datastore.Modify", on: path)) {
                return .error(403, "permission check failed - missing Datastore.Audit|Datastore.Backup on \(path)")
            }
            guard s[2] == node.datastore else { return .error(400, "no such datastore '\(s[2])'") }
            if let refusal = node.maintenanceRefusal(writing: false) { return .error(400, refusal) }
            guard node.namespaces.contains(ns) else { return .error(404, "namespace '\(ns)' does not exist") }
            if s[3] == "namespace" { return namespaceList(node, below: ns, request, caller) }
            // With Datastore.Backup alone a caller sees only the groups it owns; lists hold
            // one namespace, the status counts all.
            let inNamespace = s[3] == "status" ? node.snapshots : node.snapshots.filter { $0.ns == ns }
            let visible = audit ? inNamespace : inNamespace.filter { caller.owns($0.owner) }
            return datastoreRoute(node, visible, s[3], request) ?? .notFound(request)
        case 2 where s == ["admin", "sync"] || s == ["config", "sync"]:
            // PBS 3.3+ lists pull jobs unless asked for `push` or `all`.
            let direction = request.value("sync-direction") ?? "pull"
            let jobs = node.syncJobs.filter { job in
                (direction == "all" || (job.syncDirection ?? "pull") == direction)
                    && (request.value("store") ?? job.store) == job.store
                    && caller.has("Datastore.Audit", on: "/datastore/\(job.store)")
                    && caller.has("Remote.Audit", on: "/remote/\(job.remote ?? "")")
            }
            return s[0] == "admin" ? .json(Envelope(data: jobs.map { withStatus($0, role) }, digest: "lab")) : .json(Envelope(data: jobs, digest: "lab"))
        case 2 where s == ["admin", "verify"] || s == ["config", "verify"]:
            let jobs = [node.verifyJob].compactMap { $0 }.filter { job in
                (request.value("store") ?? job.store) == job.store
                    && (caller.has("Datastore.Audit", on: "/datastore/\(job.store)")
                        || caller.has("Datastore.Verify", on: "/datastore/\(job.store)"))
            }
            return s[0] == "admin" ? .json(Envelope(data: jobs.map { withStatus($0, role) })) : .json(Envelope(data: jobs))
        case 3 where s[0] == "config" && s[1] == "sync":
            guard let job = node.syncJobs.first(where: { $0.id == s[2] }) else { return .error(400, "no such sync '\(s[2])'") }
            guard caller.has("Datastore.Audit", on: "/datastore/\(job.store)") && caller.has("Remote.Audit", on: "/remote/\(job.remote ?? "")") else {
                return .error(400, "permission check failed")
            }
            return .json(Envelope(data: job, digest: "lab"))
        case 2 where s == ["config", "remote"]:
            let remotes = node.remotes.map(\.config).filter { caller.has("Remote.Audit", on: "/remote/\($0.name)") }
            return .json(Envelope(data: remotes, digest: "lab"))
        case 3 where s[0] == "config" && s[1] == "remote":
            if let denied = need("Remote.Audit", "/remote/\(s[2])") { return denied }
            guard let remote = node.remotes.first(where: { $0.config.name == s[2] }) else { return .error(400, "no such remote '\(s[2])'") }
            return .json(Envelope(data: remote.config, digest: "lab"))
        case 3 where s[0] == "nodes" && s[2] == "tasks":
            return taskList(node, request, caller: caller)
        case 5 where s[0] == "nodes" && s[2] == "tasks":
            guard let upid = try? UPID(s[3]) else { return .error(400, "parameter verification failed - 'upid': unable to parse UPID '\(s[3])'") }
            guard caller.mayRead(task: upid) else { return .error(400, "task access not allowed") }
            let task = node.tasks.last { $0.upid == s[3] }
            switch s[4] {
            case "status":
                // A task PBS no longer (or never) knew reads as stopped with an unknown result.
                let running = task?.running(at: now) ?? false
                return .json(Envelope(data: TaskStatus(upid: upid, running: running, exitstatus: task?.status ?? "unknown", endtime: task?.end)))
            case "log":
                guard let task else { return .error(400, "unable to open task log \"\(s[3])\" - No such file or directory (os error 2)") }
                return taskLog(task, request)
            default:
                return .notFound(request)
            }
        case 2 where s == ["access", "acl"]:
            return .json(Envelope(data: aclEntries(node, caller, path: request.value("path"), exact: ["1", "true"].contains(request.value("exact") ?? ""))))
        case 2 where s == ["access", "permissions"]:
            var paths = Set(["/", "/access", "/datastore", "/remote", "/system"])
            paths.formUnion(caller.acl.map(\.path))
            // With `path`, PBS answers for that path alone (what it inherits included).
            if let path = request.value("path") { paths = [path] }
            var map: PermissionMap = [:]
            for path in paths {
                let privileges = caller.privileges(on: path)
                if !privileges.isEmpty { map[path] = Dictionary(uniqueKeysWithValues: privileges.map { ($0, true) }) }
            }
            return .json(Envelope(data: map))
        default:
            return .notFound(request)
        }
    }

    /// One datastore call over the snapshots the caller may see.
    private func datastoreRoute(_ node: LabPBS, _ visible: [LabSnapshot], _ call: String, _ request: LabRequest) -> LabResponse? {
        switch call {
        case "status":
            var counts = DatastoreStatus.Counts()
            for type in ["vm", "ct"] {
                let snapshots = visible.filter { $0.type == type }
                guard !snapshots.isEmpty else { continue }
                let entry = DatastoreStatus.TypeCounts(groups: Set(snapshots.map(\.id)).count, snapshots: snapshots.count)
                if type == "vm" { counts.vm = entry } else { counts.ct = entry }
            }
            let used = node.usedBytes
            return .json(Envelope(data: DatastoreStatus(total: node.totalBytes, used: used, avail: node.totalBytes - used,
                                                        counts: request.flag("verbose") ? counts : nil)))
        case "snapshots":
            let type = request.value("backup-type")
            let id = request.value("backup-id")
            let items = visible.filter { (type == nil || $0.type == type) && (id == nil || $0.id == id) }.map { $0.listItem(now: now) }
            return .json(Envelope(data: items))
        case "groups":
            let groups = Dictionary(grouping: visible, by: \.group).map { _, snapshots -> GroupListItem in
                let last = snapshots.filter { $0.finished <= now }.map(\.time).max() ?? 0
                let newest = snapshots.max { $0.time < $1.time }!
                return GroupListItem(backupType: newest.type, backupID: newest.id, lastBackup: last, backupCount: snapshots.count,
                                     files: newest.listItem(now: now).files.map(\.filename), owner: newest.owner)
            }.sorted { ($0.backupType, $0.backupID) < ($1.backupType, $1.backupID) }
            return .json(Envelope(data: groups))
        default:
            return nil
        }
    }

    /// `GET …/namespace`: `parent` and the namespaces below it (to `max-depth`), those on
    /// which the caller holds Datastore.Audit, .Modify or .Backup (`list_namespaces`).
    private func namespaceList(_ node: LabPBS, below parent: String, _ request: LabRequest, _ caller: LabCaller) -> LabResponse {
        let depth: Int?
        do { depth = try request.count("max-depth", maximum: 7) } catch { return .error(400, error.message) }
        let items = node.namespaces.filter { ns in
            guard let rest = LabNamespaces.relative(ns, to: parent) else { return false }
            let path = LabNamespaces.aclPath(node.datastore, ns)
            return LabNamespaces.depth(rest) <= depth ?? 7
                && ["Datastore.Audit", "Datastore.Modify", "Datastore.Backup"].contains { caller.has($0, on: path) }
        }
        return .json(Envelope(data: items.map { NamespaceListItem(ns: $0) }))
    }

    /// A sync job row with the schedule status PBS derives from its last task.
    func withStatus(_ job: SyncJob, _ role: NodeRole) -> ScheduledJob<SyncJob> {
        let workerID = "\(job.remote ?? "-"):\(job.remoteStore):\(job.store)::\(job.id)"
        return ScheduledJob(job, status: scheduleStatus(role, jobID: job.id, type: "syncjob", workerID: workerID, schedule: job.schedule))
    }

    func withStatus(_ job: VerifyJob, _ role: NodeRole) -> ScheduledJob<VerifyJob> {
        ScheduledJob(job, status: scheduleStatus(role, jobID: job.id, type: "verificationjob", workerID: "\(job.store):\(job.id)", schedule: job.schedule))
    }

    private func scheduleStatus(_ role: NodeRole, jobID: String, type: String, workerID: String, schedule: String?) -> JobScheduleStatus {
        let node = self.node(role)
        var status = JobScheduleStatus()
        if let schedule, let reference = node.lastRun[jobID] {
            status.nextRun = node.missedWhileDown.contains(jobID) ? reference : (try? CalendarEvent(schedule).next(after: reference)) ?? nil
        }
        guard let last = node.tasks.last(where: { $0.parsed.workerType == type && $0.parsed.workerID == workerID }) else { return status }
        status.lastRunUPID = last.upid
        if !last.running(at: now) {
            status.lastRunState = last.status
            status.lastRunEndtime = last.end
        }
        return status
    }

    private func taskList(_ node: LabPBS, _ request: LabRequest, caller: LabCaller) -> LabResponse {
        let start: Int, limit: Int, since: Int64?
        do {
            (start, limit, since) = (try request.count("start") ?? 0, try request.count("limit") ?? 50,
                                     try request.count("since", maximum: Int.max).map(Int64.init))
        } catch { return .error(400, error.message) }
        let typeFilter = request.value("typefilter")
        let store = request.value("store")
        let onlyRunning = request.flag("running")
        let onlyErrors = request.flag("errors")
        let userFilter = request.value("userfilter")
        // Every condition must hold; the cheap ones first (a refresh asks for the few tasks
        // since its last read of a history of thousands), the access check last.
        let matching = node.tasks.reversed().filter { task in
            guard task.start <= now else { return false }
            if let since, task.start < since { return false }
            if onlyRunning && !task.running(at: now) { return false }
            if onlyErrors && !task.running(at: now) && task.status == "OK" { return false }
            let upid = task.parsed
            if let typeFilter, !upid.workerType.contains(typeFilter) { return false }
            if let userFilter, !upid.authID.contains(userFilter) { return false }
            if let store, !Self.refers(upid, to: store) { return false }
            return caller.mayRead(task: upid)
        }.sorted { ($0.running(at: now) ? 1 : 0, $0.start) > ($1.running(at: now) ? 1 : 0, $1.start) }
        let page = matching.dropFirst(start).prefix(limit == 0 ? Int.max : limit)
        let items = page.map { task in
            TaskListItem(upid: task.parsed, endtime: task.running(at: now) ? nil : task.end, status: task.running(at: now) ? nil : task.status)
        }
        return .json(Envelope(data: Array(items), total: start + items.count + (limit != 0 && items.count == limit ? 1 : 0)))
    }

    /// Whether a task's worker id refers to a datastore, as PBS's `store` filter decides.
    static func refers(_ upid: UPID, to store: String) -> Bool {
        let parts = upid.workerID.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch upid.workerType {
        case "syncjob": return parts.count > 2 && parts[2] == store
        case _ where upid.workerType.hasPrefix("verif"), "prune", "prunejob", "backup", "garbage_collection": return parts.first == store
        default: return false
        }
    }

    private func taskLog(_ task: LabTask, _ request: LabRequest) -> LabResponse {
        let start: Int, limit: Int
        do {
            (start, limit) = (max(1, try request.count("start") ?? 0), try request.count("limit") ?? 50)
        } catch { return .error(400, error.message) }
        let visible = zip(task.offsets, task.lines).filter { task.start + $0.0 <= now }
        let lines = visible.enumerated().map { index, line in
            TaskLogLine(n: index + 1, t: "\(Timestamps.rfc3339(task.start + line.0, numericOffset: 0)): \(line.1)")
        }
        let page = lines.filter { $0.n >= start }.prefix(limit == 0 ? Int.max : limit)
        return .json(TaskLogPage(data: Array(page), total: lines.count, active: request.flag("test-status") ? task.running(at: now) : nil))
    }

    /// `GET /access/acl`: every entry with Sys.Audit on `/access/acl`, else those of the
    /// caller's own user's tokens; `path` limits it to that path and below (`exact`: at it).
    private func aclEntries(_ node: LabPBS, _ caller: LabCaller, path: String?, exact: Bool) -> [ACLEntry] {
        let entries = node.users.flatMap { user in user.acl.map { (user.userid, $0) } }
            + node.tokens.flatMap { token in token.acl.map { (token.authID, $0) } }
        let user = String(caller.authID.prefix { $0 != "!" })
        let all = caller.has("Sys.Audit", on: "/access/acl")
        return entries.filter { ugid, entry in
            (all || ugid.hasPrefix(user + "!"))
                && (path.map { entry.path == $0 || (!exact && ($0 == "/" || entry.path.hasPrefix($0 + "/"))) } ?? true)
        }.map { ugid, entry in ACLEntry(path: entry.path, ugid: ugid, propagate: entry.propagate, roleid: entry.role) }
    }
}
