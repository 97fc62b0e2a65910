/// A row of `GET /nodes/{node}/tasks` (snake_case keys, unlike the rest of the API).
public struct TaskListItem: Codable, Sendable, Equatable {
    public var upid: String
    public var node: String
    public var pid: Int
    public var pstart: Int
    public var starttime: Int64
    public var workerType: String
    public var workerID: String?
    public var user: String
    /// Absent while running.
    public var endtime: Int64?
    /// Absent while running; same strings as `last-run-state`.
    public var status: String?

    enum CodingKeys: String, CodingKey {
        case upid, node, pid, pstart, starttime, user, endtime, status
        case workerType = "worker_type"
        case workerID = "worker_id"
    }

    public init(upid: UPID, endtime: Int64?, status: String?) {
        self.upid = upid.raw
        self.node = "localhost"
        self.pid = Int(upid.pid)
        self.pstart = Int(upid.pstart)
        self.starttime = upid.startTime
        self.workerType = upid.workerType
        self.workerID = upid.workerID.isEmpty ? nil : upid.workerID
        self.user = upid.authID
        self.endtime = endtime
        self.status = status
    }

    /// The outcome, or nil while the task runs.
    public var outcome: TaskOutcome? { status.map(TaskOutcome.init) }
}

/// `GET /nodes/{node}/tasks/{upid}/status`.
public struct TaskStatus: Codable, Sendable, Equatable {
    public var upid: String
    public var node: String
    public var pid: Int
    public var starttime: Int64
    public var type: String
    public var id: String?
    /// The user part only; a token's name is in `tokenid`.
    public var user: String
    public var tokenid: String?
    /// `running` or `stopped`.
    public var status: String
    public var exitstatus: String?
    public var endtime: Int64?

    public init(upid: UPID, running: Bool, exitstatus: String?, endtime: Int64?) {
        self.upid = upid.raw
        self.node = upid.node
        self.pid = Int(upid.pid)
        self.starttime = upid.startTime
        self.type = upid.workerType
        self.id = upid.workerID.isEmpty ? nil : upid.workerID
        let parts = upid.authID.split(separator: "!", maxSplits: 1).map(String.init)
        self.user = parts[0]
        self.tokenid = parts.count == 2 ? parts[1] : nil
        self.status = running ? "running" : "stopped"
        self.exitstatus = running ? nil : exitstatus
        self.endtime = running ? nil : endtime
    }
}

/// One line of a task log: `n` counts from 1, `t` is `<RFC 3339 local time>: <message>`.
public struct TaskLogLine: Codable, Sendable, Equatable {
    public var n: Int
    public var t: String
    public init(n: Int, t: String) { self.n = n; self.t = t }
}

/// `GET /nodes/{node}/tasks/{upid}/log`, which has its own envelope.
public struct TaskLogPage: Codable, Sendable, Equatable {
    public var data: [TaskLogLine]
    /// Lines in the whole log.
    public var total: Int
    /// PBS sends `success: 1`; PVE does not.
    public var success: Int?
    /// Present when asked with `test-status=1`: true while the task still runs.
    public var active: Bool?

    public init(data: [TaskLogLine], total: Int, active: Bool?) {
        self.data = data
        self.total = total
        self.success = 1
        self.active = active
    }
}

/// How a finished task ended.
public enum TaskOutcome: Sendable, Equatable {
    case ok
    case warnings(Int)
    case unknown
    case error(String)

    /// Reads PBS's status string: `OK`, `WARNINGS: n`, `unknown`, or an error message.
    public init(_ status: String) {
        if status == "OK" {
            self = .ok
        } else if status.hasPrefix("WARNINGS: "), let count = Int(status.dropFirst(10)) {
            self = .warnings(count)
        } else if status == "unknown" {
            self = .unknown
        } else {
            self = .error(status)
        }
    }

    public var isOK: Bool { self == .ok }
}
