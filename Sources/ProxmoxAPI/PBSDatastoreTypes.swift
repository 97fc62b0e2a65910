import Foundation

/// `GET /admin/datastore`: one datastore.
public struct DatastoreListItem: Codable, Sendable, Equatable {
    public var store: String
    public var comment: String?
    /// Raw property string, e.g. `type=read-only,message=failover`.
    public var maintenance: String?
    public var mountStatus: String?
    public var backendType: String?

    enum CodingKeys: String, CodingKey {
        case store, comment, maintenance
        case mountStatus = "mount-status"
        case backendType = "backend-type"
    }

    public init(store: String, comment: String? = nil, maintenance: String? = nil) {
        self.store = store
        self.comment = comment
        self.maintenance = maintenance
    }
}

/// A datastore's maintenance mode, parsed from its property string.
public struct MaintenanceMode: Sendable, Equatable {
    /// `read-only`, `offline`, …
    public var type: String
    public var message: String?

    /// Parses `type=read-only,message=…`; the message may be percent-encoded or quoted.
    public init?(_ property: String?) {
        guard let property, !property.isEmpty else { return nil }
        var type: String?
        var message: String?
        for part in property.split(separator: ",", maxSplits: 1) {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            let key = pair.count == 2 ? pair[0] : "type"
            let value = pair.count == 2 ? pair[1] : pair[0]
            if key == "type" { type = value }
            if key == "message" {
                let unquoted = value.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                message = unquoted.removingPercentEncoding ?? unquoted
            }
        }
        guard let type else { return nil }
        self.type = type
        self.message = message
    }
}

/// `GET /admin/datastore/{store}/status?verbose=1`.
public struct DatastoreStatus: Codable, Sendable, Equatable {
    public struct TypeCounts: Codable, Sendable, Equatable {
        public var groups: Int
        public var snapshots: Int
        public init(groups: Int, snapshots: Int) { self.groups = groups; self.snapshots = snapshots }
    }
    public struct Counts: Codable, Sendable, Equatable {
        public var vm: TypeCounts?
        public var ct: TypeCounts?
        public var host: TypeCounts?
        public var other: TypeCounts?
        public init(vm: TypeCounts? = nil, ct: TypeCounts? = nil, host: TypeCounts? = nil, other: TypeCounts? = nil) {
            self.vm = vm; self.ct = ct; self.host = host; self.other = other
        }
        var all: [TypeCounts] { [vm, ct, host, other].compactMap { $0 } }
        public var groups: Int { all.reduce(0) { $0 + $1.groups } }
        public var snapshots: Int { all.reduce(0) { $0 + $1.snapshots } }
    }
    public var total: Int64
    public var used: Int64
    public var avail: Int64
    public var counts: Counts?

    public init(total: Int64, used: Int64, avail: Int64, counts: Counts?) {
        self.total = total
        self.used = used
        self.avail = avail
        self.counts = counts
    }
}

/// `GET /admin/datastore/{store}/groups`.
public struct GroupListItem: Codable, Sendable, Equatable {
    public var backupType: String
    public var backupID: String
    public var lastBackup: Int64
    public var backupCount: Int
    public var files: [String]
    public var owner: String?
    public var comment: String?

    enum CodingKeys: String, CodingKey {
        case files, owner, comment
        case backupType = "backup-type"
        case backupID = "backup-id"
        case lastBackup = "last-backup"
        case backupCount = "backup-count"
    }

    public init(backupType: String, backupID: String, lastBackup: Int64, backupCount: Int, files: [String], owner: String?) {
        self.backupType = backupType
        self.backupID = backupID
        self.lastBackup = lastBackup
        self.backupCount = backupCount
        self.files = files
        self.owner = owner
    }
}

/// `GET /admin/datastore/{store}/snapshots`.
public struct SnapshotListItem: Codable, Sendable, Equatable {
    public struct File: Codable, Sendable, Equatable {
        public var filename: String
        public var cryptMode: String?
        public var size: Int64?
        enum CodingKeys: String, CodingKey {
            case filename, size
            case cryptMode = "crypt-mode"
        }
        public init(filename: String, cryptMode: String? = "none", size: Int64?) {
            self.filename = filename
            self.cryptMode = cryptMode
            self.size = size
        }
    }
    /// The result of the last verification of this snapshot.
    public struct Verification: Codable, Sendable, Equatable {
        /// `ok` or `failed`.
        public var state: String
        public var upid: String
        public init(state: String, upid: String) { self.state = state; self.upid = upid }
    }

    public var backupType: String
    public var backupID: String
    public var backupTime: Int64
    public var files: [File]
    /// Absent while the backup is still running.
    public var size: Int64?
    public var owner: String?
    public var protected: Bool
    public var comment: String?
    public var verification: Verification?

    enum CodingKeys: String, CodingKey {
        case files, size, owner, protected, comment, verification
        case backupType = "backup-type"
        case backupID = "backup-id"
        case backupTime = "backup-time"
    }

    public init(backupType: String, backupID: String, backupTime: Int64, files: [File], size: Int64?,
                owner: String?, protected: Bool = false, verification: Verification? = nil) {
        self.backupType = backupType
        self.backupID = backupID
        self.backupTime = backupTime
        self.files = files
        self.size = size
        self.owner = owner
        self.protected = protected
        self.verification = verification
    }
}

/// `GET /admin/datastore/{store}/namespace`: the root is `""`.
public struct NamespaceListItem: Codable, Sendable, Equatable {
    public var ns: String
    public var comment: String?
    public init(ns: String) { self.ns = ns }
}
