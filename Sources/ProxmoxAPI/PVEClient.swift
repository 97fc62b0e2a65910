/// Typed calls to one Proxmox VE host or cluster node (`/api2/json`, port 8006).
/// Writes send form-encoded parameters; errors arrive as PVE's JSON with the message in
/// the status line (`APIError.from`).
public struct PVEClient: Sendable {
    public let connection: APIConnection

    public init(transport: any HTTPTransport, endpoint: Endpoint, token: APIToken) {
        connection = APIConnection(transport: transport, endpoint: endpoint, authorization: token.pveHeader)
    }

    public func version() async throws(APIError) -> VersionInfo { try await connection.get(APIPath.json("/version")) }

    /// Storage entries of type `pbs` (each needs Datastore.Audit or AllocateSpace on it).
    public func pbsStorages() async throws(APIError) -> [PVEStorage] {
        try await connection.get(APIPath.json("/storage", [("type", "pbs")]))
    }

    /// Every storage entry.
    public func storages() async throws(APIError) -> [PVEStorage] {
        try await connection.get(APIPath.json("/storage"))
    }

    /// One storage entry (needs Datastore.Allocate on it).
    public func storage(_ id: String) async throws(APIError) -> PVEStorage {
        try await connection.get(APIPath.json("/storage/\(APIPath.encode(id))"))
    }

    /// Changes updatable properties of a storage entry (`fingerprint`, `username`, `port`,
    /// `namespace`, …; `server` and `datastore` are fixed and PVE refuses them). `digest`
    /// makes the change fail if the file changed since it was read.
    public func updateStorage(_ id: String, set: [(String, String)], delete: [String] = [], digest: String? = nil) async throws(APIError) {
        var form = set
        if !delete.isEmpty { form.append(("delete", delete.joined(separator: ","))) }
        if let digest { form.append(("digest", digest)) }
        // PVE answers `{storage, type}` (and the key when one was set), not null.
        let _: PVEStorageUpdated = try await connection.write("PUT", APIPath.json("/storage/\(APIPath.encode(id))"), form: form)
    }

    /// Stores the secret PVE authenticates to the PBS with (`/etc/pve/priv/storage/<ID>.pw`).
    public func setStoragePassword(_ id: String, secret: String) async throws(APIError) {
        try await updateStorage(id, set: [("password", secret)])
    }

    /// Cluster members, or the standalone host.
    /// The caller's privileges on `path`, inherited ones included (`GET /access/permissions?path=`;
    /// PVE maps each privilege to its propagate flag written as 0 or 1).
    public func privileges(on path: String) async throws(APIError) -> Set<String> {
        let map: [String: [String: Int]] = try await connection.get(APIPath.json("/access/permissions", [("path", path)]))
        return Set(map[path].map { Array($0.keys) } ?? [])
    }

    public func nodes() async throws(APIError) -> [PVENode] {
        try await connection.get(APIPath.json("/nodes"))
    }

    /// A `cluster` entry (only when clustered) and one entry per node.
    public func clusterStatus() async throws(APIError) -> [PVEClusterStatusEntry] {
        try await connection.get(APIPath.json("/cluster/status"))
    }

    /// Every guest and the node it lives on.
    public func guests() async throws(APIError) -> [PVEGuest] {
        try await connection.get(APIPath.json("/cluster/resources", [("type", "vm")]))
    }

    public func backupJobs() async throws(APIError) -> [PVEBackupJob] {
        try await connection.get(APIPath.json("/cluster/backup"))
    }

    public func backupJob(_ id: String) async throws(APIError) -> PVEBackupJob {
        try await connection.get(APIPath.json("/cluster/backup/\(APIPath.encode(id))"))
    }

    /// Moves a scheduled backup job to another storage entry (Sys.Modify on `/` and
    /// Datastore.Allocate on the old and the new storage).
    public func moveBackupJob(_ id: String, to storage: String) async throws(APIError) {
        let _: String? = try await connection.write("PUT", APIPath.json("/cluster/backup/\(APIPath.encode(id))"), form: [("storage", storage)])
    }

    /// Starts a one-shot backup of `vmids` on `node` into `storage`; `remove` false keeps
    /// the storage's prune settings from deleting older backups afterwards.
    public func vzdump(node: String, vmids: [Int], storage: String, remove: Bool = false) async throws(APIError) -> VzdumpStart {
        let form = [("vmid", vmids.map(String.init).joined(separator: ",")), ("storage", storage), ("mode", "snapshot"),
                    ("remove", remove ? "1" : "0")]
        let answer: String = try await connection.write("POST", APIPath.json("/nodes/\(APIPath.encode(node))/vzdump"), form: form)
        return answer == "OK" ? .noGuestOnThisNode : .task(answer)
    }

    public func taskStatus(node: String, upid: String) async throws(APIError) -> TaskStatus {
        try await connection.get(APIPath.json("/nodes/\(APIPath.encode(node))/tasks/\(APIPath.encode(upid))/status"))
    }

    /// A page of a task log. PVE's `start` is the number of lines to skip (the first line
    /// returned has `n = start + 1`), unlike PBS's.
    public func taskLog(node: String, upid: String, skip: Int = 0, limit: Int = 500) async throws(APIError) -> TaskLogPage {
        let path = APIPath.json("/nodes/\(APIPath.encode(node))/tasks/\(APIPath.encode(upid))/log",
                                [("start", String(skip)), ("limit", String(limit))])
        return try connection.decode(TaskLogPage.self, from: try await connection.raw("GET", path), path: path)
    }

    /// The whole log from line `from` (counting from 1), in pages of `pageSize` (no
    /// `limit=0`: it returned nothing before PVE 7.3).
    public func taskLogLines(node: String, upid: String, from: Int = 1, pageSize: Int = 500) async throws(APIError) -> [TaskLogLine] {
        var lines: [TaskLogLine] = []
        var skip = max(0, from - 1)
        for _ in 0..<2_000 {
            let page = try await taskLog(node: node, upid: upid, skip: skip, limit: pageSize)
            lines += page.data
            guard page.data.count == pageSize, let last = page.data.last?.n else { break }
            skip = last
        }
        return lines
    }

    /// Whether `node` reaches `storage` now (`active` 1), with its size.
    public func storageStatus(node: String, storage: String) async throws(APIError) -> PVEStorageStatus {
        try await connection.get(APIPath.json("/nodes/\(APIPath.encode(node))/storage/\(APIPath.encode(storage))/status"))
    }
}
