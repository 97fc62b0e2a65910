/// The writes pbsha's runbooks make on a PBS node (shared/reference/pbs-api.md 4.8, 5.2, 5.3).
/// None of them deletes backup data: a sync job's schedule is paused by deleting the
/// schedule property, never the job or a snapshot.
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
}
