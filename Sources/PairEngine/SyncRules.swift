import ProxmoxAPI

/// The pull sync job as the operator needs to see it.
public struct SyncSummary: Sendable, Equatable {
    public enum RunState: String, Sendable { case ok, warning, error, running, never }

    public var job: String
    public var schedule: String?
    public var lastRunState: RunState?
    public var lastRunEnd: Int64?
    /// End of the newest successful run, from task history.
    public var lastSuccessEnd: Int64?
    /// Start of that run: snapshots older than this should be on the secondary.
    public var lastSuccessStart: Int64?
    /// Secondary clock minus `lastSuccessEnd`.
    public var ageSeconds: Int?
    public var nextRun: Int64?
    public var consecutiveFailures: Int
    public var lastError: String?
    public var rateLimit: String?
    public var status: HealthStatus
}

/// Rules about the pull sync job on the secondary.
enum SyncRules {
    static func evaluate(_ node: NodeReading, now: Int64, policy: HealthPolicy) -> (SyncSummary, [Finding]) {
        var summary = SyncSummary(job: policy.syncJob, consecutiveFailures: 0, status: .unknown)
        guard node.reachable else { return (summary, []) }
        var findings: [Finding] = []
        let subject = "sync:\(policy.syncJob)"
        guard let job = node.syncJob else {
            if !node.syncJobListed {
                findings.append(Finding(.critical, "sync-job-missing",
                    "sync job '\(policy.syncJob)' does not exist on the secondary; nothing copies backups off the primary", subject: subject))
                summary.status = .critical
            }
            return (summary, findings)
        }
        summary.schedule = job.schedule
        summary.nextRun = job.status.nextRun
        summary.rateLimit = job.rateIn
        summary.lastRunEnd = job.status.lastRunEndtime
        summary.lastRunState = runState(job.status)

        // Success and failures come from task history, never from last-run-endtime alone.
        // PBS hides the job's tasks from a token that has neither Sys.Audit on /system/tasks
        // nor the privileges to run the job; it then gets a shorter list, not an error. That
        // shows as the job's last run missing from the list: then only that run can be used,
        // and the operator is told.
        let finished = (node.syncTasks ?? []).filter { $0.endtime != nil && $0.status != nil }.sorted { $0.starttime > $1.starttime }
        let listed = Set((node.syncTasks ?? []).map(\.upid))
        let historyHidden = node.syncTasks != nil && job.status.lastRunUPID.map { !listed.contains($0) } == true
        if let history = node.syncTasks, !historyHidden {
            let success = finished.first { $0.outcome?.isOK == true }
            summary.lastSuccessEnd = success?.endtime
            summary.lastSuccessStart = success?.starttime
            let failures = finished.prefix { $0.outcome?.isOK != true }
            summary.consecutiveFailures = failures.count
            summary.lastError = failures.first?.status
            if success == nil, !finished.isEmpty {
                findings.append(Finding(.critical, "sync-never-succeeded",
                    "no successful sync in the last \(finished.count) runs of '\(policy.syncJob)' (last: \(finished[0].status ?? "?"))", subject: subject))
            } else if history.isEmpty, summary.lastRunState == .never {
                findings.append(Finding(.critical, "sync-never-ran", "sync job '\(policy.syncJob)' has never run", subject: subject))
            }
        } else if let state = job.status.lastRunState {
            if TaskOutcome(state).isOK {
                summary.lastSuccessEnd = job.status.lastRunEndtime
            } else {
                summary.consecutiveFailures = 1
                summary.lastError = state
            }
            if historyHidden {
                findings.append(Finding(.warning, "sync-history-hidden",
                    "the token cannot read the task history of '\(policy.syncJob)' (grant Sys.Audit on /system/tasks, or Datastore.Backup and "
                        + "Remote.Read to run the job); age and failures come from the last run only",
                    subject: subject))
            }
        }

        if let end = summary.lastSuccessEnd {
            let age = elapsed(now, since: end)
            summary.ageSeconds = age
            let rpo = policy.rpoSeconds
            if age >= rpo {
                findings.append(Finding(.critical, "sync-stale",
                    "last successful sync \(Durations.format(age)) ago, past the RPO of \(Durations.format(rpo))", subject: subject))
            } else if Double(age) >= Double(rpo) * policy.rpoWarningFraction {
                findings.append(Finding(.warning, "sync-stale",
                    "last successful sync \(Durations.format(age)) ago, \(Int(clamping: Double(age) * 100 / Double(rpo))) % of the RPO of \(Durations.format(rpo))",
                    subject: subject))
            }
        }

        let failures = summary.consecutiveFailures
        if failures > 0 {
            // A failing sync that has not yet aged past the warning line is the silent kind.
            let quiet = Double(summary.ageSeconds ?? Int.max) < Double(policy.rpoSeconds) * policy.rpoWarningFraction ? " while the RPO still looks fine" : ""
            let runs = failures == 1 ? "the last run" : "\(failures) runs in a row"
            findings.append(Finding(failures >= 3 ? .critical : .warning, "sync-failing",
                "sync failing for \(runs)\(quiet): \(summary.lastError ?? "unknown error")", subject: subject))
        }

        // The schedule runs on the node's wall clock, daylight-saving changes included.
        let zone = node.time.flatMap { ZoneRules(identifier: $0.timezone) } ?? .utc
        findings += scheduleFindings(job, now: now, zone: zone, subject: subject)
        summary.status = HealthStatus(worstOf: findings)
        return (summary, findings)
    }

    private static func runState(_ status: JobScheduleStatus) -> SyncSummary.RunState {
        guard let state = status.lastRunState else { return status.lastRunUPID == nil ? .never : .running }
        switch TaskOutcome(state) {
        case .ok: return .ok
        case .warnings: return .warning
        case .unknown, .error: return .error
        }
    }

    /// "Did not run": the next run is overdue by a whole interval. No schedule: runs only by hand.
    private static func scheduleFindings(_ job: ScheduledJob<SyncJob>, now: Int64, zone: ZoneRules, subject: String) -> [Finding] {
        guard let schedule = job.schedule else {
            return [Finding(.warning, "sync-no-schedule", "sync job '\(job.id)' has no schedule; it only runs when started by hand", subject: subject)]
        }
        let event: CalendarEvent
        do { event = try CalendarEvent(schedule) } catch {
            return [Finding(.warning, "sync-schedule-unreadable", "cannot read the schedule '\(schedule)' of '\(job.id)': \(error.message)", subject: subject)]
        }
        guard job.status.lastRunState != nil || job.status.lastRunUPID == nil,
              let due = job.status.nextRun, let following = event.next(after: due, in: zone) else { return [] }
        let interval = following - due
        guard now > due + interval else { return [] }
        return [Finding(.critical, "sync-not-running",
            "sync did not run: it was due \(Durations.format(elapsed(now, since: due))) ago (\(Timestamps.rfc3339(due))) and has not started",
            subject: subject)]
    }
}
