import Foundation
import PairEngine
import ProxmoxAPI

/// The whole simulated pair on one clock. A value type: every change is a method call,
/// and the runtime persists it as JSON. Nothing here touches the network.
public struct LabWorld: Codable, Sendable {
    /// World clock, seconds since the epoch.
    public internal(set) var now: Int64
    var primary: LabPBS
    var secondary: LabPBS
    var pve: [LabPVE]
    var faults = LabFaults()
    var webhook = LabWebhookSink(token: UUID().uuidString.lowercased())
    /// Before this time, an occasional sync run ends with a warning, so that the
    /// history looks like a real one (the last day is kept clean).
    var noisyHistoryEnd: Int64 = 0

    static let primaryStore = "main"
    static let secondaryStore = "mirror"
    static let syncJobID = "primary-mirror"
    static let remoteName = "primary-hub"
    static let monitorToken = "monitor@pbs!console"
    static let syncToken = "sync@pbs!secondary"
    static let pveToken = "pbsha@pve!failover"
    /// The tokens runbook actions use, with the privileges docs/configuration.md recommends.
    static let operatorToken = "pbsha@pbs!operator"
    static let pveOperatorToken = "pbsha@pve!operator"
    /// What PVE backs up with, on either PBS.
    static let backupToken = "pve@pbs!backup"
    /// The secondary's read-only token for failback's reverse sync.
    static let reverseSyncToken = "reverse@pbs!primary-pull"

    /// The PBS nodes' host names (their certificates are made for these).
    public static let nodeNames: [NodeRole: String] = [.primary: "pbs-primary", .secondary: "pbs-secondary"]

    /// A fresh world whose clock starts `history` seconds before `now` and is then run
    /// forward to `now`, so that the first screen already has backups, syncs and verifies.
    /// `fingerprints` are the PBS nodes' certificates, pinned by the remote and the PVE entries.
    public static func fresh(now: Int64, fingerprints: [NodeRole: String], history: Int64 = 14 * 86_400) -> LabWorld {
        let start = now - history
        func token(_ id: String, _ acl: [LabACL]) -> LabToken { LabToken(authID: id, secret: UUID().uuidString.lowercased(), acl: acl) }
        let monitor = [LabACL(path: "/", role: "Audit"), LabACL(path: "/remote", role: "RemoteAudit")]
        func operatorACL(_ store: String) -> [LabACL] {
            [LabACL(path: "/", role: "Audit"), LabACL(path: "/datastore/\(store)", role: "DatastoreAdmin"), LabACL(path: "/remote", role: "RemoteAdmin")]
        }
        var primary = LabPBS(
            role: .primary, nodeName: nodeNames[.primary]!, datastore: primaryStore, totalBytes: 4 << 40, baseBytes: 180 << 30,
            tokens: [token(monitorToken, monitor), token(syncToken, [LabACL(path: "/datastore/\(primaryStore)", role: "DatastoreReader")]),
                     token(backupToken, [LabACL(path: "/datastore/\(primaryStore)", role: "DatastoreBackup")]),
                     token(operatorToken, operatorACL(primaryStore))],
            users: [LabUser(userid: "monitor@pbs", acl: monitor),
                    LabUser(userid: "sync@pbs", acl: [LabACL(path: "/datastore/\(primaryStore)", role: "DatastoreReader")]),
                    LabUser(userid: "pve@pbs", acl: [LabACL(path: "/datastore/\(primaryStore)", role: "DatastoreBackup")]),
                    LabUser(userid: "pbsha@pbs", acl: operatorACL(primaryStore))],
            lastRun: ["verify-main": start])
        var secondary = LabPBS(
            role: .secondary, nodeName: nodeNames[.secondary]!, datastore: secondaryStore, totalBytes: 6 << 40, baseBytes: 150 << 30,
            tokens: [token(monitorToken, monitor), token(operatorToken, operatorACL(secondaryStore)),
                     token(backupToken, [LabACL(path: "/datastore/\(secondaryStore)", role: "DatastoreBackup")]),
                     token(reverseSyncToken, [LabACL(path: "/datastore/\(secondaryStore)", role: "DatastoreReader")])],
            users: [LabUser(userid: "monitor@pbs", acl: monitor), LabUser(userid: "pbsha@pbs", acl: operatorACL(secondaryStore)),
                    LabUser(userid: "pve@pbs", acl: [LabACL(path: "/datastore/\(secondaryStore)", role: "DatastoreBackup")]),
                    LabUser(userid: "reverse@pbs", acl: [LabACL(path: "/datastore/\(secondaryStore)", role: "DatastoreReader")])],
            lastRun: [syncJobID: start, "verify-mirror": start])
        secondary.syncJobs = [SyncJob(id: syncJobID, store: secondaryStore, remote: remoteName, remoteStore: primaryStore,
                                      schedule: "hourly", removeVanished: false, owner: "root@pam", rateIn: "200 MiB")]
        secondary.remotes = [LabRemote(config: RemoteConfig(name: remoteName, host: "127.0.0.1", port: 8007, authID: syncToken, fingerprint: nil),
                                       password: primary.tokens.first { $0.authID == syncToken }!.secret, follows: .primary)]
        primary.verifyJob = VerifyJob(id: "verify-main", store: primaryStore, schedule: "02:00", ignoreVerified: true, outdatedAfter: 30)
        secondary.verifyJob = VerifyJob(id: "verify-mirror", store: secondaryStore, schedule: "03:30", ignoreVerified: true, outdatedAfter: 30)
        let guestsA = [LabGuest(vmid: 100, kind: "qemu", name: "web-1", node: "pve1", diskBytes: 32 << 30),
                       LabGuest(vmid: 101, kind: "qemu", name: "db-1", node: "pve1", diskBytes: 96 << 30),
                       LabGuest(vmid: 102, kind: "qemu", name: "mail", node: "pve1", diskBytes: 48 << 30),
                       LabGuest(vmid: 200, kind: "lxc", name: "dns-1", node: "pve1", diskBytes: 8 << 30)]
        let guestsB = [LabGuest(vmid: 110, kind: "qemu", name: "app-1", node: "pve2", diskBytes: 64 << 30),
                       LabGuest(vmid: 111, kind: "qemu", name: "app-2", node: "pve3", diskBytes: 64 << 30),
                       LabGuest(vmid: 210, kind: "lxc", name: "proxy", node: "pve2", diskBytes: 8 << 30),
                       LabGuest(vmid: 211, kind: "lxc", name: "monitor", node: "pve3", diskBytes: 16 << 30)]
        // Until the lab binds them, the nodes answer on provisional ports the entries name.
        primary.port = 8007
        secondary.port = 8107
        primary.fingerprint = fingerprints[.primary] ?? ""
        secondary.fingerprint = fingerprints[.secondary] ?? ""
        secondary.remotes[0].config.fingerprint = primary.fingerprint
        // PBS generates token secrets, so PVE's token has a different one on each node.
        let secrets = [primary, secondary].map { node in node.tokens.first { $0.authID == backupToken }!.secret }
        // A standalone host and a two-node cluster, each with one backup job of all its guests.
        let hosts = [("pve-a", nil, ["pve1"], guestsA, "backup-5fd9a0c1-1e6b", "0/4:00"),
                     ("pve-b", "pve-cluster-b", ["pve2", "pve3"], guestsB, "backup-8e21c7d4-90a2", "2/4:15")]
            .map { name, cluster, nodes, guests, jobID, schedule in
                let cfg = LabPVE.initialStorageCfg(primary: (primaryStore, primary.port, primary.fingerprint),
                                                   secondary: (secondaryStore, secondary.port, secondary.fingerprint), username: backupToken)
                return LabPVE(name: name, cluster: cluster, nodes: nodes, guests: guests, storageCfg: cfg,
                              passwords: ["backup-primary": secrets[0], "backup-secondary": secrets[1]],
                              jobs: [LabBackupJob(config: PVEBackupJob(id: jobID, schedule: schedule, storage: "backup-primary", all: 1), lastRun: start)],
                              tokens: [token(pveToken, [LabACL(path: "/", role: "PVEAuditor")]),
                                       token(pveOperatorToken, [LabACL(path: "/", role: "PbshaFailover")])],
                              follows: ["backup-primary": .primary, "backup-secondary": .secondary])
            }
        var world = LabWorld(now: start, primary: primary, secondary: secondary, pve: hosts, noisyHistoryEnd: now - 86_400)
        world.advance(to: now)
        // The lab binds free ports when it starts; bind() moves what follows each node.
        world.primary.port = 0
        world.secondary.port = 0
        return world
    }

    /// Runs every scheduled event up to `target`, in time order; true if any ran.
    @discardableResult
    public mutating func advance(to target: Int64) -> Bool {
        var ran = false
        while let (time, event) = nextEvent(), time <= target {
            now = max(now, time)
            run(event, at: time)
            ran = true
        }
        now = max(now, target)
        return ran
    }

    enum Event { case backup(Int, String), sync(NodeRole, String), verify(NodeRole) }

    /// The earliest scheduled event after the references of each schedule.
    func nextEvent() -> (Int64, Event)? {
        var candidates: [(Int64, Event)] = []
        for (index, host) in pve.enumerated() where host.mode != .down {
            for job in host.jobs where job.config.enabled != 0 {
                if let schedule = job.config.schedule, let time = try? CalendarEvent(schedule).next(after: job.lastRun) {
                    candidates.append((time, .backup(index, job.config.id)))
                }
            }
        }
        for role in NodeRole.allCases {
            let node = self.node(role)
            for job in node.syncJobs {
                if let schedule = job.schedule, let last = node.lastRun[job.id], let time = try? CalendarEvent(schedule).next(after: last) {
                    candidates.append((time, .sync(role, job.id)))
                }
            }
            if let job = node.verifyJob, let schedule = job.schedule, let last = node.lastRun[job.id],
               let time = try? CalendarEvent(schedule).next(after: last) {
                candidates.append((time, .verify(role)))
            }
        }
        return candidates.min { $0.0 < $1.0 }
    }

    mutating func run(_ event: Event, at time: Int64) {
        switch event {
        case .backup(let index, let id):
            if let job = pve[index].jobs.firstIndex(where: { $0.config.id == id }) { pve[index].jobs[job].lastRun = time }
            runBackupJob(host: index, job: id, at: time)
        case .sync(let role, let id):
            self[role].lastRun[id] = time
            if node(role).mode == .down { self[role].missedWhileDown.insert(id) } else { runJob(event, at: time) }
        case .verify(let role):
            guard let id = node(role).verifyJob?.id else { return }
            self[role].lastRun[id] = time
            if node(role).mode == .down { self[role].missedWhileDown.insert(id) } else { runJob(.verify(role), at: time) }
        }
    }

    /// Runs a PBS job now. Like PBS's scheduler, the next run is the schedule's next event
    /// after this run's *end*, so a run longer than the interval skips the slots it covered.
    mutating func runJob(_ event: Event, at time: Int64, missed: Bool = false) {
        switch event {
        case .sync(let role, let id):
            guard let job = node(role).syncJobs.first(where: { $0.id == id }) else { return }
            runSync(role, job: job, at: time, trigger: "schedule '\(job.schedule ?? "manual")'\(missed ? " (missed while down)" : "")")
            self[role].lastRun[id] = node(role).tasks.last?.end ?? time
        case .verify(let role):
            guard let job = node(role).verifyJob else { return }
            runVerify(role, at: time)
            self[role].lastRun[job.id] = node(role).tasks.last?.end ?? time
        case .backup:
            return
        }
    }

    func node(_ role: NodeRole) -> LabPBS { role == .primary ? primary : secondary }

    subscript(role: NodeRole) -> LabPBS {
        get { node(role) }
        set { if role == .primary { primary = newValue } else { secondary = newValue } }
    }

    /// Adds a finished task to a node and returns its UPID.
    @discardableResult
    mutating func addTask(_ role: NodeRole, type: String, id: String, user: String = "root@pam", start: Int64,
                          duration: Int64, status: String, lines: [(Int64, String)]) -> String {
        self[role].taskCounter += 1
        let upid = UPID.pbs(node: node(role).nodeName, pid: 0x2F1A, pstart: 0x1C9E3, taskID: self[role].taskCounter,
                            startTime: start, workerType: type, workerID: id, authID: user)
        let task = LabTask(upid: upid.raw, start: start, end: start + max(1, duration), status: status,
                           lines: lines.map(\.1), offsets: lines.map { min($0.0, max(1, duration)) })
        self[role].tasks.append(task)
        // Keep history bounded the way PBS rotates its task archive.
        if self[role].tasks.count > 5000 { self[role].tasks.removeFirst(self[role].tasks.count - 5000) }
        return upid.raw
    }

    /// Deterministic pseudo-random numbers from a seed (no global RNG in the world).
    static func mix(_ seed: Int64) -> UInt64 {
        var z = UInt64(bitPattern: seed) &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
