import ProxmoxAPI

/// Verification of the secondary's datastore.
public struct VerifySummary: Sendable, Equatable {
    public var datastore: String
    public var lastRunEnd: Int64?
    /// `ok`, `error`, `running` or `never`.
    public var lastRunState: String?
    public var lastSuccessEnd: Int64?
    public var ageSeconds: Int?
    public var snapshotsOK: Int?
    public var snapshotsFailed: Int?
    public var snapshotsUnverified: Int?
    public var status: HealthStatus
}

/// Rules about verification on the secondary.
enum VerifyRules {
    static func evaluate(_ node: NodeReading, now: Int64, policy: HealthPolicy) -> (VerifySummary, [Finding]) {
        var summary = VerifySummary(datastore: node.datastoreName, status: .unknown)
        guard node.reachable else { return (summary, []) }
        var findings: [Finding] = []
        let subject = "verify:\(node.datastoreName)"

        if let snapshots = node.snapshots?.filter({ $0.item.size != nil }) {
            let failed = snapshots.filter { $0.item.verification?.state == "failed" }.sorted { $0.item.backupTime > $1.item.backupTime }
            summary.snapshotsFailed = failed.count
            summary.snapshotsOK = snapshots.filter { $0.item.verification?.state == "ok" }.count
            summary.snapshotsUnverified = snapshots.filter { $0.item.verification == nil }.count
            if !failed.isEmpty {
                let examples = failed.prefix(3).map(\.name).joined(separator: ", ")
                findings.append(Finding(.critical, "verify-failed",
                    "\(failed.count) snapshot\(failed.count == 1 ? "" : "s") on the secondary failed verification (\(examples)\(failed.count > 3 ? ", …" : ""))",
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
        let successes = (node.verifyTasks ?? []).filter { $0.outcome?.isOK == true }.compactMap(\.endtime)
        summary.lastSuccessEnd = successes.max()
        // Without Sys.Audit on /system/tasks the history is empty; fall back to the jobs' own last runs.
        if node.verifyTasks?.isEmpty == true, let jobs = node.verifyJobs, jobs.contains(where: { $0.status.lastRunUPID != nil }) {
            summary.lastSuccessEnd = jobs.filter { $0.status.lastRunState.map { TaskOutcome($0).isOK } ?? false }
                .compactMap(\.status.lastRunEndtime).max()
            findings.append(Finding(.warning, "verify-history-hidden",
                "the token sees no verify task history (grant Sys.Audit on /system/tasks); verify age comes from the jobs' last runs",
                subject: subject))
        }
        if let end = summary.lastSuccessEnd {
            let age = Int(now - end)
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
