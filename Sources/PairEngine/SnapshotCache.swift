import ProxmoxAPI

/// One node's snapshot lists as last read, kept between a console's refreshes so that a
/// refresh reads again only what changed. A snapshot list means reading each snapshot's
/// manifest on the PBS side; the group rows (`/groups`: count, newest finished backup,
/// owner) are cheap. So each refresh reads the rows, and a group's list only when its row
/// changed. Every list is read again when a sync or verify task ended since the last read
/// (they rewrite manifests, verify states included, without changing a row), when
/// `full-read-interval` passed, and when the operator asks (`r`).
actor SnapshotCache {
    /// Past this many changed groups in one namespace, its whole list is one request…
    static let groupReadsPerNamespace = 16
    /// …unless the namespace holds more than this many snapshots: then it is read group by
    /// group (a million snapshots are ~400 MB in one answer, past the client's size limit,
    /// and one request PBS spends minutes on).
    static let wholeListLimit = 20_000
    /// Group reads at once per node.
    static let parallelReads = 4

    private var rows: [String: [SnapshotFamilyKey: GroupListItem]] = [:]
    private var lists: [String: [SnapshotFamilyKey: [SnapshotListItem]]] = [:]
    /// Ended sync and verify tasks at the last read; nil before the first.
    private var endedTasks: Set<String>?
    private var lastFullRead: Double?
    private var forced = false
    private let fullReadInterval: Double
    private let wholeListLimit: Int
    /// The lists as last returned, by family, each stamped.
    private var families: [SnapshotFamilyKey: SnapshotFamily] = [:]
    /// The last stamp given; a family's stamp changes only when its snapshots do.
    private var lastStamp = 0

    init(fullReadInterval: Double, wholeListLimit: Int = SnapshotCache.wholeListLimit) {
        self.fullReadInterval = fullReadInterval
        self.wholeListLimit = wholeListLimit
    }

    /// The next read reads every list.
    func readEverythingNext() { forced = true }

    static func key(_ row: GroupListItem) -> SnapshotFamilyKey { SnapshotFamilyKey(type: row.backupType, id: row.backupID) }

    /// The snapshots of every namespace. `rows` are this refresh's group rows per namespace,
    /// read before any list (so a list is never older than the row kept with it); `tasks`
    /// this refresh's sync and verify tasks (nil when they could not be read).
    func snapshots(rows current: [String: [GroupListItem]], tasks: [TaskListItem]?, now: Double,
                   read: SnapshotReads) async throws(APIError) -> SnapshotSet {
        let ended = tasks.map { Set($0.filter { $0.endtime != nil }.map(\.upid)) }
        let taskEnded = ended == nil || endedTasks == nil || !(ended!.isSubset(of: endedTasks!))
        let full = forced || taskEnded || lastFullRead.map { now - $0 >= fullReadInterval } ?? true
        var fresh: [String: [SnapshotFamilyKey: [SnapshotListItem]]] = [:]
        // Per namespace: the groups to read (nil: the whole list), and the lists kept.
        var reads: [(ns: String, groups: [GroupListItem]?, kept: [SnapshotFamilyKey: [SnapshotListItem]])] = []
        let currentRows = current.mapValues { Dictionary($0.map { (Self.key($0), $0) }) { first, _ in first } }
        for (ns, groupRows) in current {
            let known = full ? [:] : rows[ns] ?? [:]
            let present = currentRows[ns] ?? [:]
            let changed = groupRows.filter { known[Self.key($0)] != $0 }
            // A kept list stays while its group's row is the same one.
            let kept = (lists[ns] ?? [:]).filter { key, _ in known[key] != nil && known[key] == present[key] }
            if changed.isEmpty {
                fresh[ns] = kept
            } else {
                let whole = full || changed.count > Self.groupReadsPerNamespace
                let small = groupRows.reduce(0) { $0 + $1.backupCount } <= wholeListLimit
                // nil: the namespace's whole list in one request.
                reads.append((ns, whole && small ? nil : changed, kept))
            }
        }
        let results = await Self.read(reads.flatMap { ns, groups, _ in groups.map { $0.map { (ns, Self.key($0)) } } ?? [(ns, nil)] }, read)
        for (ns, _, kept) in reads { fresh[ns] = kept }
        // The families whose lists may differ from the last ones returned.
        var touched = Set<SnapshotFamilyKey>()
        for (ns, key, result) in results {
            let snapshots = try result.get()
            if let key {
                fresh[ns]![key] = snapshots
                touched.insert(key)
            } else {
                fresh[ns] = Dictionary(grouping: snapshots) { SnapshotFamilyKey(type: $0.backupType, id: $0.backupID) }
                touched.formUnion(fresh[ns]!.keys)
            }
        }
        for (ns, kept) in lists {
            touched.formUnion(kept.keys.filter { fresh[ns]?[$0] == nil })
        }
        let namespaces = fresh.keys.sorted()
        for key in touched {
            let snapshots = namespaces.flatMap { ns in (fresh[ns]![key] ?? []).map { NamespacedSnapshot(ns: ns, item: $0) } }
            if snapshots.isEmpty {
                families[key] = nil
            } else if families[key]?.snapshots != snapshots {
                lastStamp += 1
                families[key] = SnapshotFamily(stamp: lastStamp, snapshots: snapshots)
            }
        }
        rows = currentRows
        lists = fresh
        endedTasks = ended
        forced = false
        if full { lastFullRead = now }
        return SnapshotSet(stamped: families)
    }
}

extension SnapshotCache {
    /// Each list (a group's, or with no key a namespace's whole), at most `parallelReads`
    /// at once: a full read of a big datastore is a thousand group reads, not a thousand
    /// connections to PBS at once.
    static func read(_ lists: [(ns: String, key: SnapshotFamilyKey?)], _ read: SnapshotReads) async
        -> [(String, SnapshotFamilyKey?, Result<[SnapshotListItem], APIError>)] {
        await withTaskGroup(of: (String, SnapshotFamilyKey?, Result<[SnapshotListItem], APIError>).self) { group in
            var waiting = lists[...]
            func startNext() {
                guard let (ns, key) = waiting.popFirst() else { return }
                group.addTask {
                    (ns, key, await attempt { () async throws(APIError) in
                        if let key { try await read.group(ns, key.type, key.id) } else { try await read.namespace(ns) }
                    })
                }
            }
            for _ in 0..<parallelReads { startNext() }
            var collected: [(String, SnapshotFamilyKey?, Result<[SnapshotListItem], APIError>)] = []
            for await result in group {
                collected.append(result)
                startNext()
            }
            return collected
        }
    }
}

/// How a `SnapshotCache` reads lists: a namespace's whole list, or one group's.
struct SnapshotReads: Sendable {
    let namespace: @Sendable (String) async throws(APIError) -> [SnapshotListItem]
    let group: @Sendable (String, String, String) async throws(APIError) -> [SnapshotListItem]
}
