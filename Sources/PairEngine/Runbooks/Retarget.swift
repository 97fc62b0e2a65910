import ProxmoxAPI

/// Failover step 2 and failback step 4: every `[[pve]]` target backs up to one node
/// (`to`). `edit-storage-cfg` rewrites the pbs: entry through the remote shell under PVE's
/// lock (temporary file, rename), then sets its secret through the API; without a remote
/// shell, the diff and the commands go to the operator. `switch-storage` moves the backup
/// jobs to `failover-storage` and disables the dead entry through the API, and back: it
/// enables the entry again and moves the jobs home.
public struct Retarget: StepAction {
    /// The node PVE backs up to afterwards.
    public let to: NodeRole

    public init(to: NodeRole) { self.to = to }

    private var runbook: String { to == .secondary ? "failover" : "failback" }

    static let lock = "/etc/pve/priv/lock/file-storage_cfg"

    /// Where PVE should point: the node as PVE reaches it, with PVE's token there.
    static func target(_ context: RunContext, _ role: NodeRole) -> StorageConfig.Target {
        let node = context.node(role)
        return StorageConfig.Target(server: node.pveServer ?? node.host, datastore: node.datastore, fingerprint: node.fingerprint.description.lowercased(),
                                    username: node.pveToken?.authID, port: node.port)
    }

    public func plan(_ context: RunContext, _ run: RunState, _ decisions: Decisions) async throws(StepFailure) -> [PlannedChange] {
        guard context.node(to).pveToken != nil else {
            throw StepFailure("no [\(to.rawValue)] pve-auth-id/pve-secret-file: the entry needs PVE's token and secret on the \(to.rawValue)")
        }
        var changes: [PlannedChange] = []
        for host in context.config.pve {
            switch host.method {
            case .editStorageCfg: changes += try await planEdit(host, context, run)
            case .switchStorage: changes += try await planSwitch(host, context)
            }
        }
        return changes
    }

    private func planEdit(_ host: PVEHostConfig, _ context: RunContext, _ run: RunState) async throws(StepFailure) -> [PlannedChange] {
        let target = Self.target(context, to)
        var changes: [PlannedChange] = []
        if let shell = context.shell(host) {
            let read = await shell.run("cat /etc/pve/storage.cfg", input: "")
            guard read.status == 0 else { throw StepFailure("\(host.name): cannot read /etc/pve/storage.cfg through the remote shell: \(read.error.trimmed)") }
            let new: String
            do { new = try StorageConfig(read.output).retargeting(host.storage, to: target).text } catch {
                throw StepFailure("\(host.name): /etc/pve/storage.cfg: \(error)")
            }
            if new != read.output {
                changes.append(PlannedChange(target: host.name, change: "rewrite pbs entry \(host.storage)", diff: Self.diff(read.output, new)))
            }
        } else {
            let entry: PVEStorage?
            do { entry = try await context.pveReader(host).pbsStorages().first { $0.storage == host.storage } } catch {
                throw StepFailure("\(host.name): cannot read its storage entries: \(error)")
            }
            let current = [("server", entry?.server), ("datastore", entry?.datastore), ("fingerprint", entry?.fingerprint?.lowercased()),
                           ("username", entry?.username), ("port", String(entry?.port ?? 8007))]
            let wanted = [("server", target.server), ("datastore", target.datastore), ("fingerprint", target.fingerprint),
                          ("username", target.username), ("port", String(target.port ?? 8007))]
            let differing = zip(current, wanted).filter { $0.1 != $1.1 }.map { "\t\($1.0) \($1.1 ?? "")" }
            if !differing.isEmpty {
                changes.append(PlannedChange(target: host.name, change: "rewrite pbs entry \(host.storage)",
                                             diff: "in /etc/pve/storage.cfg, section pbs: \(host.storage), set:\n" + differing.joined(separator: "\n")))
            }
        }
        // The secret is not readable back: it is set after the entry changed, and again only while
        // no attempt succeeded and PVE cannot activate the entry (an operator may have set it by hand).
        let secret = "set secret of \(host.storage)"
        let secretSet = run.steps.contains { step in step.applied.contains { $0.target == host.name && $0.change == secret && $0.result == "ok" } }
        var needsSecret = !changes.isEmpty
        if !needsSecret && !secretSet { needsSecret = await !Self.active(host, context) }
        if needsSecret {
            changes.append(PlannedChange(target: host.name, change: secret, diff: "\(host.storage).pw <- the secret of \(target.username ?? "?") (not shown)",
                                         readable: false))
        }
        return changes
    }

    /// Whether PVE activates the entry now (it reaches the node it names, with its token).
    private static func active(_ host: PVEHostConfig, _ context: RunContext) async -> Bool {
        (try? await context.pveReader(host).storageStatus(node: host.node, storage: host.storage).active) == 1
    }

    private func planSwitch(_ host: PVEHostConfig, _ context: RunContext) async throws(StepFailure) -> [PlannedChange] {
        guard let failover = host.failoverStorage else { throw StepFailure("\(host.name): switch-storage needs failover-storage") }
        let (from, into) = to == .secondary ? (host.storage, failover) : (failover, host.storage)
        do {
            let client = context.pveReader(host)
            let jobs = try await client.backupJobs().filter { $0.storage == from }
            let disabled = try await client.storages().first(where: { $0.storage == host.storage })?.disable == 1
            var changes: [PlannedChange] = []
            // Back home, the entry is enabled before any job is moved onto it.
            if to == .primary, disabled {
                changes.append(PlannedChange(target: host.name, change: "enable storage \(host.storage)", diff: "\(host.storage): delete disable"))
            }
            changes += jobs.map { PlannedChange(target: host.name, change: "move backup job \($0.id) to \(into)",
                                                diff: "backup job \($0.id): storage \(from) -> \(into)") }
            if to == .secondary, !disabled {
                changes.append(PlannedChange(target: host.name, change: "disable storage \(host.storage)", diff: "\(host.storage): disable"))
            }
            return changes
        } catch {
            throw StepFailure("\(host.name): cannot read its backup jobs and storage entries: \(error)")
        }
    }

    public func apply(_ change: PlannedChange, _ context: RunContext, _ run: RunState) async -> ApplyOutcome {
        guard let host = context.config.pve.first(where: { $0.name == change.target }) else { return .failed("no [[pve]] named \(change.target)") }
        let words = change.change.split(separator: " ").map(String.init)
        if change.change.hasPrefix("rewrite pbs entry") {
            guard let shell = context.shell(host) else {
                return .needsOperator("\(host.name) has no remote-shell: as root on it, \(change.diff ?? ""); then run pbsha \(runbook) again")
            }
            return await rewrite(host, shell, context)
        }
        guard let client = context.pveOperator(host) else {
            return .needsOperator("\(host.name) has no operator token: \(change.diff ?? change.change) by hand (pvesm set / Datacenter > Backup), then run pbsha \(runbook) again")
        }
        // PVE's checks: storage entries need Datastore.Allocate on /storage; a backup job Sys.Modify
        // on / and, to move, Datastore.Allocate on the storage it leaves and the one it joins.
        let leaving = to == .secondary ? host.storage : host.failoverStorage ?? host.storage
        let needed: [(privilege: String, path: String)] = words.first == "move" && words.count == 6
            ? [("Sys.Modify", "/"), ("Datastore.Allocate", "/storage/\(leaving)"), ("Datastore.Allocate", "/storage/\(words[5])")]
            : [("Datastore.Allocate", "/storage")]
        let manual = switch words.first {
        case "set": "pvesm set \(host.storage) --password '<the secret of \(context.node(to).pveToken?.authID ?? "pve-auth-id")>'"
        case "move": "pvesh set /cluster/backup/\(words.count == 6 ? words[3] : "ID") --storage \(words.last ?? "")"
        case "enable": "pvesm set \(host.storage) --delete disable"
        default: "pvesm set \(host.storage) --disable 1"
        }
        do {
            if let missing = try await PrivilegeCheck.missing(needed, client) {
                return .needsOperator("\(host.name): the operator token lacks \(missing): as root on it run `\(manual)`, then run pbsha \(runbook) again")
            }
            if change.change.hasPrefix("set secret of") {
                guard let secret = context.node(to).pveToken?.secret else { return .failed("no [\(to.rawValue)] pve-secret-file") }
                try await client.setStoragePassword(host.storage, secret: secret)
                return .applied("secret set through the API")
            } else if words.first == "move", words.count == 6 {
                try await client.moveBackupJob(words[3], to: words[5])
                return .applied(change.diff ?? "")
            } else if words.first == "enable" {
                try await client.updateStorage(host.storage, set: [], delete: ["disable"])
                return .applied("\(host.storage) enabled")
            } else {
                try await client.updateStorage(host.storage, set: [("disable", "1")])
                return .applied("\(host.storage) disabled")
            }
        } catch {
            if case .forbidden = error { return .needsOperator("\(host.name): the operator token may not: \(error); \(change.diff ?? change.change) by hand, then run pbsha \(runbook) again") }
            return .failed("\(error)")
        }
    }

    /// Reads the file again, changes only the entry, and writes it the way PVE does: under
    /// PVE's lock directory, to a temporary file, renamed over the original.
    private func rewrite(_ host: PVEHostConfig, _ shell: any RemoteShell, _ context: RunContext) async -> ApplyOutcome {
        let read = await shell.run("cat /etc/pve/storage.cfg", input: "")
        guard read.status == 0 else { return .failed("cannot read /etc/pve/storage.cfg: \(read.error.trimmed)") }
        let new: String
        do { new = try StorageConfig(read.output).retargeting(host.storage, to: Self.target(context, to)).text } catch { return .failed("\(error)") }
        guard new != read.output else { return .applied("already pointing at the \(to.rawValue)") }
        let temporary = "/etc/pve/storage.cfg.tmp.pbsha"
        let write = "mkdir \(Self.lock) && { cat > \(temporary) && mv \(temporary) /etc/pve/storage.cfg; status=$?; rmdir \(Self.lock); exit $status; }"
        let result = await shell.run(write, input: new)
        guard result.status == 0 else {
            return .failed("writing /etc/pve/storage.cfg failed (exit \(result.status)): \(result.error.trimmed); if \(Self.lock) is left behind and no PVE write is running, remove it")
        }
        return .applied("pbs entry \(host.storage) rewritten")
    }

    public func verify(_ context: RunContext, _ run: RunState) async -> [GateResult] {
        let target = Self.target(context, to)
        var results: [GateResult] = []
        for host in context.config.pve {
            let storage = host.method == .switchStorage && to == .secondary ? host.failoverStorage ?? host.storage : host.storage
            let client = context.pveReader(host)
            do {
                let entry = try await client.pbsStorages().first { $0.storage == storage }
                let points = entry?.server == target.server && entry?.datastore == target.datastore && (entry?.port ?? 8007) == (target.port ?? 8007)
                results.append(GateResult(name: "\(host.name) \(storage) points at the \(to.rawValue)", passed: points, hard: true,
                                          message: points ? "\(target.server):\(target.port ?? 8007) \(target.datastore)"
                                              : "it names \(entry?.server ?? "?"):\(entry?.port ?? 8007) \(entry?.datastore ?? "?")"))
                let status = try await client.storageStatus(node: host.node, storage: storage)
                results.append(GateResult(name: "\(host.name) \(storage) active on \(host.node)", passed: status.active == 1, hard: true,
                                          message: status.active == 1 ? "PVE reaches the \(to.rawValue) with the entry's token"
                                              : "PVE cannot activate it: check the firewall from \(host.node) to the \(to.rawValue), the fingerprint and the token"))
            } catch {
                results.append(GateResult(name: "\(host.name) readable", passed: false, hard: true, message: "\(error)"))
            }
        }
        return results
    }

    /// The changed lines of a file, `-` before and `+` after, each run of them under the
    /// section it belongs to (`  pbs: ID`). A longest-common-subsequence diff: storage.cfg
    /// repeats lines across entries (two entries on one datastore), which a greedy match
    /// would pair wrongly.
    static func diff(_ old: String, _ new: String) -> String {
        let before = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let after = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // common[i][j]: the longest common subsequence of before[i...] and after[j...].
        var common = Array(repeating: Array(repeating: 0, count: after.count + 1), count: before.count + 1)
        for i in stride(from: before.count - 1, through: 0, by: -1) {
            for j in stride(from: after.count - 1, through: 0, by: -1) {
                common[i][j] = before[i] == after[j] ? common[i + 1][j + 1] + 1 : max(common[i + 1][j], common[i][j + 1])
            }
        }
        var lines: [String] = []
        var (i, j) = (0, 0)
        var section = ""
        var shown = ""
        func emit(_ line: String) {
            if section != shown { lines.append("  \(section)"); shown = section }
            lines.append(line)
        }
        func isHeader(_ line: String) -> Bool { !line.isEmpty && !line.hasPrefix("\t") && !line.hasPrefix(" ") && !line.hasPrefix("#") && line.contains(":") }
        while i < before.count || j < after.count {
            if i < before.count, j < after.count, before[i] == after[j] {
                if isHeader(before[i]) { section = before[i] }
                i += 1
                j += 1
            } else if i < before.count, j == after.count || common[i + 1][j] >= common[i][j + 1] {
                emit("-\(before[i])")
                i += 1
            } else {
                emit("+\(after[j])")
                j += 1
            }
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
