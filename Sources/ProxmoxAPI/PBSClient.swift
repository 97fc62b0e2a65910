/// Typed calls to one Proxmox Backup Server (`/api2/json`, node `localhost`).
public struct PBSClient: Sendable {
    public let connection: APIConnection

    public init(transport: any HTTPTransport, endpoint: Endpoint, token: APIToken) {
        connection = APIConnection(transport: transport, endpoint: endpoint, authorization: token.pbsHeader)
    }

    public var endpoint: Endpoint { connection.endpoint }

    /// Liveness without authentication.
    public func ping() async throws(APIError) -> Pong { try await connection.get(APIPath.json("/ping")) }
    /// Also validates the token.
    public func version() async throws(APIError) -> VersionInfo { try await connection.get(APIPath.json("/version")) }
    public func time() async throws(APIError) -> NodeTime { try await connection.get(APIPath.json("/nodes/localhost/time")) }
    public func nodeStatus() async throws(APIError) -> NodeStatus { try await connection.get(APIPath.json("/nodes/localhost/status")) }

    public func datastores() async throws(APIError) -> [DatastoreListItem] {
        try await connection.get(APIPath.json("/admin/datastore"))
    }

    public func datastoreStatus(_ store: String) async throws(APIError) -> DatastoreStatus {
        try await connection.get(APIPath.json("/admin/datastore/\(APIPath.encode(store))/status", [("verbose", "1")]))
    }

    public func groups(_ store: String, namespace: String? = nil) async throws(APIError) -> [GroupListItem] {
        try await connection.get(APIPath.json("/admin/datastore/\(APIPath.encode(store))/groups", [("ns", namespace.nonEmpty)]))
    }

    /// A datastore's snapshots; `type` and `id` ask PBS for one group's only.
    public func snapshots(_ store: String, namespace: String? = nil, type: String? = nil, id: String? = nil) async throws(APIError) -> [SnapshotListItem] {
        try await connection.get(APIPath.json("/admin/datastore/\(APIPath.encode(store))/snapshots",
                                              [("ns", namespace.nonEmpty), ("backup-type", type), ("backup-id", id)]))
    }

    public func namespaces(_ store: String) async throws(APIError) -> [NamespaceListItem] {
        try await connection.get(APIPath.json("/admin/datastore/\(APIPath.encode(store))/namespace"))
    }

    /// Sync jobs with their schedule status (`/admin/sync`), pull direction by default.
    /// `direction` `push` or `all` asks PBS 3.3+ for push jobs too (it lists pull jobs only by default).
    public func syncJobs(store: String? = nil, direction: String? = nil) async throws(APIError) -> [ScheduledJob<SyncJob>] {
        try await connection.get(APIPath.json("/admin/sync", [("store", store), ("sync-direction", direction)]))
    }

    /// Sync job configurations (`/config/sync`).
    public func syncJobConfigs() async throws(APIError) -> [SyncJob] {
        try await connection.get(APIPath.json("/config/sync"))
    }

    public func verifyJobs(store: String? = nil) async throws(APIError) -> [ScheduledJob<VerifyJob>] {
        try await connection.get(APIPath.json("/admin/verify", [("store", store)]))
    }

    public func remotes() async throws(APIError) -> [RemoteConfig] {
        try await connection.get(APIPath.json("/config/remote"))
    }

    /// Task history, newest first. `typeFilter` is a substring match on the worker type;
    /// `start` skips that many matching tasks (a page's offset).
    public func tasks(typeFilter: String? = nil, store: String? = nil, limit: Int = 50, start: Int = 0,
                      since: Int64? = nil) async throws(APIError) -> [TaskListItem] {
        try await connection.get(APIPath.json("/nodes/localhost/tasks", [
            ("typefilter", typeFilter), ("store", store), ("limit", String(limit)), ("start", start == 0 ? nil : String(start)),
            ("since", since.map(String.init)),
        ]))
    }

    public func taskStatus(_ upid: String) async throws(APIError) -> TaskStatus {
        try await connection.get(APIPath.json("/nodes/localhost/tasks/\(APIPath.encode(upid))/status"))
    }

    /// A page of a task log; `start` counts from 1 like PBS's own client.
    public func taskLog(_ upid: String, start: Int = 1, limit: Int = 500) async throws(APIError) -> TaskLogPage {
        let path = APIPath.json("/nodes/localhost/tasks/\(APIPath.encode(upid))/log",
                                [("start", String(start)), ("limit", String(limit)), ("test-status", "1")])
        return try connection.decodeFast(TaskLogPage.self, from: try await connection.raw("GET", path), path: path)
    }

    /// The whole log from line `from` (PBS numbers from 1 and `start` names the first line
    /// wanted), in pages of `pageSize`, and whether the task still runs. No `limit=0`: before
    /// PBS 2.2.8 it returned no lines at all.
    public func taskLogLines(_ upid: String, from: Int = 1, pageSize: Int = 500) async throws(APIError) -> (lines: [TaskLogLine], active: Bool) {
        var lines: [TaskLogLine] = []
        var active = false
        var start = max(1, from)
        for _ in 0..<2_000 {
            let page = try await taskLog(upid, start: start, limit: pageSize)
            lines += page.data
            active = page.active ?? false
            guard page.data.count == pageSize, let last = page.data.last?.n else { break }
            start = last + 1
        }
        return (lines, active)
    }

    /// The token's own effective privileges.
    /// ACL entries at `path` and below (only at it with `exact`); without Sys.Audit on
    /// `/access/acl` PBS lists only the entries of the caller's own tokens.
    public func acl(path: String? = nil, exact: Bool = false) async throws(APIError) -> [ACLEntry] {
        try await connection.get(APIPath.json("/access/acl", [("path", path), ("exact", exact ? "1" : nil)]))
    }

    /// The caller's privileges (`GET /access/permissions`); with `path`, on that path alone,
    /// inherited entries included.
    public func permissions(path: String? = nil) async throws(APIError) -> PermissionMap {
        try await connection.get(APIPath.json("/access/permissions", [("path", path)]))
    }
}

extension Optional where Wrapped == String {
    /// nil for nil or the empty string (the root namespace is sent by leaving `ns` out).
    var nonEmpty: String? { self.flatMap { $0.isEmpty ? nil : $0 } }
}
