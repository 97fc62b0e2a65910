import PairEngine
import ProxmoxAPI

/// The PVE writes failover makes, with PVE's rules (pve-storage `PVE/API2/Storage/Config.pm`,
/// pve-manager `PVE/API2/Backup.pm` and `PVE/API2/VZDump.pm`; shared/reference/pve-side.md 3–5).
extension LabWorld {
    mutating func handlePVEWrite(_ index: Int, _ request: LabRequest, _ caller: LabCaller) -> LabResponse {
        let s = request.segments
        switch (request.method, s.count) {
        case ("PUT", 2) where s[0] == "storage": return updateStorage(index, id: s[1], request, caller)
        case ("PUT", 3) where s[0] == "cluster" && s[1] == "backup": return updateBackupJob(index, id: s[2], request, caller)
        case ("POST", 3) where s[0] == "nodes" && s[2] == "vzdump": return startVzdump(index, node: s[1], request, caller)
        default: return .pveError(501, "Method '\(request.method) \(request.rawPath)' not implemented")
        }
    }

    /// What `PUT /storage/{id}` accepts for any storage type: `server` is in the schema (other
    /// types may change theirs) and fails in the handler for pbs; `datastore` is not.
    private static let storageUpdatable: Set<String> = [
        "server", "fingerprint", "username", "password", "port", "namespace", "disable", "content", "nodes", "prune-backups",
        "encryption-key", "master-pubkey", "max-protected-backups", "comment", "digest", "delete", "path", "export", "options",
    ]
    /// A pbs entry's fixed keys: PVE refuses to change or delete them.
    private static let pbsFixed: Set<String> = ["server", "datastore"]

    private mutating func updateStorage(_ index: Int, id: String, _ request: LabRequest, _ caller: LabCaller) -> LabResponse {
        guard caller.has("Datastore.Allocate", on: "/storage") else { return Self.pveDenied("/storage", "Datastore.Allocate") }
        let unknown = Set(request.query.keys).subtracting(Self.storageUpdatable)
        guard unknown.isEmpty else {
            return .pveParameterError(Dictionary(uniqueKeysWithValues: unknown.map {
                ($0, "property is not defined in schema and the schema does not allow additional properties")
            }))
        }
        if let port = request.value("port"), !(Int(port).map { (1...65535).contains($0) } ?? false) {
            return .pveParameterError(["port": "type check ('integer') failed - got '\(port)'"])
        }
        if let fingerprint = request.value("fingerprint"), !LabPVE.isFingerprint(fingerprint) {
            return .pveParameterError(["fingerprint": "value does not match the regex pattern"])
        }
        func failed(_ message: String) -> LabResponse { .pveError(500, "update storage failed: \(message)") }
        let host = pve[index]
        guard case .success(let config) = host.parsedStorage else { return failed("unable to parse storage.cfg") }
        guard let section = config.section(id) else { return failed("storage '\(id)' does not exist") }
        if let digest = request.value("digest"), digest != host.digest {
            return failed("detected modified configuration - file changed by other user? Try again.")
        }
        let deleted = (request.query["delete"] ?? []).flatMap { $0.split(whereSeparator: { ",; ".contains($0) }).map(String.init) }
        let fixed = section.type == "pbs" ? Self.pbsFixed : []
        for key in request.query.keys.sorted() where fixed.contains(key) {
            return failed("can't change value of fixed parameter '\(key)'")
        }
        for key in deleted {
            if fixed.contains(key) { return failed("unable to delete fixed option '\(key)'") }
            if request.query[key] != nil { return failed("cannot set and delete property '\(key)' at the same time!") }
        }
        var values = Dictionary(uniqueKeysWithValues: config.keys(in: section).compactMap { key in config.value(of: key, in: section).map { (key, $0) } })
        for key in deleted where key != "password" { values[key] = nil }
        for key in ["fingerprint", "username", "port", "namespace", "disable", "content", "nodes", "prune-backups", "comment", "max-protected-backups"] {
            if let value = request.value(key) { values[key] = key == "disable" && value == "0" ? nil : value }
        }
        pve[index].storageCfg = LabPVE.render(config, replacing: id, with: values)
        if deleted.contains("password") { pve[index].passwords[id] = nil }
        if let password = request.value("password") { pve[index].passwords[id] = password }
        storageFileChanged(host: index)
        return .json(Envelope(data: ["storage": id, "type": section.type]))
    }

    /// Changes a backup job: Sys.Modify on `/`, and moving it to another storage needs
    /// Datastore.Allocate on both the new and the current one.
    private mutating func updateBackupJob(_ index: Int, id: String, _ request: LabRequest, _ caller: LabCaller) -> LabResponse {
        guard caller.has("Sys.Modify", on: "/") else { return Self.pveDenied("/", "Sys.Modify") }
        guard let position = pve[index].jobs.firstIndex(where: { $0.config.id == id }) else { return .pveError(500, "job '\(id)' does not exist") }
        var job = pve[index].jobs[position]
        if let storage = request.value("storage") {
            for path in ["/storage/\(storage)", "/storage/\(job.config.storage ?? "local")"] where !caller.has("Datastore.Allocate", on: path) {
                return Self.pveDenied(path, "Datastore.Allocate")
            }
            job.config.storage = storage
        }
        if let schedule = request.value("schedule") {
            do { _ = try CalendarEvent(schedule) } catch { return .pveParameterError(["schedule": "value does not look like a valid schedule: \(error.message)"]) }
            job.config.schedule = schedule
            job.lastRun = now
        }
        if let enabled = request.value("enabled") { job.config.enabled = enabled == "0" ? 0 : 1 }
        pve[index].jobs[position] = job
        return .json(Envelope<String?>(data: nil))
    }

    /// A one-shot backup on one node. Only guests on that node are backed up; when none of the
    /// listed ones is there PVE answers the plain string `OK` (before any privilege check).
    /// Datastore.AllocateSpace on the storage is checked before the task (403), VM.Backup inside it.
    private mutating func startVzdump(_ index: Int, node: String, _ request: LabRequest, _ caller: LabCaller) -> LabResponse {
        guard pve[index].nodes.contains(node) else { return .pveError(500, "no such cluster node '\(node)'") }
        guard let list = request.value("vmid") else { return .pveParameterError(["vmid": "property is missing and it is not optional"]) }
        let vmids = list.split(whereSeparator: { ", ".contains($0) }).compactMap { Int($0) }
        // A guest that exists nowhere counts as local (and its backup fails in the task).
        let local = vmids.filter { pve[index].node(of: $0) == node || pve[index].node(of: $0) == nil }
        guard !local.isEmpty else { return .json(Envelope(data: "OK")) }
        let storage = request.value("storage") ?? "local"
        guard caller.has("Datastore.AllocateSpace", on: "/storage/\(storage)") else { return Self.pveDenied("/storage/\(storage)", "Datastore.AllocateSpace") }
        if let denied = local.first(where: { !caller.has("VM.Backup", on: "/vms/\($0)") }) {
            let upid = addPVETask(host: index, node: node, type: "vzdump", id: local.count == 1 ? String(local[0]) : "", user: caller.authID,
                                  start: now, duration: 1, status: "Permission check failed (/vms/\(denied), VM.Backup)",
                                  lines: [(1, "TASK ERROR: Permission check failed (/vms/\(denied), VM.Backup)")])
            return .json(Envelope(data: upid))
        }
        if let missing = local.first(where: { pve[index].node(of: $0) == nil }) {
            let upid = addPVETask(host: index, node: node, type: "vzdump", id: String(missing), user: caller.authID, start: now, duration: 1,
                                  status: "job errors", lines: [(0, "ERROR: Backup of VM \(missing) failed - unable to find VM '\(missing)'"),
                                                                 (1, "TASK ERROR: job errors")])
            return .json(Envelope(data: upid))
        }
        let guests = pve[index].guests.filter { local.contains($0.vmid) }
        return .json(Envelope(data: vzdump(host: index, node: node, guests: guests, storage: storage, user: caller.authID, at: now)))
    }

    /// After storage.cfg changed (through the API or `lab shell`): which lab PBS each pbs:
    /// entry points at now, so that rebinding moves the right entries.
    mutating func storageFileChanged(host index: Int) {
        pve[index].follows = Dictionary(uniqueKeysWithValues: pve[index].storages().compactMap { entry in
            entry.type == "pbs" ? target(of: entry).map { (entry.storage, $0) } : nil
        })
    }
}

extension LabPVE {
    /// A SHA-256 fingerprint as PVE's schema accepts it: 32 colon-separated hex pairs.
    static func isFingerprint(_ text: String) -> Bool {
        let pairs = text.split(separator: ":", omittingEmptySubsequences: false)
        return pairs.count == 32 && pairs.allSatisfy { $0.count == 2 && $0.allSatisfy(\.isHexDigit) }
    }

    /// The file as PVE writes it back after a change to one section: every section in its
    /// order, TAB-indented, `comment` and a bare `disable` first, then the required keys and
    /// the optional ones, each alphabetical; comments and unknown lines are lost, as on PVE.
    static func render(_ config: StorageConfig, replacing id: String, with values: [String: String]) -> String {
        var text = ""
        for section in config.sections {
            let current = section.id == id ? values : Dictionary(uniqueKeysWithValues: config.keys(in: section).compactMap { key in
                config.value(of: key, in: section).map { (key, $0) }
            })
            let required: Set<String> = switch section.type {
            case "pbs": ["datastore", "server"]
            case "dir": ["path"]
            case "lvmthin": ["thinpool", "vgname"]
            case "lvm": ["vgname"]
            case "nfs": ["export", "path", "server"]
            default: []
            }
            text += "\(section.type): \(section.id)\n"
            if let comment = current["comment"] { text += "\tcomment \(comment)\n" }
            if let disable = current["disable"], disable != "0" { text += "\tdisable\n" }
            let rest = current.keys.filter { $0 != "comment" && $0 != "disable" }
            for key in rest.filter(required.contains).sorted() + rest.filter({ !required.contains($0) }).sorted() {
                text += "\t\(key) \(current[key]!)\n"
            }
            text += "\n"
        }
        return text
    }
}
