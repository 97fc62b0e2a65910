import Foundation

/// What the costly rules found per family the last time, for a console that evaluates every
/// refresh. Drift and the verify counts are sums over snapshot families (`SnapshotSet`);
/// a family whose stamps on both nodes are the ones it had, under the same scope (the sync
/// job's settings, the secondary's name), has the same part, so a refresh after one group
/// changed computes one family's part. One-shot reads have no stamps and compute every part.
public final class RuleMemo: @unchecked Sendable {
    private struct Slot {
        var scope: AnyHashable
        var parts: [SnapshotFamilyKey: (stamps: FamilyStamps, part: Any)]
    }

    /// A family's stamps on both nodes; 0 where the node has none of it.
    private struct FamilyStamps: Equatable {
        var primary: Int
        var secondary: Int
    }

    private let lock = NSLock()
    private var slots: [String: Slot] = [:]

    public init() {}

    /// One part per family present on either node, each computed from that family's
    /// snapshots on both, or remembered under `slot` from the last call with the same scope.
    func parts<Part>(_ slot: String, scope: AnyHashable, primary: SnapshotSet, secondary: SnapshotSet,
                     _ compute: (SnapshotFamily?, SnapshotFamily?) -> Part) -> [Part] {
        let keys = Set(primary.families.keys).union(secondary.families.keys)
        guard primary.stamped, secondary.stamped else {
            return keys.map { compute(primary.families[$0], secondary.families[$0]) }
        }
        let kept = lock.withLock { slots[slot] }.flatMap { $0.scope == scope ? $0.parts : nil } ?? [:]
        var parts: [SnapshotFamilyKey: (stamps: FamilyStamps, part: Any)] = [:]
        parts.reserveCapacity(keys.count)
        var result: [Part] = []
        result.reserveCapacity(keys.count)
        for key in keys {
            let p = primary.families[key], s = secondary.families[key]
            let stamps = FamilyStamps(primary: p?.stamp ?? 0, secondary: s?.stamp ?? 0)
            let part = kept[key].flatMap { $0.stamps == stamps ? $0.part as? Part : nil } ?? compute(p, s)
            parts[key] = (stamps, part)
            result.append(part)
        }
        lock.withLock { slots[slot] = Slot(scope: scope, parts: parts) }
        return result
    }
}
