@testable import Console
import PairEngine
import ProxmoxAPI

/// A console state over a fixed, healthy pair at 2026-11-27T06:00:00Z.
enum ConsoleFixture {
    static let now: Int64 = 1_795_759_200
    static let policy = HealthPolicy(rpoSeconds: 14_400, verifyMaxAgeSeconds: 8 * 86_400, syncJob: "primary-mirror", remote: "primary-hub",
                                     primaryFingerprint: nil, primaryHost: "pbs1", primaryDatastore: "main",
                                     secondaryHost: "pbs2", secondaryDatastore: "mirror")

    /// The secondary's own verify job run, which verified its snapshots.
    static let verifyRun = task("verificationjob", "mirror:v", start: now - 7300, status: "OK")

    static func snapshot(_ id: String, _ time: Int64, verified: String? = "ok", by verifier: String = verifyRun.upid) -> NamespacedSnapshot {
        NamespacedSnapshot(ns: "", item: SnapshotListItem(backupType: "vm", backupID: id, backupTime: time, files: [], size: 100,
                                                          owner: "root@pam", verification: verified.map { .init(state: $0, upid: verifier) }))
    }

    static func task(_ type: String, _ id: String, start: Int64, status: String?) -> TaskListItem {
        TaskListItem(upid: UPID.pbs(node: "pbs2", pid: 1, pstart: 1, taskID: UInt64(start), startTime: start, workerType: type,
                                    workerID: id, authID: "root@pam"), endtime: status == nil ? nil : start + 42, status: status)
    }

    static func pair(syncStatuses: [String] = ["OK"]) -> PairState {
        var nodes: [NodeReading] = []
        for (role, host, store) in [(NodeRole.primary, "pbs1", "main"), (.secondary, "pbs2", "mirror")] {
            var node = NodeReading(role: role, host: host, datastoreName: store)
            node.version = VersionInfo(version: "3.4", release: "1", repoid: "x")
            node.latencyMs = 3
            node.time = NodeTime(timezone: "UTC", time: now, localtime: now)
            node.clockSkew = 0
            node.datastore = DatastoreListItem(store: store)
            node.status = DatastoreStatus(total: 4 << 40, used: 1 << 40, avail: 3 << 40, counts: .init(vm: .init(groups: 2, snapshots: 4)))
            let verifier = role == .primary ? UPID.pbs(node: "pbs1", pid: 1, pstart: 1, taskID: 3, startTime: now - 9000, workerType: "verificationjob",
                                                       workerID: "main:v", authID: "root@pam").raw : verifyRun.upid
            node.snapshots = (0..<4).map { snapshot($0 < 2 ? "100" : "101", now - 86_400 + Int64($0) * 3600, by: verifier) }
            nodes.append(node)
        }
        nodes[1].syncTasks = syncStatuses.enumerated().map { task("syncjob", "primary-hub:main:mirror::primary-mirror", start: now - 1800 - Int64($0) * 3600, status: $1) }
        nodes[1].syncJob = ScheduledJob(SyncJob(id: "primary-mirror", store: "mirror", remote: "primary-hub", remoteStore: "main", schedule: "hourly",
                                   rateIn: "200 MiB"), status: JobScheduleStatus(nextRun: now + 1800, lastRunUPID: nodes[1].syncTasks?.first?.upid,
                                                                                          lastRunState: syncStatuses.first, lastRunEndtime: now - 1758))
        nodes[1].verifyJobs = [ScheduledJob(VerifyJob(id: "v", store: "mirror", schedule: "daily"),
                                         status: JobScheduleStatus(lastRunUPID: verifyRun.upid, lastRunState: "OK", lastRunEndtime: now - 7200))]
        nodes[1].remote = RemoteConfig(name: "primary-hub", host: "pbs1", port: nil, authID: "sync@pbs!s", fingerprint: nil)
        nodes[1].verifyTasks = [verifyRun]
        var pve = PVEReading(name: "pve-a", host: "pve1", storageID: "backup-primary")
        pve.version = VersionInfo(version: "8.3.2", release: "8.3", repoid: "x")
        pve.storage = PVEStorage(storage: "backup-primary", type: "pbs", server: "pbs1", datastore: "main", fingerprint: nil, username: nil)
        return PairState(observedAt: Double(now), primary: nodes[0], secondary: nodes[1], pve: [pve])
    }

    static func state(_ pair: PairState = pair(), width: Int = 80, height: Int = 24, wallboard: Bool = false, ascii: Bool = false) -> ConsoleState {
        var state = ConsoleState(mode: .lab, wallboard: wallboard, pairName: "lab-pair", rpoSeconds: 14_400, width: width, height: height,
                                 now: Double(now) + 2, ascii: ascii)
        _ = Update.apply(&state, .tick(Double(now)))
        _ = Update.apply(&state, .observed(pair, HealthReport.evaluate(pair, policy: policy)))
        _ = Update.apply(&state, .tick(Double(now) + 2))
        return state
    }

    static func down(_ pair: PairState, _ role: NodeRole) -> PairState {
        var pair = pair
        var node = pair.node(role)
        node.version = nil
        node.status = nil
        node.snapshots = nil
        node.failure = .connectionRefused(host: node.host, port: 8007, detail: "Connection refused")
        if role == .primary { pair.primary = node } else { pair.secondary = node }
        return pair
    }
}
