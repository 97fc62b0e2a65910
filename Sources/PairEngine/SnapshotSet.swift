/// A backup type and ID: one guest's snapshots, in whatever namespaces hold them.
public struct SnapshotFamilyKey: Hashable, Sendable, Comparable {
    public var type: String
    public var id: String

    public init(type: String, id: String) {
        self.type = type
        self.id = id
    }

    public static func < (a: Self, b: Self) -> Bool { (a.type, a.id) < (b.type, b.id) }
}

/// One family's snapshots on one node. In a console's kept lists, `stamp` changes whenever
/// the snapshots do (and only then); a one-shot read has no stamps.
public struct SnapshotFamily: Sendable, Equatable {
    public var stamp: Int?
    /// By namespace, then as the node listed them.
    public var snapshots: [NamespacedSnapshot]
}

/// A node's snapshots, by family. Drift and the verify counts are sums over families (a
/// snapshot is only ever compared with snapshots of its own type and ID), so a console
/// recomputes only the families whose stamp moved (`RuleMemo`).
public struct SnapshotSet: Sendable {
    public private(set) var families: [SnapshotFamilyKey: SnapshotFamily]
    /// Whether every family carries a stamp.
    let stamped: Bool

    /// The snapshots of a one-shot read, unstamped.
    public init(_ snapshots: [NamespacedSnapshot]) {
        let grouped = Dictionary(grouping: snapshots) { SnapshotFamilyKey(type: $0.item.backupType, id: $0.item.backupID) }
        families = grouped.mapValues { SnapshotFamily(stamp: nil, snapshots: $0) }
        stamped = false
    }

    /// A console's kept lists; every family has a stamp.
    init(stamped families: [SnapshotFamilyKey: SnapshotFamily]) {
        self.families = families
        stamped = true
    }

    /// Every snapshot, family by family (sorted by type and ID).
    public var all: [NamespacedSnapshot] {
        families.keys.sorted().flatMap { families[$0]!.snapshots }
    }
}
