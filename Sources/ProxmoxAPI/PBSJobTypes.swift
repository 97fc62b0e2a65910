/// A sync job's configuration (`/config/sync`). `/admin/sync` answers `ScheduledJob<SyncJob>`.
public struct SyncJob: Codable, Sendable, Equatable {
    public var id: String
    public var store: String
    public var ns: String?
    /// Absent for a local sync between two datastores of one node.
    public var remote: String?
    public var remoteStore: String
    public var remoteNs: String?
    public var removeVanished: Bool?
    public var maxDepth: Int?
    public var groupFilter: [String]?
    public var schedule: String?
    public var rateIn: String?
    public var burstIn: String?
    public var owner: String?
    public var comment: String?
    public var transferLast: Int?
    public var syncDirection: String?

    enum CodingKeys: String, CodingKey {
        case id, store, ns, remote, schedule, owner, comment
        case remoteStore = "remote-store"
        case remoteNs = "remote-ns"
        case removeVanished = "remove-vanished"
        case maxDepth = "max-depth"
        case groupFilter = "group-filter"
        case rateIn = "rate-in"
        case burstIn = "burst-in"
        case transferLast = "transfer-last"
        case syncDirection = "sync-direction"
    }

    public init(id: String, store: String, remote: String?, remoteStore: String, schedule: String?,
                removeVanished: Bool? = nil, owner: String? = nil, rateIn: String? = nil) {
        self.id = id
        self.store = store
        self.remote = remote
        self.remoteStore = remoteStore
        self.schedule = schedule
        self.removeVanished = removeVanished
        self.owner = owner
        self.rateIn = rateIn
    }
}

/// A verification job's configuration (`/config/verify`). `/admin/verify` answers `ScheduledJob<VerifyJob>`.
public struct VerifyJob: Codable, Sendable, Equatable {
    public var id: String
    public var store: String
    public var ns: String?
    public var ignoreVerified: Bool?
    public var outdatedAfter: Int?
    public var schedule: String?
    public var comment: String?

    enum CodingKeys: String, CodingKey {
        case id, store, ns, schedule, comment
        case ignoreVerified = "ignore-verified"
        case outdatedAfter = "outdated-after"
    }

    public init(id: String, store: String, schedule: String?, ignoreVerified: Bool? = nil, outdatedAfter: Int? = nil) {
        self.id = id
        self.store = store
        self.schedule = schedule
        self.ignoreVerified = ignoreVerified
        self.outdatedAfter = outdatedAfter
    }
}

/// A job row of `/admin/sync` or `/admin/verify`: the configuration with PBS's schedule
/// status flattened into the same JSON object. Reads like the config (`row.schedule`).
@dynamicMemberLookup
public struct ScheduledJob<Config: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var config: Config
    public var status: JobScheduleStatus

    public init(_ config: Config, status: JobScheduleStatus = JobScheduleStatus()) {
        self.config = config
        self.status = status
    }

    public subscript<Value>(dynamicMember path: WritableKeyPath<Config, Value>) -> Value {
        get { config[keyPath: path] }
        set { config[keyPath: path] = newValue }
    }

    public init(from decoder: any Decoder) throws {
        config = try Config(from: decoder)
        status = try JobScheduleStatus(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        try config.encode(to: encoder)
        try status.encode(to: encoder)
    }
}

/// The four status fields PBS flattens into job rows.
/// Never run: only `next-run`. Running: `last-run-upid` without state/endtime.
public struct JobScheduleStatus: Codable, Sendable, Equatable {
    public var nextRun: Int64?
    public var lastRunUPID: String?
    /// `OK`, `WARNINGS: n`, `unknown`, or the raw error message.
    public var lastRunState: String?
    public var lastRunEndtime: Int64?

    enum CodingKeys: String, CodingKey {
        case nextRun = "next-run"
        case lastRunUPID = "last-run-upid"
        case lastRunState = "last-run-state"
        case lastRunEndtime = "last-run-endtime"
    }

    public init(nextRun: Int64? = nil, lastRunUPID: String? = nil, lastRunState: String? = nil, lastRunEndtime: Int64? = nil) {
        self.nextRun = nextRun
        self.lastRunUPID = lastRunUPID
        self.lastRunState = lastRunState
        self.lastRunEndtime = lastRunEndtime
    }
}

/// `GET /config/remote`: the secondary's connection to the primary. The password is never returned.
public struct RemoteConfig: Codable, Sendable, Equatable {
    public var name: String
    public var host: String
    public var port: Int?
    public var authID: String
    public var fingerprint: String?
    public var comment: String?

    enum CodingKeys: String, CodingKey {
        case name, host, port, fingerprint, comment
        case authID = "auth-id"
    }

    public init(name: String, host: String, port: Int?, authID: String, fingerprint: String?) {
        self.name = name
        self.host = host
        self.port = port
        self.authID = authID
        self.fingerprint = fingerprint
    }
}
