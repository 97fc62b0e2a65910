import PairEngine
import ProxmoxAPI

/// A healthy pair at 2026-11-27T06:00:00Z that each test bends into one condition.
struct PairFixture {
    static let now: Int64 = 1_795_759_200
    static let fingerprint = Fingerprint(String(repeating: "ab:", count: 31) + "ab")!
    var state: PairState
    var policy = HealthPolicy(rpoSeconds: 14_400, verifyMaxAgeSeconds: 8 * 86_400, syncJob: "primary-mirror", remote: "primary-hub",
                              primaryFingerprint: fingerprint, primaryHost: "pbs1", primaryDatastore: "main",
                              secondaryHost: "pbs2", secondaryDatastore: "mirror")

    /// The UPIDs of the verify job runs on each node that verified the fixture's snapshots.
    static let primaryVerify = UPID.pbs(node: "pbs1", pid: 1, pstart: 1, taskID: 7, startTime: now - 5000,
                                        workerType: "verificationjob", workerID: "main:v", authID: "root@pam").raw
    static let secondaryVerify = task("verificationjob", "mirror:v", start: now - 3700, end: now - 3600, status: "OK")

    init() {
        let times = (0..<3).map { Self.now - Int64(3 - $0) * 7200 }
        var primary = NodeReading(role: .primary, host: "pbs1", datastoreName: "main")
        var secondary = NodeReading(role: .secondary, host: "pbs2", datastoreName: "mirror")
        for index in 0..<2 {
            var node = index == 0 ? primary : secondary
            node.version = VersionInfo(version: "3.4", release: "1", repoid: "x")
            node.latencyMs = 3
            node.time = NodeTime(timezone: "UTC", time: Self.now, localtime: Self.now)
            node.clockSkew = 0
            node.datastore = DatastoreListItem(store: node.datastoreName)
            node.status = DatastoreStatus(total: 1000, used: 300, avail: 700, counts: .init(vm: .init(groups: 1, snapshots: 3)))
            node.snapshots = times.map { Self.snapshot("100", $0, verified: "ok", by: index == 0 ? Self.primaryVerify : Self.secondaryVerify.upid) }
            if index == 0 { primary = node } else { secondary = node }
        }
        let lastSync = Self.syncTask(start: Self.now - 1800, status: "OK")
        secondary.syncJob = ScheduledJob(SyncJob(id: "primary-mirror", store: "mirror", remote: "primary-hub", remoteStore: "main", schedule: "hourly"),
                                    status: JobScheduleStatus(nextRun: Self.now + 1800, lastRunUPID: lastSync.upid, lastRunState: "OK",
                                                                       lastRunEndtime: Self.now - 1700))
        secondary.syncTasks = [lastSync]
        secondary.verifyJobs = [ScheduledJob(VerifyJob(id: "v", store: "mirror", schedule: "daily"),
                                          status: JobScheduleStatus(lastRunUPID: Self.secondaryVerify.upid, lastRunState: "OK", lastRunEndtime: Self.now - 3600))]
        secondary.verifyTasks = [Self.secondaryVerify]
        secondary.remote = RemoteConfig(name: "primary-hub", host: "pbs1", port: nil, authID: "sync@pbs!s", fingerprint: Self.fingerprint.description)
        state = PairState(observedAt: Double(Self.now), primary: primary, secondary: secondary, pve: [])
    }

    /// A snapshot; `verified` names the state and `by` the verify task's UPID (the secondary's own by default).
    static func snapshot(_ id: String, _ time: Int64, verified: String? = nil, by verifier: String = secondaryVerify.upid,
                         size: Int64? = 100) -> NamespacedSnapshot {
        NamespacedSnapshot(ns: "", item: SnapshotListItem(
            backupType: "vm", backupID: id, backupTime: time, files: [], size: size, owner: "root@pam",
            verification: verified.map { .init(state: $0, upid: verifier) }))
    }

    static func task(_ type: String, _ id: String, start: Int64, end: Int64?, status: String?) -> TaskListItem {
        TaskListItem(upid: UPID.pbs(node: "pbs2", pid: 1, pstart: 1, taskID: UInt64(start), startTime: start,
                                    workerType: type, workerID: id, authID: "root@pam"), endtime: end, status: status)
    }

    static func syncTask(start: Int64, status: String?) -> TaskListItem {
        task("syncjob", "primary-hub:main:mirror::primary-mirror", start: start, end: status == nil ? nil : start + 100, status: status)
    }

    /// Replaces the sync history; the job's last run is the newest of it, as on PBS.
    mutating func setSyncTasks(_ tasks: [TaskListItem]) {
        state.secondary.syncTasks = tasks
        state.secondary.syncJob?.status.lastRunUPID = tasks.max { $0.starttime < $1.starttime }?.upid
    }

    /// Sync history, newest first: statuses of runs one hour apart ending before `now`.
    mutating func syncHistory(_ statuses: [String]) {
        state.secondary.syncTasks = statuses.enumerated().map { index, status in
            Self.syncTask(start: Self.now - Int64(index + 1) * 3600, status: status)
        }
        state.secondary.syncJob?.status.lastRunUPID = state.secondary.syncTasks?.first?.upid
    }

    var report: HealthReport { HealthReport.evaluate(state, policy: policy) }
    var codes: [String] { report.findings.map(\.code) }

    func finding(_ code: String) -> Finding? { report.findings.first { $0.code == code } }
}
