import ProxmoxAPI

/// Failback step 5's answer to PBS's pull rule. A snapshot only the primary holds (the
/// secondary missed its sync before the outage) is older than the failover-era snapshots the
/// secondary took in that group, and pull copies per group only what is newer than the
/// target's newest: the resumed forward sync skips it forever. So the secondary pulls those
/// groups once more, into a namespace of their own (`pbsha-failback-YYYYMMDD`, named after
/// the failback's start), with a one-shot job (max-depth 0, group filters, remove-vanished
/// off) that is removed after it ran. Chunks are shared across a datastore, so the copy
/// costs little space; nothing is deleted anywhere.
enum PrimaryOnlyCopy {
    static let jobID = "pbsha-recover"
    /// The copies' namespaces at the datastore's root begin so; drift counts them as held.
    static let namespacePrefix = "pbsha-failback-"

    static func change(_ namespace: String) -> String { "copy primary-only snapshots into namespace \(namespace)" }

    /// The namespace this failback copies into.
    static func namespace(_ run: RunState) -> String {
        namespacePrefix + Timestamps.rfc3339(run.started).prefix(10).filter { $0 != "-" }
    }

    /// The primary-only snapshots the forward job would sync (its group filters) that the
    /// secondary holds neither in the job's namespace nor in `namespace`.
    static func stranded(_ facts: FailbackFacts, forward job: SyncJob, in namespace: String, _ context: RunContext) async throws(StepFailure) -> [SnapshotListItem] {
        let filters = (job.groupFilter ?? []).compactMap(GroupFilter.init)
        let wanted = facts.primaryOnly.filter { GroupFilter.selects(filters, type: $0.backupType, id: $0.backupID) }
        guard !wanted.isEmpty else { return [] }
        let copied: Set<String>
        do {
            let store = context.node(.secondary).datastore
            let reader = context.reader(.secondary)
            let exists = try await reader.namespaces(store).contains { $0.ns == namespace }
            copied = exists ? Set(try await reader.snapshots(store, namespace: namespace).map(FailbackFacts.name)) : []
        } catch {
            throw StepFailure("cannot read the secondary's namespace \(namespace): \(error)")
        }
        return wanted.filter { !copied.contains(FailbackFacts.name($0)) }
    }

    /// Whether the forward job's remove-vanished would delete `namespace` on its next run: it
    /// removes the target's namespaces below its own (to its max-depth) the source lacks.
    static func forwardJobWouldRemove(_ job: SyncJob, _ namespace: String) -> Bool {
        guard job.removeVanished == true else { return false }
        let base = job.ns ?? ""
        guard base.isEmpty || namespace.hasPrefix(base + "/") else { return false }
        let depth = namespace.split(separator: "/").count - base.split(separator: "/").count
        return job.maxDepth.map { depth <= $0 } ?? true
    }

    /// Creates the namespace, runs the one-shot job, removes it and checks every stranded
    /// snapshot arrived.
    static func apply(_ change: PlannedChange, _ client: PBSClient, _ context: RunContext, _ run: RunState, patience: Double) async -> ApplyOutcome {
        let store = context.node(.secondary).datastore
        let namespace = namespace(run)
        let manual = "on the secondary run `proxmox-backup-client namespace create \(namespace) --repository REPO`, then a one-shot "
            + "`proxmox-backup-manager sync-job create \(jobID) --store \(store) --ns \(namespace) --max-depth 0 --group-filter group:TYPE/ID …` "
            + "from the forward job's remote, run it, remove it; then run pbsha failback again"
        do {
            guard let forward = try await client.syncJobs(store: store).first(where: { $0.config.id == context.config.syncJob })?.config else {
                return .failed("the secondary has no sync job \(context.config.syncJob)")
            }
            if forwardJobWouldRemove(forward, namespace) {
                return .needsOperator("the forward job \(forward.id) has remove-vanished on and reaches namespace \(namespace)"
                                      + " (max-depth \(forward.maxDepth.map(String.init) ?? "unset")): its next run would delete the copies. "
                                      + "If the primary's datastore has no namespaces to mirror, run `proxmox-backup-manager sync-job update \(forward.id) --max-depth 0` "
                                      + "on the secondary (or turn remove-vanished off), then run pbsha failback again")
            }
            let stranded = try await stranded(try await FailbackFacts.read(context), forward: forward, in: namespace, context)
            guard !stranded.isEmpty else { return .applied("nothing left to copy into namespace \(namespace)") }
            let needed = [("Datastore.Modify", "/datastore/\(store)"), ("Remote.Read", "/remote/\(forward.remote ?? "")")]
            if let missing = try await PrivilegeCheck.missing(needed, client) {
                return .needsOperator("the secondary's operator token lacks \(missing): \(manual)")
            }
            try await client.createNamespace(store: store, name: namespace)
            if try await client.syncJobs(store: store).contains(where: { $0.config.id == jobID }) { try await client.deleteSyncJob(jobID) }
            var job = SyncJob(id: jobID, store: store, remote: forward.remote, remoteStore: forward.remoteStore, schedule: nil,
                              removeVanished: false, owner: forward.owner)
            job.ns = namespace
            job.remoteNs = forward.remoteNs
            job.maxDepth = 0
            job.groupFilter = Array(Set(stranded.map { "group:\(FailbackFacts.group($0))" })).sorted()
            job.comment = "pbsha failback \(run.id): primary-only snapshots the forward sync skips"
            try await client.createSyncJob(job)
            let upid = try await client.runSyncJob(jobID)
            let status = try await PBSTask.follow(client, upid, on: .secondary, "copy into \(namespace)", context, patience: patience)
            try await client.deleteSyncJob(jobID)
            guard status.exitstatus == "OK" else {
                return .failed("the copy into namespace \(namespace) ended \(status.exitstatus ?? "unknown"): \(await PBSTask.problems(client, upid))")
            }
            let left = try await self.stranded(try await FailbackFacts.read(context), forward: forward, in: namespace, context)
            guard left.isEmpty else {
                return .failed("after the copy (\(upid)) the secondary still lacks \(left.map(FailbackFacts.name).joined(separator: ", ")) in namespace \(namespace)")
            }
            return .applied("copied \(stranded.count) snapshot(s) into namespace \(namespace) (\(upid))")
        } catch let failure as StepFailure {
            return .failed(failure.message)
        } catch {
            if case .forbidden = error as? APIError { return .needsOperator("the secondary refused: \(error); \(manual)") }
            return .failed("\(error)")
        }
    }
}
