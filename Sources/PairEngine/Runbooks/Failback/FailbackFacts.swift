import ProxmoxAPI

/// What failback compares, read from both nodes: per group, the primary's newest snapshot
/// from before the failover began (its baseline), the secondary's snapshots newer than that
/// (the failover-era backups) and which of them the primary lacks, and the snapshots only
/// the primary holds. Pull copies, per group, only snapshots newer than the target's newest,
/// so older ones the primary pruned are not "missing".
struct FailbackFacts: Sendable {
    /// When the failover this failback undoes began.
    let failoverStarted: Int64
    /// Failover-era snapshots of the secondary the primary does not hold yet, by group.
    let missing: [String: [SnapshotListItem]]
    /// Failover-era snapshots the primary holds (pulled), newest state as the primary lists them.
    let pulled: [SnapshotListItem]
    /// Snapshots from before the failover that only the primary holds: kept, and copied to
    /// the secondary in step 5 (by the forward sync, or into a namespace: `PrimaryOnlyCopy`).
    let primaryOnly: [SnapshotListItem]

    static func group(_ snapshot: SnapshotListItem) -> String { "\(snapshot.backupType)/\(snapshot.backupID)" }
    static func name(_ snapshot: SnapshotListItem) -> String { "\(group(snapshot))/\(Timestamps.rfc3339(snapshot.backupTime))" }

    /// `upTo`: only snapshots taken by then count (the gates before the retarget, while
    /// backups still land on the secondary; the last catch-up after it takes the rest).
    static func read(_ context: RunContext, upTo cutoff: Int64? = nil) async throws(StepFailure) -> FailbackFacts {
        guard let failover = context.lastFailover else {
            throw StepFailure("the journal holds no finished failover to undo; failback compares against the time the failover began")
        }
        let primary: [SnapshotListItem], secondary: [SnapshotListItem]
        do {
            primary = try await context.reader(.primary).snapshots(context.node(.primary).datastore)
        } catch { throw StepFailure("cannot read the primary's snapshots: \(error)") }
        do {
            secondary = try await context.reader(.secondary).snapshots(context.node(.secondary).datastore)
        } catch { throw StepFailure("cannot read the secondary's snapshots: \(error)") }
        // The secondary's clock when the failover prepared it; the engine's own otherwise.
        let started = NodeClock.recorded(failover) ?? failover.started
        return FailbackFacts(failoverStarted: started, primary: primary, secondary: secondary.filter { $0.backupTime <= cutoff ?? .max })
    }

    init(failoverStarted: Int64, primary: [SnapshotListItem], secondary: [SnapshotListItem]) {
        self.failoverStarted = failoverStarted
        let onPrimary = Dictionary(primary.map { (Self.name($0), $0) }) { first, _ in first }
        let onSecondary = Set(secondary.map(Self.name))
        var baseline: [String: Int64] = [:]
        for snapshot in primary where snapshot.backupTime < failoverStarted {
            baseline[Self.group(snapshot)] = max(baseline[Self.group(snapshot)] ?? .min, snapshot.backupTime)
        }
        // Unfinished snapshots (no size yet) are not copied by pull, so they are not waited for.
        let era = secondary.filter { $0.size != nil && $0.backupTime > (baseline[Self.group($0)] ?? .min) }
        missing = Dictionary(grouping: era.filter { onPrimary[Self.name($0)] == nil }, by: Self.group)
        pulled = era.compactMap { onPrimary[Self.name($0)] }
        primaryOnly = primary.filter { $0.backupTime < failoverStarted && $0.size != nil && !onSecondary.contains(Self.name($0)) }
    }

    /// The secondary's time up to which this run last found the primary caught up (and, in
    /// the primary's verify, verified): `… up to TIME; …` in an applied change's message.
    /// The gates before the retarget count up to it; nil when none (then everything counts).
    static func cutoff(_ run: RunState?) -> Int64? {
        (run?.steps ?? []).flatMap(\.applied).filter { $0.result == "ok" }.compactMap(\.message).compactMap(cutoff).max()
    }

    static func cutoff(_ message: String) -> Int64? {
        guard let range = message.range(of: "up to ") else { return nil }
        return Timestamps.parse(String(message[range.upperBound...].prefix { $0 != ";" && $0 != " " }))
    }

    var missingCount: Int { missing.values.reduce(0) { $0 + $1.count } }

    /// "vm/100: 3 missing (newest 2026-…)", one line a group.
    var progress: String {
        missing.keys.sorted().map { group in
            let snapshots = missing[group]!
            return "\(group): \(snapshots.count) missing (newest \(Timestamps.rfc3339(snapshots.map(\.backupTime).max()!)))"
        }.joined(separator: "\n")
    }
}
