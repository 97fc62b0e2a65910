@testable import PairEngine
import ProxmoxAPI
import TestSupport
import Testing

/// A console's drift and verify counts, kept family by family, always equal the same rules
/// computed over everything at once.
@Suite struct IncrementalRulesTests {
    /// Two nodes' families as a console keeps them, changed at random.
    private struct History {
        var random: SeededRandom
        var primary: [SnapshotFamilyKey: SnapshotFamily] = [:]
        var secondary: [SnapshotFamilyKey: SnapshotFamily] = [:]
        var stamp = 0
        var job = SyncJob(id: "s", store: "mirror", remote: "primary-hub", remoteStore: "main", schedule: "hourly")
        let ids = (100..<112).map(String.init)
        let namespaces = ["", "a", "a/b", "pbsha-failback-20261130", "x"]
        let verifiers = [SnapshotListItem.Verification(state: "ok", upid: UPID.pbs(node: "pbs1", pid: 1, pstart: 1, taskID: 1, startTime: 1, workerType: "verify", workerID: "main", authID: "root@pam").raw),
                         .init(state: "ok", upid: UPID.pbs(node: "pbs2", pid: 1, pstart: 1, taskID: 2, startTime: 2, workerType: "verify", workerID: "mirror", authID: "root@pam").raw),
                         .init(state: "failed", upid: UPID.pbs(node: "pbs2", pid: 1, pstart: 1, taskID: 3, startTime: 3, workerType: "verify", workerID: "mirror", authID: "root@pam").raw)]

        init(seed: UInt64) { random = SeededRandom(seed) }

        mutating func snapshot(_ key: SnapshotFamilyKey) -> NamespacedSnapshot {
            let verification = random.below(4) == 0 ? nil : verifiers[random.below(verifiers.count)]
            // Few distinct times, so equal times across families and namespaces are common.
            return NamespacedSnapshot(ns: namespaces[random.below(namespaces.count)], item: SnapshotListItem(
                backupType: key.type, backupID: key.id, backupTime: 1_000 + Int64(random.below(12)) * 60, files: [],
                size: random.below(8) == 0 ? nil : 100, owner: "root@pam", verification: verification))
        }

        /// One change: a family's list on one node is rewritten, copied across, emptied, or
        /// the job's scope changes.
        mutating func change() {
            let key = SnapshotFamilyKey(type: random.below(3) == 0 ? "ct" : "vm", id: ids[random.below(ids.count)])
            stamp += 1
            switch random.below(6) {
            case 0: primary[key] = nil
            case 1:
                // A sync: the secondary gets the primary's copy of the family.
                if let source = primary[key] { secondary[key] = SnapshotFamily(stamp: stamp, snapshots: source.snapshots) }
            case 2:
                job.transferLast = [nil, 1, 2][random.below(3)]
                job.groupFilter = [nil, ["type:vm"], ["exclude:id:101"]][random.below(3)]
                job.remoteNs = [nil, "a"][random.below(2)]
                job.ns = [nil, "x"][random.below(2)]
                job.maxDepth = [nil, 0, 1][random.below(3)]
            default:
                let snapshots = (0..<random.below(6)).map { _ in snapshot(key) }
                let family = snapshots.isEmpty ? nil : SnapshotFamily(stamp: stamp, snapshots: snapshots)
                if random.below(2) == 0 { primary[key] = family } else { secondary[key] = family }
            }
        }

        func readings() -> (NodeReading, NodeReading) {
            var p = NodeReading(role: .primary, host: "pbs1", datastoreName: "main")
            var s = NodeReading(role: .secondary, host: "pbs2", datastoreName: "mirror")
            p.version = VersionInfo(version: "3.4", release: "1", repoid: "x")
            s.version = p.version
            p.snapshotSet = SnapshotSet(stamped: primary)
            s.snapshotSet = SnapshotSet(stamped: secondary)
            s.syncJob = ScheduledJob(job)
            s.syncTasks = [TaskListItem(upid: UPID.pbs(node: "pbs2", pid: 1, pstart: 1, taskID: 9, startTime: 1_300, workerType: "syncjob", workerID: "s", authID: "root@pam"),
                                        endtime: 1_400, status: "OK")]
            return (p, s)
        }
    }

    @Test(arguments: 1...8) func keptPartsEqualOneComputationOverEverything(seed: UInt64) {
        var history = History(seed: seed)
        let memo = RuleMemo()
        for _ in 0..<60 {
            for _ in 0..<(1 + history.random.below(3)) { history.change() }
            let (primary, secondary) = history.readings()
            let start: Int64? = [nil, 1_200, 1_500][history.random.below(3)]
            let all = (primary.snapshotSet!.all, secondary.snapshotSet!.all)

            let (kept, keptFindings) = DriftRules.evaluate(primary: primary, secondary: secondary, lastSuccessStart: start, memo: memo)
            let whole = DriftRules.part(primary: all.0, secondary: all.1, scope: DriftRules.Scope(history.job))
            let (computed, computedFindings) = DriftRules.summarize([whole], lastSuccessStart: start)
            #expect(kept == computed)
            #expect(keptFindings == computedFindings)

            let (keptVerify, keptVerifyFindings) = VerifyRules.evaluate(secondary, primary: primary, now: 2_000, policy: PairFixture().policy, memo: memo)
            let counts = VerifyRules.tally(all.1, primary: all.0, secondaryNode: CopiedVerifyStates.secondaryNode(secondary))
            #expect(keptVerify.snapshotsFailed == counts.failed && keptVerify.snapshotsOK == counts.ok)
            #expect(keptVerify.snapshotsVerifiedUpstreamOnly == counts.upstreamOnly && keptVerify.snapshotsUnverified == counts.unverified)
            let failedNames = keptVerifyFindings.first { $0.code == "verify-failed" }?.message
            #expect(failedNames == (counts.failed == 0 ? nil : failedNames.map { _ in counts.failedNewest.map(\.name) }.map { names in
                "\(counts.failed) snapshot\(counts.failed == 1 ? "" : "s") on the secondary failed verification (\(names.joined(separator: ", "))\(counts.failed > 3 ? ", …" : ""))" }))
        }
    }

    @Test func aRefreshAfterOneFamilyChangedComputesOnlyThatFamily() {
        var history = History(seed: 42)
        for _ in 0..<40 { history.change() }
        let memo = RuleMemo()
        var computed = 0
        func count() -> Int {
            computed = 0
            let (p, s) = history.readings()
            _ = memo.parts("drift", scope: 0, primary: p.snapshotSet!, secondary: s.snapshotSet!) { _, _ in computed += 1 }
            return computed
        }
        let families = Set(history.primary.keys).union(history.secondary.keys).count
        #expect(count() == families)
        #expect(count() == 0)
        let key = history.primary.keys.first!
        history.stamp += 1
        history.primary[key]!.stamp = history.stamp
        #expect(count() == 1)
    }
}
