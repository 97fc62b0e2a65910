import ProxmoxAPI

/// One node as a console shows it: words and numbers ready to draw, made from the node's
/// reading, so views never read API types.
public struct NodeCard: Sendable, Equatable {
    public var role: NodeRole
    public var host: String
    public var reachable: Bool
    /// Since when (console clock) a newer read has been under way; the rest is the last answer.
    public var waitingSince: Double?
    /// Why the node could not be read at all.
    public var failure: String?
    public var latencyMs: Double?
    public var version: String?
    public var datastore: String
    /// The datastore's maintenance mode (`offline`, `read-only`), if one is set.
    public var maintenance: String?
    public var usage: Usage?
    public var groups: Int?
    public var snapshots: Int?
    /// Node clock minus console clock, seconds.
    public var clockSkew: Int?
    /// Calls the node refused or failed while it answered, by name, sorted.
    public var refusedCalls: [String]

    /// Bytes used, in all and free on the datastore.
    public struct Usage: Sendable, Equatable {
        public var used: Int64
        public var total: Int64
        public var available: Int64

        public var fraction: Double { Double(used) / Double(total) }
    }

    public init(_ reading: NodeReading) {
        role = reading.role
        host = reading.host
        reachable = reading.reachable
        waitingSince = reading.waitingSince
        failure = reading.failure.map(String.init(describing:))
        latencyMs = reading.latencyMs
        version = reading.version?.display
        datastore = reading.datastoreName
        maintenance = MaintenanceMode(reading.datastore?.maintenance)?.type
        usage = reading.status.flatMap { $0.total > 0 ? Usage(used: $0.used, total: $0.total, available: $0.avail) : nil }
        groups = reading.status?.counts?.groups
        snapshots = reading.status?.counts?.snapshots
        clockSkew = reading.clockSkew
        refusedCalls = reading.problems.keys.sorted()
    }
}

/// One sync or verify task as the logs list shows it.
public struct TaskLine: Sendable, Equatable {
    public var node: NodeRole
    public var upid: String
    /// `sync`, `verify`, or PBS's worker type for anything else.
    public var kind: String
    public var started: Int64
    public var ended: Int64?
    /// PBS's end status (`OK`, `WARNINGS: 1`, an error); nil while it runs.
    public var result: String?
    /// It ended OK (PBS's `OK`); false while it runs.
    public var succeeded: Bool

    public init(node: NodeRole, _ task: TaskListItem) {
        self.node = node
        upid = task.upid
        kind = task.workerType == "syncjob" ? "sync" : task.workerType.hasPrefix("verif") ? "verify" : task.workerType
        started = task.starttime
        ended = task.endtime
        result = task.status
        succeeded = task.status.map { TaskOutcome($0).isOK } ?? false
    }
}

extension PairState {
    /// Sync and verify tasks of both nodes, newest first.
    public var taskLines: [TaskLine] {
        [primary, secondary].flatMap { node in ((node.syncTasks ?? []) + (node.verifyTasks ?? [])).map { TaskLine(node: node.role, $0) } }
            .sorted { $0.started > $1.started }
    }
}
