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
    static func evaluate(primary: NodeReading, secondary: NodeReading, lastSuccessStart: Int64?, memo: RuleMemo? = nil) -> (DriftSummary?, [Finding]) {
        // The same lists, job scope and last sync: the same drift.
        let job = secondary.syncJob
        let key = ListVersions(primary, secondary).map { versions -> [AnyHashable] in
            [versions, job?.ns, job?.remoteNs, job?.maxDepth, job?.groupFilter, job?.transferLast, lastSuccessStart]
        }
        return (memo ?? RuleMemo()).value("drift", key) { compute(primary: primary, secondary: secondary, lastSuccessStart: lastSuccessStart) }
    }

    private static func compute(primary: NodeReading, secondary: NodeReading, lastSuccessStart: Int64?) -> (DriftSummary?, [Finding]) {
        guard let source = primary.snapshots, let target = secondary.snapshots else { return (nil, []) }
        let remoteNs = secondary.syncJob?.remoteNs ?? ""
        let localNs = secondary.syncJob?.ns ?? ""
        func key(_ s: NamespacedSnapshot, ns: String) -> SnapshotKey { SnapshotKey(ns: ns, type: s.item.backupType, id: s.item.backupID, time: s.item.backupTime) }
        let maxDepth = secondary.syncJob?.maxDepth
        let filters = (secondary.syncJob?.groupFilter ?? []).compactMap(GroupFilter.init)
        func mapped(_ ns: String) -> String? {
            guard remoteNs.isEmpty || ns == remoteNs || ns.hasPrefix(remoteNs + "/") else { return nil }
            let rest = String(ns.dropFirst(remoteNs.count)).drop { $0 == "/" }
            if let maxDepth, rest.split(separator: "/").count > maxDepth { return nil }
            return [localNs, String(rest)].filter { !$0.isEmpty }.joined(separator: "/")
        }
        let complete = source.filter { $0.item.size != nil && GroupFilter.selects(filters, type: $0.item.backupType, id: $0.item.backupID) }
        // transfer-last: older snapshots of a group are not copied, so not missing (but a copy
        // made before still belongs to the source's set).
        var expected = Set<SnapshotKey>()
        let byGroup = Dictionary(grouping: complete) { SnapshotKey(ns: $0.ns, type: $0.item.backupType, id: $0.item.backupID, time: 0) }
        for snapshots in byGroup.values {
            let newestFirst = snapshots.sorted { $0.item.backupTime > $1.item.backupTime }
            for snapshot in newestFirst.prefix(secondary.syncJob?.transferLast ?? Int.max) { expected.insert(key(snapshot, ns: snapshot.ns)) }
        }
        let targetKeys = Set(target.map { key($0, ns: $0.ns) })
        // A failback's copies of what the pull could not reach (`PrimaryOnlyCopy`) count as
        // the secondary holding those snapshots.
        let isFailbackCopy = { (s: NamespacedSnapshot) in s.ns.hasPrefix(PrimaryOnlyCopy.namespacePrefix) && !s.ns.contains("/") }
        let failbackCopies = Set(target.filter(isFailbackCopy).map { key($0, ns: "") })
        var sourceKeys = Set<SnapshotKey>()
        var missing: [NamespacedSnapshot] = []
        for snapshot in complete {
            guard let ns = mapped(snapshot.ns) else { continue }
            let k = key(snapshot, ns: ns)
            sourceKeys.insert(k)
            if !targetKeys.contains(k), !failbackCopies.contains(key(snapshot, ns: "")), expected.contains(key(snapshot, ns: snapshot.ns)) {
                missing.append(snapshot)
            }
        }
        let sourcePlain = Set(complete.map { key($0, ns: "") })
        let onlyOnSecondary = target.filter { isFailbackCopy($0) ? !sourcePlain.contains(key($0, ns: "")) : !sourceKeys.contains(key($0, ns: $0.ns)) }.count
        missing.sort { $0.item.backupTime > $1.item.backupTime }
        let missed = missing.filter { snapshot in lastSuccessStart.map { snapshot.item.backupTime < $0 } ?? false }
        var summary = DriftSummary(missingOnSecondary: missing.count, missedBySync: missed.count,
                                   onlyOnSecondary: onlyOnSecondary)
        for snapshot in missing {
            summary.missingByGroup[(snapshot.ns.isEmpty ? "" : snapshot.ns + "/") + "\(snapshot.item.backupType)/\(snapshot.item.backupID)", default: 0] += 1
        }
        var findings: [Finding] = []
        if !missed.isEmpty {
            findings.append(Finding(.warning, "drift-missed",
                "\(missed.count) snapshot\(missed.count == 1 ? "" : "s") older than the last successful sync \(missed.count == 1 ? "is" : "are") not on the secondary (e.g. \(missed[0].name)); check the job's group filter and owner",
                subject: "drift"))
        }
        let pending = missing.count - missed.count
        if pending > 0 {
            findings.append(Finding(.info, "drift-pending",
                "\(pending) new snapshot\(pending == 1 ? "" : "s") on the primary wait\(pending == 1 ? "s" : "") for the next sync", subject: "drift"))
        }
        if onlyOnSecondary > 0 {
            findings.append(Finding(.info, "drift-only-on-secondary",
                "\(onlyOnSecondary) snapshot\(onlyOnSecondary == 1 ? "" : "s") exist only on the secondary (pruned on the primary, remove-vanished off)",
                subject: "drift"))
        }
        return (summary, findings)
    }
}
