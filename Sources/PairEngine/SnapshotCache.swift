import ProxmoxAPI

/// One node's snapshot lists as last read, kept between a console's refreshes so that a
/// refresh reads again only what changed. A snapshot list means reading each snapshot's
/// manifest on the PBS side; the group rows (`/groups`: count, newest finished backup,
/// owner) are cheap. So each refresh reads the rows, and a group's list only when its row
/// changed. Every list is read again when a sync or verify task ended since the last read
/// (they rewrite manifests, verify states included, without changing a row), when
/// `full-read-interval` passed, and when the operator asks (`r`).
actor SnapshotCache {
    /// Past this many changed groups in one namespace, its whole list is one request.
    static let groupReadsPerNamespace = 16

    private var rows: [String: [String: GroupListItem]] = [:]
    private var lists: [String: [String: [SnapshotListItem]]] = [:]
    /// Ended sync and verify tasks at the last read; nil before the first.
    private var endedTasks: Set<String>?
    private var lastFullRead: Double?
    private var forced = false
    private let fullReadInterval: Double
    /// Goes up whenever the lists returned may differ from the previous ones.
    private var version = 0
    /// The lists as last returned, flat (made again only when `version` moved).
    private var returned: [NamespacedSnapshot] = []

    init(fullReadInterval: Double) { self.fullReadInterval = fullReadInterval }

    /// The next read reads every list.
    func readEverythingNext() { forced = true }

    static func key(_ type: String, _ id: String) -> String { "\(type)/\(id)" }

    /// The snapshots of every namespace. `rows` are this refresh's group rows per namespace,
    /// read before any list (so a list is never older than the row kept with it); `tasks`
    /// this refresh's sync and verify tasks (nil when they could not be read).
    func snapshots(rows current: [String: [GroupListItem]], tasks: [TaskListItem]?, now: Double,
                   read: SnapshotReads) async throws(APIError) -> (snapshots: [NamespacedSnapshot], version: Int) {
        let ended = tasks.map { Set($0.filter { $0.endtime != nil }.map(\.upid)) }
        let taskEnded = ended == nil || endedTasks == nil || !(ended!.isSubset(of: endedTasks!))
        let full = forced || taskEnded || lastFullRead.map { now - $0 >= fullReadInterval } ?? true
        var fresh: [String: [String: [SnapshotListItem]]] = [:]
        var reads: [(ns: String, groups: [GroupListItem]?, kept: [String: [SnapshotListItem]])] = []
        let currentRows = current.mapValues { Dictionary($0.map { (Self.key($0.backupType, $0.backupID), $0) }) { first, _ in first } }
        for (ns, groupRows) in current {
            let known = full ? [:] : rows[ns] ?? [:]
            let present = currentRows[ns] ?? [:]
            let changed = groupRows.filter { known[Self.key($0.backupType, $0.backupID)] != $0 }
            // A kept list stays while its group's row is the same one.
            let kept = (lists[ns] ?? [:]).filter { key, _ in known[key] != nil && known[key] == present[key] }
            if changed.isEmpty {
                fresh[ns] = kept
            } else {
                // nil: the namespace's whole list in one request.
                reads.append((ns, full || changed.count > Self.groupReadsPerNamespace ? nil : changed, kept))
            }
        }
        let results = await withTaskGroup(of: (String, String?, Result<[SnapshotListItem], APIError>).self) { group in
            for (ns, groups, _) in reads {
                if let groups {
                    for row in groups {
                        group.addTask { (ns, Self.key(row.backupType, row.backupID), await attempt { () async throws(APIError) in try await read.group(ns, row.backupType, row.backupID) }) }
                    }
                } else {
                    group.addTask { (ns, nil, await attempt { () async throws(APIError) in try await read.namespace(ns) }) }
                }
            }
            var collected: [(String, String?, Result<[SnapshotListItem], APIError>)] = []
            for await result in group { collected.append(result) }
            return collected
        }
        for (ns, _, kept) in reads { fresh[ns] = kept }
        for (ns, key, result) in results {
            let snapshots = try result.get()
            if let key {
                fresh[ns]![key] = snapshots
            } else {
                fresh[ns] = Dictionary(grouping: snapshots) { Self.key($0.backupType, $0.backupID) }
            }
        }
        rows = currentRows
        if !reads.isEmpty || fresh.mapValues({ Set($0.keys) }) != lists.mapValues({ Set($0.keys) }) || version == 0 {
            version += 1
            returned = fresh.keys.sorted().flatMap { ns in
                fresh[ns]!.keys.sorted().flatMap { key in fresh[ns]![key]!.map { NamespacedSnapshot(ns: ns, item: $0) } }
            }
        }
        lists = fresh
        endedTasks = ended
        forced = false
        if full { lastFullRead = now }
        return (returned, version)
    }
}

/// How a `SnapshotCache` reads lists: a namespace's whole list, or one group's.
struct SnapshotReads: Sendable {
    let namespace: @Sendable (String) async throws(APIError) -> [SnapshotListItem]
    let group: @Sendable (String, String, String) async throws(APIError) -> [SnapshotListItem]
}
