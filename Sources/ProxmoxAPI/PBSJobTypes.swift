/// A sync job: the `/config/sync` fields, plus the schedule status that `/admin/sync` adds.
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
    public var schedulerStatus: JobScheduleStatus

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
                removeVanished: Bool? = nil, owner: String? = nil, rateIn: String? = nil,
                schedulerStatus: JobScheduleStatus = JobScheduleStatus()) {
        self.id = id
        self.store = store
        self.remote = remote
        self.remoteStore = remoteStore
        self.schedule = schedule
        self.removeVanished = removeVanished
        self.owner = owner
        self.rateIn = rateIn
        self.schedulerStatus = schedulerStatus
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        store = try c.decode(String.self, forKey: .store)
        ns = try c.decodeIfPresent(String.self, forKey: .ns)
        remote = try c.decodeIfPresent(String.self, forKey: .remote)
        remoteStore = try c.decode(String.self, forKey: .remoteStore)
        remoteNs = try c.decodeIfPresent(String.self, forKey: .remoteNs)
        removeVanished = try c.decodeIfPresent(Bool.self, forKey: .removeVanished)
        maxDepth = try c.decodeIfPresent(Int.self, forKey: .maxDepth)
        groupFilter = try c.decodeIfPresent([String].self, forKey: .groupFilter)
        schedule = try c.decodeIfPresent(String.self, forKey: .schedule)
        rateIn = try c.decodeIfPresent(String.self, forKey: .rateIn)
        burstIn = try c.decodeIfPresent(String.self, forKey: .burstIn)
        owner = try c.decodeIfPresent(String.self, forKey: .owner)
        comment = try c.decodeIfPresent(String.self, forKey: .comment)
        transferLast = try c.decodeIfPresent(Int.self, forKey: .transferLast)
        syncDirection = try c.decodeIfPresent(String.self, forKey: .syncDirection)
        schedulerStatus = try JobScheduleStatus(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(store, forKey: .store)
        try c.encodeIfPresent(ns, forKey: .ns)
        try c.encodeIfPresent(remote, forKey: .remote)
        try c.encode(remoteStore, forKey: .remoteStore)
        try c.encodeIfPresent(remoteNs, forKey: .remoteNs)
        try c.encodeIfPresent(removeVanished, forKey: .removeVanished)
        try c.encodeIfPresent(maxDepth, forKey: .maxDepth)
        try c.encodeIfPresent(groupFilter, forKey: .groupFilter)
        try c.encodeIfPresent(schedule, forKey: .schedule)
        try c.encodeIfPresent(rateIn, forKey: .rateIn)
        try c.encodeIfPresent(burstIn, forKey: .burstIn)
        try c.encodeIfPresent(owner, forKey: .owner)
        try c.encodeIfPresent(comment, forKey: .comment)
        try c.encodeIfPresent(transferLast, forKey: .transferLast)
        try c.encodeIfPresent(syncDirection, forKey: .syncDirection)
        try schedulerStatus.encode(to: encoder)
    }
}

/// A verification job with its schedule status (`/admin/verify`).
public struct VerifyJob: Codable, Sendable, Equatable {
    public var id: String
    public var store: String
    public var ns: String?
    public var ignoreVerified: Bool?
    public var outdatedAfter: Int?
    public var schedule: String?
    public var comment: String?
    public var schedulerStatus: JobScheduleStatus

    enum CodingKeys: String, CodingKey {
        case id, store, ns, schedule, comment
        case ignoreVerified = "ignore-verified"
        case outdatedAfter = "outdated-after"
    }

    public init(id: String, store: String, schedule: String?, ignoreVerified: Bool? = nil,
                outdatedAfter: Int? = nil, schedulerStatus: JobScheduleStatus = JobScheduleStatus()) {
        self.id = id
        self.store = store
        self.schedule = schedule
        self.ignoreVerified = ignoreVerified
        self.outdatedAfter = outdatedAfter
        self.schedulerStatus = schedulerStatus
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        store = try c.decode(String.self, forKey: .store)
        ns = try c.decodeIfPresent(String.self, forKey: .ns)
        ignoreVerified = try c.decodeIfPresent(Bool.self, forKey: .ignoreVerified)
        outdatedAfter = try c.decodeIfPresent(Int.self, forKey: .outdatedAfter)
        schedule = try c.decodeIfPresent(String.self, forKey: .schedule)
        comment = try c.decodeIfPresent(String.self, forKey: .comment)
        schedulerStatus = try JobScheduleStatus(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(store, forKey: .store)
        try c.encodeIfPresent(ns, forKey: .ns)
        try c.encodeIfPresent(ignoreVerified, forKey: .ignoreVerified)
        try c.encodeIfPresent(outdatedAfter, forKey: .outdatedAfter)
        try c.encodeIfPresent(schedule, forKey: .schedule)
        try c.encodeIfPresent(comment, forKey: .comment)
        try schedulerStatus.encode(to: encoder)
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
