import ProxmoxAPI

/// Which side of the pair a node is.
public enum NodeRole: String, Sendable, CaseIterable, Codable {
    case primary, secondary
}

/// One snapshot with the namespace it was listed in.
public struct NamespacedSnapshot: Sendable, Equatable {
    public var ns: String
    public var item: SnapshotListItem

    public init(ns: String, item: SnapshotListItem) {
        self.ns = ns
        self.item = item
    }

    /// What tells it apart, cheap to hash (the rules compare sets of tens of thousands).
    public var key: SnapshotKey { SnapshotKey(ns: ns, type: item.backupType, id: item.backupID, time: item.backupTime) }

    /// `ns/a/vm/100/2026-11-27T06:00:00Z`-style name, the way PBS logs print it.
    public var name: String {
        let prefix = ns.isEmpty ? "" : ns.split(separator: "/").map { "ns/\($0)/" }.joined()
        return "\(prefix)\(item.backupType)/\(item.backupID)/\(Timestamps.rfc3339(item.backupTime))"
    }
}

/// A snapshot's identity: namespace, group and time.
public struct SnapshotKey: Hashable, Sendable {
    public var ns: String
    public var type: String
    public var id: String
    public var time: Int64

    /// Time and namespace only: the rules hash a family's keys (one type and ID) by the
    /// million, and two keys that differ only in type or ID still compare unequal.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(time)
        hasher.combine(ns)
    }
}

/// What one read of a PBS node found. Every field is optional: a node can be down, or a
/// token can lack the privilege for one call while the rest works.
public struct NodeReading: Sendable {
    public var role: NodeRole
    public var host: String
    public var datastoreName: String
    /// Why the node could not be read at all (nil when `version` answered).
    public var failure: APIError?
    /// Calls that failed while the node itself answered, by call name.
    public var problems: [String: APIError] = [:]
    public var latencyMs: Double?
    public var version: VersionInfo?
    public var time: NodeTime?
    /// Node clock minus console clock, seconds.
    public var clockSkew: Int?
    public var datastore: DatastoreListItem?
    /// False when the list answered and did not contain the configured datastore.
    public var datastoreListed = true
    public var status: DatastoreStatus?
    /// The snapshots by family; in a console, the kept lists with their stamps.
    public var snapshotSet: SnapshotSet?
    /// Every snapshot (made from `snapshotSet` on each use: rules and views use the set).
    public var snapshots: [NamespacedSnapshot]? {
        get { snapshotSet?.all }
        set { snapshotSet = newValue.map(SnapshotSet.init) }
    }
    /// Recent sync tasks (on the secondary: the configured job's only), newest first.
    public var syncTasks: [TaskListItem]?
    /// Recent verification tasks of the datastore, newest first.
    public var verifyTasks: [TaskListItem]?
    // Secondary only.
    public var syncJob: ScheduledJob<SyncJob>?
    public var syncJobListed = true
    public var verifyJobs: [ScheduledJob<VerifyJob>]?
    public var remote: RemoteConfig?
    /// Set while a newer read of this node has been going on since then (console clock):
    /// the rest of the reading is the last one that came back, or empty if none did yet.
    public var waitingSince: Double?

    public init(role: NodeRole, host: String, datastoreName: String) {
        self.role = role
        self.host = host
        self.datastoreName = datastoreName
    }

    public var reachable: Bool { version != nil }
}

/// What one read of a PVE host found about its `pbs:` storage entry.
public struct PVEReading: Sendable {
    public var name: String
    public var host: String
    public var storageID: String
    public var failure: APIError?
    public var version: VersionInfo?
    /// The configured entry, nil when the host answered without it.
    public var storage: PVEStorage?

    public init(name: String, host: String, storageID: String) {
        self.name = name
        self.host = host
        self.storageID = storageID
    }

    public var reachable: Bool { version != nil }
}

/// A snapshot of the whole pair at one moment: the input to the health rules and the views.
public struct PairState: Sendable {
    /// Console clock when the read finished, seconds since the epoch.
    public var observedAt: Double
    public var primary: NodeReading
    public var secondary: NodeReading
    public var pve: [PVEReading]
    /// The numeric addresses of the nodes' hosts and the PVE entries' servers, by name.
    public var addresses: [String: Set<String>] = [:]

    public init(observedAt: Double, primary: NodeReading, secondary: NodeReading, pve: [PVEReading]) {
        self.observedAt = observedAt
        self.primary = primary
        self.secondary = secondary
        self.pve = pve
    }

    public func node(_ role: NodeRole) -> NodeReading { role == .primary ? primary : secondary }
}
