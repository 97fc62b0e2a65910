import ProxmoxAPI

/// Verification of the secondary's datastore.
public struct VerifySummary: Sendable, Equatable {
    public var datastore: String
    public var lastRunEnd: Int64?
    /// `ok`, `error`, `running` or `never`.
    public var lastRunState: String?
    public var lastSuccessEnd: Int64?
    public var ageSeconds: Int?
    /// Snapshots the secondary itself verified ok.
    public var snapshotsOK: Int?
    public var snapshotsFailed: Int?
    public var snapshotsUnverified: Int?
    /// Snapshots whose `ok` state came with the manifest a sync copied from the primary:
    /// it says nothing about the secondary's own chunks.
    public var snapshotsVerifiedUpstreamOnly: Int?
    public var status: HealthStatus
}

/// Rules about verification on the secondary.
enum VerifyRules {
    /// The secondary's verify states counted, and the newest failed snapshots (at most
    /// three, newest first): for one family, or added up.
    struct Counts {
        var failed = 0
        var failedNewest: [NamespacedSnapshot] = []
        var ok = 0
        var upstreamOnly = 0
        var unverified = 0

        mutating func add(_ other: Counts) {
            failed += other.failed
            failedNewest = Array((failedNewest + other.failedNewest).sorted(by: DriftRules.newer).prefix(3))
            ok += other.ok
            upstreamOnly += other.upstreamOnly
            unverified += other.unverified
        }
    }

    /// The counts of the secondary's `snapshots`, given the primary's of the same families.
    static func tally(_ snapshots: [NamespacedSnapshot], primary: [NamespacedSnapshot], secondaryNode: String?) -> Counts {
        let copied = CopiedVerifyStates(primary: primary, secondaryNode: secondaryNode)
        var counts = Counts()
        var failed: [NamespacedSnapshot] = []
        // By index and field, as in `DriftRules.part`.
        for index in snapshots.indices where snapshots[index].item.size != nil {
            switch snapshots[index].item.verification?.state {
            case nil: counts.unverified += 1
            case "failed": failed.append(snapshots[index])
            case "ok": if copied.contains(snapshots[index]) { counts.upstreamOnly += 1 } else { counts.ok += 1 }
            default: break
            }
        }
        counts.failed = failed.count
        counts.failedNewest = Array(failed.sorted(by: DriftRules.newer).prefix(3))
        return counts
    }

    static func evaluate(_ node: NodeReading, primary: NodeReading, now: Int64, policy: HealthPolicy, memo: RuleMemo? = nil) -> (VerifySummary, [Finding]) {
        var summary = VerifySummary(datastore: node.datastoreName, status: .unknown)
        guard node.reachable else { return (summary, []) }
        var findings: [Finding] = []
        let subject = "verify:\(node.datastoreName)"

        if let snapshots = node.snapshotSet {
            // Family by family; a family's part depends on its snapshots on both nodes and
            // the secondary's name.
            let secondaryNode = CopiedVerifyStates.secondaryNode(node)
            let parts = (memo ?? RuleMemo()).parts("verify", scope: AnyHashable(secondaryNode), primary: primary.snapshotSet ?? SnapshotSet([]),
                                                   secondary: snapshots) { p, s in
                tally(s?.snapshots ?? [], primary: p?.snapshots ?? [], secondaryNode: secondaryNode)
            }
            var counts = Counts()
            for part in parts { counts.add(part) }
            summary.snapshotsFailed = counts.failed
            summary.snapshotsVerifiedUpstreamOnly = counts.upstreamOnly
            summary.snapshotsOK = counts.ok
            summary.snapshotsUnverified = counts.unverified
            if let copied = summary.snapshotsVerifiedUpstreamOnly, copied > 0 {
                findings.append(Finding(.info, "verify-upstream-only",
                    "\(copied) snapshot\(copied == 1 ? "" : "s") on the secondary \(copied == 1 ? "is" : "are") verified upstream only: sync copied "
                        + "the primary's verify state, the secondary never read \(copied == 1 ? "its" : "their") chunks (a verify job with "
                        + "ignore-verified skips them; give it outdated-after, or verify once without ignore-verified)",
                    subject: subject))
            }
            if counts.failed > 0 {
                let examples = counts.failedNewest.map(\.name).joined(separator: ", ")
                findings.append(Finding(.critical, "verify-failed",
                    "\(counts.failed) snapshot\(counts.failed == 1 ? "" : "s") on the secondary failed verification (\(examples)\(counts.failed > 3 ? ", …" : ""))",
                    subject: subject))
            }
        }

        if let jobs = node.verifyJobs {
            if jobs.isEmpty {
                findings.append(Finding(.warning, "verify-job-missing",
                    "no verify job on the secondary's datastore '\(node.datastoreName)'; synced copies are never checked", subject: subject))
            }
            let newest = jobs.compactMap { job -> (Int64, String)? in
                guard let end = job.status.lastRunEndtime, let state = job.status.lastRunState else { return nil }
                return (end, state)
            }.max { $0.0 < $1.0 }
            summary.lastRunEnd = newest?.0
            if let state = newest?.1 {
                summary.lastRunState = TaskOutcome(state).isOK ? "ok" : "error"
            } else {
                summary.lastRunState = jobs.contains { $0.status.lastRunUPID != nil } ? "running" : "never"
            }
        }
        // Only the verify job's runs count: one manual verify of one snapshot says little.
        let jobRuns = (node.verifyTasks ?? []).filter { $0.workerType == "verificationjob" }
        summary.lastSuccessEnd = jobRuns.filter { $0.outcome?.isOK == true }.compactMap(\.endtime).max()
        // History is hidden when a job's last run is not in the list the token was given (no
        // Sys.Audit on /system/tasks and no Datastore.Verify); then the jobs' own last runs count.
        let listed = Set(jobRuns.map(\.upid))
        let unseen = (node.verifyJobs ?? []).compactMap(\.status.lastRunUPID).filter { !listed.contains($0) }
        if node.verifyTasks != nil, !unseen.isEmpty, let jobs = node.verifyJobs {
            summary.lastSuccessEnd = jobs.filter { $0.status.lastRunState.map { TaskOutcome($0).isOK } ?? false }
                .compactMap(\.status.lastRunEndtime).max()
            findings.append(Finding(.warning, "verify-history-hidden",
                "the token cannot read the verify job's task history (grant Sys.Audit on /system/tasks, or Datastore.Verify); "
                    + "verify age comes from the jobs' last runs",
                subject: subject))
        }
        if let end = summary.lastSuccessEnd {
            let age = elapsed(now, since: end)
            summary.ageSeconds = age
            if age > policy.verifyMaxAgeSeconds {
                findings.append(Finding(.warning, "verify-stale",
                    "newest successful verify on the secondary is \(Durations.format(age)) old (limit \(Durations.format(policy.verifyMaxAgeSeconds)))",
                    subject: subject))
            }
        } else if node.verifyTasks != nil, node.verifyJobs?.isEmpty == false {
            findings.append(Finding(.warning, "verify-never-succeeded",
                "no successful verify of '\(node.datastoreName)' in the task history", subject: subject))
        }
        summary.status = HealthStatus(worstOf: findings)
        return (summary, findings)
    }
}
