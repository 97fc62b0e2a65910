import ProxmoxAPI

/// How far the two snapshot sets differ.
public struct DriftSummary: Sendable, Equatable {
    /// Complete snapshots on the primary that the secondary lacks.
    public var missingOnSecondary: Int
    /// Of those, the ones older than the start of the last successful sync: the sync skipped them.
    public var missedBySync: Int
    public var onlyOnSecondary: Int
    /// The missing snapshots per group (`type/id`, namespace first when there is one).
    public var missingByGroup: [String: Int] = [:]
}

/// Compares the primary's snapshots with the secondary's, mapping namespaces the way the
/// sync job does (`remote-ns` on the primary becomes `ns` on the secondary) and expecting
/// only what the job copies: groups its `group-filter` selects, namespaces within its
/// `max-depth`, and per group the newest `transfer-last` snapshots.
enum DriftRules {
    /// One family's share of the drift (it does not depend on the last sync's start, so a
    /// sync ending keeps every part).
    struct Part {
        /// Newest first (ties broken by name, so any split into parts picks the same example).
        var missing: [NamespacedSnapshot]
        var onlyOnSecondary: Int
        var missingByGroup: [String: Int]
    }

    /// What decides a part besides the family's snapshots: the sync job's scope.
    struct Scope: Hashable {
        var remoteNs: String
        var localNs: String
        var maxDepth: Int?
        var filters: [String]
        var transferLast: Int?

        init(_ job: SyncJob?) {
            remoteNs = job?.remoteNs ?? ""
            localNs = job?.ns ?? ""
            maxDepth = job?.maxDepth
            filters = job?.groupFilter ?? []
            transferLast = job?.transferLast
        }
    }

    static func evaluate(primary: NodeReading, secondary: NodeReading, lastSuccessStart: Int64?, memo: RuleMemo? = nil) -> (DriftSummary?, [Finding]) {
        guard let source = primary.snapshotSet, let target = secondary.snapshotSet else { return (nil, []) }
        let scope = Scope(secondary.syncJob?.config)
        let parts = (memo ?? RuleMemo()).parts("drift", scope: scope, primary: source, secondary: target) { p, s in
            part(primary: p?.snapshots ?? [], secondary: s?.snapshots ?? [], scope: scope)
        }
        let (summary, findings) = summarize(parts, lastSuccessStart: lastSuccessStart)
        return (summary, findings)
    }

    /// Whether `a` sorts before `b` newest first, by name where the times are equal.
    static func newer(_ a: NamespacedSnapshot, _ b: NamespacedSnapshot) -> Bool {
        a.item.backupTime != b.item.backupTime ? a.item.backupTime > b.item.backupTime
            : (a.ns, a.item.backupType, a.item.backupID) < (b.ns, b.item.backupType, b.item.backupID)
    }

    /// The drift between two sets of snapshots (one family's, or any union of families).
    /// Once per snapshot: the rest is per namespace, or only when the scope asks for it.
    static func part(primary source: [NamespacedSnapshot], secondary target: [NamespacedSnapshot], scope: Scope) -> Part {
        func key(_ s: NamespacedSnapshot, ns: String) -> SnapshotKey { SnapshotKey(ns: ns, type: s.item.backupType, id: s.item.backupID, time: s.item.backupTime) }
        let filters = scope.filters.compactMap(GroupFilter.init)
        func selected(_ s: borrowing NamespacedSnapshot) -> Bool {
            s.item.size != nil && (filters.isEmpty || GroupFilter.selects(filters, type: s.item.backupType, id: s.item.backupID))
        }
        var namespaces: [String: String?] = [:]
        func mapped(_ ns: String) -> String? {
            if let known = namespaces[ns] { return known }
            var result: String?
            if scope.remoteNs.isEmpty || ns == scope.remoteNs || ns.hasPrefix(scope.remoteNs + "/") {
                let rest = String(ns.dropFirst(scope.remoteNs.count)).drop { $0 == "/" }
                if scope.maxDepth.map({ rest.split(separator: "/").count <= $0 }) ?? true {
                    result = [scope.localNs, String(rest)].filter { !$0.isEmpty }.joined(separator: "/")
                }
            }
            namespaces[ns] = result
            return result
        }
        // transfer-last: older snapshots of a group are not copied, so not missing (but a copy
        // made before still belongs to the source's set).
        var expected: Set<SnapshotKey>?
        if let transferLast = scope.transferLast {
            let byGroup = Dictionary(grouping: source.filter(selected)) { SnapshotKey(ns: $0.ns, type: $0.item.backupType, id: $0.item.backupID, time: 0) }
            expected = Set(byGroup.values.flatMap { $0.sorted { $0.item.backupTime > $1.item.backupTime }.prefix(transferLast).map(\.key) })
        }
        // By index and field: copying each whole snapshot out of the array (its strings and
        // file list retained and released) costs more than the hashing at a million.
        var targetKeys = Set<SnapshotKey>(minimumCapacity: target.count)
        for index in target.indices { targetKeys.insert(target[index].key) }
        // A failback's copies of what the pull could not reach (`PrimaryOnlyCopy`) count as
        // the secondary holding those snapshots.
        let isFailbackCopy = { (s: NamespacedSnapshot) in s.ns.hasPrefix(PrimaryOnlyCopy.namespacePrefix) && !s.ns.contains("/") }
        let failbackCopies = Set(target.filter(isFailbackCopy).map { key($0, ns: "") })
        var sourceKeys = Set<SnapshotKey>(minimumCapacity: source.count)
        var sourcePlain = Set<SnapshotKey>()
        var missing: [NamespacedSnapshot] = []
        for index in source.indices where selected(source[index]) {
            let plain = SnapshotKey(ns: "", type: source[index].item.backupType, id: source[index].item.backupID, time: source[index].item.backupTime)
            if !failbackCopies.isEmpty { sourcePlain.insert(plain) }
            guard let ns = mapped(source[index].ns) else { continue }
            var k = plain
            k.ns = ns
            sourceKeys.insert(k)
            if !targetKeys.contains(k), failbackCopies.isEmpty || !failbackCopies.contains(plain),
               expected?.contains(source[index].key) ?? true {
                missing.append(source[index])
            }
        }
        var onlyOnSecondary = 0
        for index in target.indices {
            let k = target[index].key
            if failbackCopies.isEmpty || !isFailbackCopy(target[index]) ? !sourceKeys.contains(k) : !sourcePlain.contains(SnapshotKey(ns: "", type: k.type, id: k.id, time: k.time)) {
                onlyOnSecondary += 1
            }
        }
        missing.sort(by: newer)
        var byGroupName: [String: Int] = [:]
        for snapshot in missing {
            byGroupName[(snapshot.ns.isEmpty ? "" : snapshot.ns + "/") + "\(snapshot.item.backupType)/\(snapshot.item.backupID)", default: 0] += 1
        }
        return Part(missing: missing, onlyOnSecondary: onlyOnSecondary, missingByGroup: byGroupName)
    }

    /// The parts added up, and what they mean given the last successful sync's start.
    static func summarize(_ parts: [Part], lastSuccessStart: Int64?) -> (DriftSummary, [Finding]) {
        var summary = DriftSummary(missingOnSecondary: 0, missedBySync: 0, onlyOnSecondary: 0)
        var newestMissed: NamespacedSnapshot?
        for part in parts {
            summary.missingOnSecondary += part.missing.count
            summary.onlyOnSecondary += part.onlyOnSecondary
            summary.missingByGroup.merge(part.missingByGroup, uniquingKeysWith: +)
            guard let start = lastSuccessStart else { continue }
            // Newest first: the missed ones are a suffix.
            let firstMissed = part.missing.partitioningIndex { $0.item.backupTime < start }
            summary.missedBySync += part.missing.count - firstMissed
            if firstMissed < part.missing.count, newestMissed.map({ newer(part.missing[firstMissed], $0) }) ?? true {
                newestMissed = part.missing[firstMissed]
            }
        }
        var findings: [Finding] = []
        let missed = summary.missedBySync
        if let newestMissed {
            findings.append(Finding(.warning, "drift-missed",
                "\(missed) snapshot\(missed == 1 ? "" : "s") older than the last successful sync \(missed == 1 ? "is" : "are") not on the secondary (e.g. \(newestMissed.name)); check the job's group filter and owner",
                subject: "drift"))
        }
        let pending = summary.missingOnSecondary - missed
        if pending > 0 {
            findings.append(Finding(.info, "drift-pending",
                "\(pending) new snapshot\(pending == 1 ? "" : "s") on the primary wait\(pending == 1 ? "s" : "") for the next sync", subject: "drift"))
        }
        let onlyOnSecondary = summary.onlyOnSecondary
        if onlyOnSecondary > 0 {
            findings.append(Finding(.info, "drift-only-on-secondary",
                "\(onlyOnSecondary) snapshot\(onlyOnSecondary == 1 ? "" : "s") exist only on the secondary (pruned on the primary, remove-vanished off)",
                subject: "drift"))
        }
        return (summary, findings)
    }
}

extension Array {
    /// The first index whose element satisfies `predicate`, for an array where every element
    /// that does comes after every one that does not (binary search).
    func partitioningIndex(where predicate: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if predicate(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
