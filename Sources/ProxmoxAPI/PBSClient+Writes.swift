/// The writes pbsha's runbooks make on a PBS node (shared/reference/pbs-api.md 4.8, 5.2, 5.3, 7).
/// None of them deletes backup data: a sync job is paused by deleting its schedule property;
/// removing a job or a remote removes configuration only, never a snapshot.
extension PBSClient {
    /// Gives a backup group to another owner (`POST /admin/datastore/{store}/change-owner`).
    public func changeOwner(store: String, type: String, id: String, to newOwner: String, namespace: String? = nil) async throws(APIError) {
        var form = [("backup-type", type), ("backup-id", id), ("new-owner", newOwner)]
        if let namespace, !namespace.isEmpty { form.append(("ns", namespace)) }
        let _: String? = try await connection.write("POST", APIPath.json("/admin/datastore/\(APIPath.encode(store))/change-owner"), form: form)
    }

    /// Changes a sync job (`PUT /config/sync/{id}`): `set` gives properties new values,
    /// `delete` removes properties (`schedule` to pause the job).
    public func updateSyncJob(_ id: String, set: [(String, String)] = [], delete: [String] = []) async throws(APIError) {
        var form = set
        if !delete.isEmpty { form.append(("delete", delete.joined(separator: ","))) }
        let _: String? = try await connection.write("PUT", APIPath.json("/config/sync/\(APIPath.encode(id))"), form: form)
    }

    /// Starts a sync job now (`POST /admin/sync/{id}/run`) and answers the task's UPID.
    public func runSyncJob(_ id: String) async throws(APIError) -> String {
        try await connection.write("POST", APIPath.json("/admin/sync/\(APIPath.encode(id))/run"), form: [])
    }

    /// Verifies now (`POST /admin/datastore/{store}/verify`): one snapshot (type, id, time),
    /// one group (type, id) or the whole store; answers the task's UPID. With
    /// `ignoreVerified` (PBS's default) only unverified or outdated snapshots are read.
    public func verify(store: String, type: String? = nil, id: String? = nil, time: Int64? = nil,
                       ignoreVerified: Bool = true, outdatedAfter days: Int? = nil) async throws(APIError) -> String {
        var form: [(String, String)] = []
        if let type { form.append(("backup-type", type)) }
        if let id { form.append(("backup-id", id)) }
        if let time { form.append(("backup-time", String(time))) }
        if !ignoreVerified { form.append(("ignore-verified", "false")) }
        if let days { form.append(("outdated-after", String(days))) }
        return try await connection.write("POST", APIPath.json("/admin/datastore/\(APIPath.encode(store))/verify"), form: form)
    }

    /// Adds a remote (`POST /config/remote`); `password` is the secret of `authID` on the
    /// remote and is never shown again. PBS does not test the connection here.
    public func createRemote(_ remote: RemoteConfig, password: String) async throws(APIError) {
        var form = [("name", remote.name), ("host", remote.host), ("auth-id", remote.authID), ("password", password)]
        if let port = remote.port { form.append(("port", String(port))) }
        if let fingerprint = remote.fingerprint { form.append(("fingerprint", fingerprint)) }
        if let comment = remote.comment { form.append(("comment", comment)) }
        let _: String? = try await connection.write("POST", APIPath.json("/config/remote"), form: form)
    }

    /// Changes a remote (`PUT /config/remote/{name}`); `delete` takes `comment`, `fingerprint`, `port`.
    public func updateRemote(_ name: String, set: [(String, String)] = [], delete: [String] = []) async throws(APIError) {
        var form = set
        if !delete.isEmpty { form.append(("delete", delete.joined(separator: ","))) }
        let _: String? = try await connection.write("PUT", APIPath.json("/config/remote/\(APIPath.encode(name))"), form: form)
    }

    /// Removes a remote's configuration (`DELETE /config/remote/{name}`); PBS refuses while a
    /// sync job uses it.
    public func deleteRemote(_ name: String) async throws(APIError) {
        let _: String? = try await connection.write("DELETE", APIPath.json("/config/remote/\(APIPath.encode(name))"), form: [])
    }

    /// Creates a pull job (`POST /config/sync`) from the job's set properties.
    public func createSyncJob(_ job: SyncJob) async throws(APIError) {
        var form = [("id", job.id), ("store", job.store), ("remote-store", job.remoteStore)]
        let optional: [(String, String?)] = [
            ("remote", job.remote), ("schedule", job.schedule), ("owner", job.owner), ("comment", job.comment), ("rate-in", job.rateIn),
            ("remove-vanished", job.removeVanished.map { $0 ? "true" : "false" }), ("sync-direction", job.syncDirection),
            ("ns", job.ns), ("remote-ns", job.remoteNs), ("max-depth", job.maxDepth.map(String.init)),
        ]
        form += optional.compactMap { key, value in value.map { (key, $0) } }
        form += (job.groupFilter ?? []).map { ("group-filter", $0) }
        let _: String? = try await connection.write("POST", APIPath.json("/config/sync"), form: form)
    }

    /// Makes a namespace `name` below `parent` (`POST /admin/datastore/{store}/namespace`,
    /// Datastore.Modify on the parent); one that exists is no error. Answers its path.
    @discardableResult
    public func createNamespace(store: String, name: String, parent: String = "") async throws(APIError) -> String {
        var form = [("name", name)]
        if !parent.isEmpty { form.append(("parent", parent)) }
        return try await connection.write("POST", APIPath.json("/admin/datastore/\(APIPath.encode(store))/namespace"), form: form)
    }

    /// Removes a sync job's configuration and state (`DELETE /config/sync/{id}`); the
    /// snapshots it copied stay.
    public func deleteSyncJob(_ id: String) async throws(APIError) {
        let _: String? = try await connection.write("DELETE", APIPath.json("/config/sync/\(APIPath.encode(id))"), form: [])
    }

    /// One remote's configuration (`GET /config/remote/{name}`), without its password.
    public func remote(_ name: String) async throws(APIError) -> RemoteConfig {
        try await connection.get(APIPath.json("/config/remote/\(APIPath.encode(name))"))
    }
}
