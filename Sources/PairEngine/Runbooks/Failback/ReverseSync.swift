import ProxmoxAPI

/// Failback step 1: the primary pulls from the secondary. A Remote on the primary with the
/// secondary's read-only token (`[secondary] reverse-sync-*`, DatastoreReader there and
/// nothing more) and a pull job whose owner is the primary's `pve-auth-id` (pull compares
/// owners strictly, and PVE's groups on the primary belong to it), remove-vanished off, no
/// schedule; then one run of it.
public struct ReverseSync: StepAction {
    /// The name of the Remote and of the pull job on the primary.
    public static let name = "pbsha-reverse"
    let patience: Double

    public init(patience: Double = 6 * 3600) { self.patience = patience }

    static func wantedRemote(_ context: RunContext) -> RemoteConfig? {
        let secondary = context.node(.secondary)
        guard let token = secondary.reverseSyncToken else { return nil }
        return RemoteConfig(name: name, host: secondary.host, port: secondary.port, authID: token.authID, fingerprint: secondary.fingerprint.description)
    }

    static func wantedJob(_ context: RunContext) -> SyncJob {
        SyncJob(id: name, store: context.node(.primary).datastore, remote: name, remoteStore: context.node(.secondary).datastore,
                schedule: nil, removeVanished: false, owner: context.node(.primary).pveToken?.authID)
    }

    public func plan(_ context: RunContext, _ run: RunState, _ decisions: Decisions) async throws(StepFailure) -> [PlannedChange] {
        guard let remote = Self.wantedRemote(context) else {
            // pbsha's tokens may not create tokens (Permissions.Modify): a person does, and says so.
            return [PlannedChange(target: "secondary", change: "create the reverse-sync token",
                                  diff: "a read-only token on the secondary for the primary to pull with")]
        }
        let store = context.node(.secondary).datastore
        guard let owner = context.node(.primary).pveToken?.authID else {
            throw StepFailure("no [primary] pve-auth-id: the pull job must give the pulled groups to PVE's token on the primary")
        }
        guard let client = context.operatorClient(.primary) else {
            throw StepFailure("no [primary] operator token: add operator-auth-id/operator-secret-file (docs/configuration.md)")
        }
        var changes: [PlannedChange] = []
        do {
            let present = try await client.remotes().first { $0.name == Self.name }
            if present == nil {
                changes.append(PlannedChange(target: "primary", change: "create remote \(Self.name)",
                                             diff: "remote \(Self.name): \(remote.host):\(remote.port ?? 8007) as \(remote.authID), fingerprint \(remote.fingerprint ?? "")"))
            } else if present?.host != remote.host || (present?.port ?? 8007) != remote.port || present?.authID != remote.authID
                        || present?.fingerprint.flatMap(Fingerprint.init) != Fingerprint(remote.fingerprint ?? "") {
                changes.append(PlannedChange(target: "primary", change: "update remote \(Self.name)",
                                             diff: "remote \(Self.name) -> \(remote.host):\(remote.port ?? 8007) as \(remote.authID), fingerprint \(remote.fingerprint ?? "")"))
            }
            let job = try await client.syncJobs(store: context.node(.primary).datastore).first { $0.config.id == Self.name }?.config
            let wanted = "pull into \(context.node(.primary).datastore) from \(Self.name):\(store), owner \(owner), remove-vanished off, no schedule"
            if job == nil {
                changes.append(PlannedChange(target: "primary", change: "create sync job \(Self.name)", diff: wanted))
            } else if job?.owner != owner || job?.removeVanished == true || job?.schedule != nil || job?.remoteStore != store {
                changes.append(PlannedChange(target: "primary", change: "update sync job \(Self.name)", diff: wanted))
            }
        } catch {
            throw StepFailure("cannot read the primary's remotes and sync jobs: \(error)")
        }
        let ran = run.steps.contains { $0.applied.contains { $0.change == "run reverse sync \(Self.name)" && $0.result == "ok" } }
        if !ran { changes.append(PlannedChange(target: "primary", change: "run reverse sync \(Self.name)", diff: "the primary pulls what the secondary took since the failover")) }
        return changes
    }

    public func apply(_ change: PlannedChange, _ context: RunContext, _ run: RunState) async -> ApplyOutcome {
        if change.change == "create the reverse-sync token" {
            let store = context.node(.secondary).datastore
            return .needsOperator("no [secondary] reverse-sync-auth-id/reverse-sync-secret-file: as an admin on the secondary run "
                + "`proxmox-backup-manager user create reverse@pbs` (once), `proxmox-backup-manager user generate-token reverse@pbs primary-pull` and "
                + "`proxmox-backup-manager acl update /datastore/\(store) DatastoreReader --auth-id 'reverse@pbs!primary-pull'`; "
                + "put the secret in a mode-600 file, add both keys to [secondary], then run pbsha failback again")
        }
        guard let client = context.operatorClient(.primary), let remote = Self.wantedRemote(context),
              let secret = context.node(.secondary).reverseSyncToken?.secret else {
            return .failed("the primary's operator token or the reverse-sync token is not configured")
        }
        let job = Self.wantedJob(context)
        let store = "/datastore/\(job.store)"
        let needed: [(privilege: String, path: String)] = change.change.contains("remote")
            ? [("Remote.Modify", "/remote/\(Self.name)")]
            : [("Datastore.Audit", store), ("Datastore.Backup", store), ("Datastore.Modify", store), ("Remote.Read", "/remote/\(Self.name)/\(job.remoteStore)")]
        let manual = switch change.change.split(separator: " ").first {
        case "create" where change.change.contains("remote"):
            "proxmox-backup-manager remote create \(Self.name) --host \(remote.host) --port \(remote.port ?? 8007) --auth-id '\(remote.authID)' --fingerprint \(remote.fingerprint ?? "") --password '<secret>'"
        case "update" where change.change.contains("remote"):
            "proxmox-backup-manager remote update \(Self.name) --host \(remote.host) --port \(remote.port ?? 8007) --auth-id '\(remote.authID)' --fingerprint \(remote.fingerprint ?? "") --password '<secret>'"
        case "run": "proxmox-backup-manager sync-job run \(Self.name)"
        default:
            "proxmox-backup-manager sync-job \(change.change.hasPrefix("create") ? "create" : "update") \(Self.name) --store \(job.store) --remote \(Self.name) --remote-store \(job.remoteStore) --owner '\(job.owner ?? "")' --remove-vanished false"
        }
        do {
            if let missing = try await PrivilegeCheck.missing(needed, client) {
                return .needsOperator("the primary's operator token lacks \(missing): on the primary run `\(manual)`, then run pbsha failback again")
            }
            switch change.change {
            case "create remote \(Self.name)":
                try await client.createRemote(remote, password: secret)
            case "update remote \(Self.name)":
                try await client.updateRemote(Self.name, set: [("host", remote.host), ("port", String(remote.port ?? 8007)), ("auth-id", remote.authID),
                                                               ("fingerprint", remote.fingerprint ?? ""), ("password", secret)])
            case "create sync job \(Self.name)":
                try await client.createSyncJob(job)
            case "update sync job \(Self.name)":
                try await client.updateSyncJob(Self.name, set: [("owner", job.owner ?? ""), ("remove-vanished", "false"), ("remote-store", job.remoteStore)],
                                               delete: ["schedule"])
            default:
                let upid = try await client.runSyncJob(Self.name)
                let status = try await PBSTask.follow(client, upid, on: .primary, "reverse sync", context, patience: patience)
                guard status.exitstatus == "OK" || status.exitstatus?.hasPrefix("WARNINGS") == true else {
                    return .failed("the reverse sync ended \(status.exitstatus ?? "unknown"): \(await PBSTask.problems(client, upid)); the PVE targets stay on the secondary")
                }
                return .applied("reverse sync ended \(status.exitstatus ?? "OK") (\(upid))")
            }
            return .applied(change.diff ?? change.change)
        } catch let failure as StepFailure {
            return .failed(failure.message)
        } catch {
            if case .forbidden = error as? APIError { return .needsOperator("the primary refused: \(error); on the primary run `\(manual)`, then run pbsha failback again") }
            return .failed("\(error)")
        }
    }

    public func verify(_ context: RunContext, _ run: RunState) async -> [GateResult] {
        guard let client = context.operatorClient(.primary) else { return [] }
        do {
            let job = try await client.syncJobs(store: context.node(.primary).datastore).first { $0.config.id == Self.name }?.config
            let owner = context.node(.primary).pveToken?.authID
            let safe = job != nil && job?.owner == owner && job?.removeVanished != true && job?.schedule == nil
            return [GateResult(name: "reverse sync job", passed: safe, hard: true,
                               message: safe ? "owner \(owner ?? ""), remove-vanished off, no schedule" : "missing or not as planned: \(String(describing: job))")]
        } catch {
            return [GateResult(name: "primary readable", passed: false, hard: true, message: "\(error)")]
        }
    }
}
