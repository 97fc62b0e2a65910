/// The JSON envelope of `/api2/json` answers: `{"data": …, "total": …, "digest": …}`.
public struct Envelope<Payload: Codable & Sendable>: Codable, Sendable {
    public var data: Payload
    public var total: Int?
    public var digest: String?

    public init(data: Payload, total: Int? = nil, digest: String? = nil) {
        self.data = data
        self.total = total
        self.digest = digest
    }
}

/// `GET /ping` (no authentication needed).
public struct Pong: Codable, Sendable, Equatable {
    public var pong: Bool
    public init(pong: Bool = true) { self.pong = pong }
}

/// `GET /version`: `version` is major.minor, `release` the patch level.
public struct VersionInfo: Codable, Sendable, Equatable {
    public var version: String
    public var release: String
    public var repoid: String

    public init(version: String, release: String, repoid: String) {
        self.version = version
        self.release = release
        self.repoid = repoid
    }

    /// `3.4.1` for PBS (version + release); PVE already sends the full version.
    public var display: String {
        version.split(separator: ".").count >= 3 ? version : "\(version).\(release)"
    }
}

/// `GET /nodes/localhost/time`: the node's own clock.
public struct NodeTime: Codable, Sendable, Equatable {
    public var timezone: String
    /// Seconds since the epoch, UTC.
    public var time: Int64
    /// `time` shifted by the zone's offset.
    public var localtime: Int64

    public init(timezone: String, time: Int64, localtime: Int64) {
        self.timezone = timezone
        self.time = time
        self.localtime = localtime
    }

    /// The zone's offset from UTC in seconds.
    public var utcOffset: Int { Int(localtime - time) }
}

/// `GET /nodes/localhost/status` (the fields pbsha shows).
public struct NodeStatus: Codable, Sendable, Equatable {
    public struct Memory: Codable, Sendable, Equatable {
        public var total: Int64
        public var used: Int64
        public var free: Int64
        public init(total: Int64, used: Int64, free: Int64) { self.total = total; self.used = used; self.free = free }
    }
    public struct Info: Codable, Sendable, Equatable {
        public var fingerprint: String?
        public init(fingerprint: String?) { self.fingerprint = fingerprint }
    }
    public var uptime: Int64?
    public var cpu: Double?
    public var loadavg: [Double]?
    public var memory: Memory?
    public var info: Info?

    public init(uptime: Int64?, cpu: Double?, loadavg: [Double]?, memory: Memory?, info: Info?) {
        self.uptime = uptime
        self.cpu = cpu
        self.loadavg = loadavg
        self.memory = memory
        self.info = info
    }
}

/// `GET /access/permissions`: path → privilege → propagates.
public typealias PermissionMap = [String: [String: Bool]]

/// One entry of `GET /access/acl`: a role for a user or API token (both `ugid_type: user`)
/// on a path.
public struct ACLEntry: Codable, Sendable, Equatable {
    public var path: String
    public var ugid: String
    public var ugidType: String
    public var propagate: Bool
    public var roleid: String

    enum CodingKeys: String, CodingKey {
        case path, ugid, propagate, roleid
        case ugidType = "ugid_type"
    }

    public init(path: String, ugid: String, ugidType: String = "user", propagate: Bool = true, roleid: String) {
        self.path = path
        self.ugid = ugid
        self.ugidType = ugidType
        self.propagate = propagate
        self.roleid = roleid
    }
}
