import PairEngine
import ProxmoxAPI

/// One backup snapshot in a simulated datastore.
struct LabSnapshot: Codable, Sendable, Equatable {
    var ns: String = ""
    var type: String
    var id: String
    var time: Int64
    /// When the backup finished; before that the snapshot has no size, as on PBS.
    var finished: Int64
    /// Bytes of all archives.
    var size: Int64
    /// New chunk bytes this snapshot added to the datastore.
    var newBytes: Int64
    var owner: String
    var verification: SnapshotListItem.Verification?
    /// Damaged chunks: the next verify of this snapshot fails.
    var corrupt = false

    var group: String { "\(type)/\(id)" }
    var name: String { "\(type)/\(id)/\(Timestamps.rfc3339(time))" }

    func listItem(now: Int64) -> SnapshotListItem {
        let complete = now >= finished
        let archive = type == "vm" ? "drive-scsi0.img.fidx" : "root.pxar.didx"
        let config = type == "vm" ? "qemu-server.conf.blob" : "pct.conf.blob"
        return SnapshotListItem(
            backupType: type, backupID: id, backupTime: time,
            files: [.init(filename: "index.json.blob", size: 572), .init(filename: config, size: 431),
                    .init(filename: archive, size: complete ? size : nil)],
            size: complete ? size : nil, owner: owner, verification: complete ? verification : nil)
    }
}

/// One finished or running task with its log.
struct LabTask: Codable, Sendable {
    var upid: String
    var start: Int64
    var end: Int64
    /// `OK`, `WARNINGS: n` or the error message.
    var status: String
    /// Messages without timestamps; each is stamped `start + offsets[i]`.
    var lines: [String]
    var offsets: [Int64]

    var parsed: UPID { try! UPID(upid) }

    func running(at now: Int64) -> Bool { now < end }
}

/// How a node answers right now.
enum NodeMode: String, Codable, Sendable {
    /// Serves requests.
    case up
    /// Refuses connections (the listener is closed).
    case down
    /// Accepts connections and never answers.
    case hang
}

/// An API token and what it may do.
struct LabToken: Codable, Sendable {
    var authID: String
    var secret: String
    /// ACL entries: path and role, propagating to children.
    var acl: [LabACL]
}

/// One ACL entry: a role on a path, by default propagating to the paths below.
struct LabACL: Codable, Sendable {
    var path: String
    var role: String
    var propagate = true

    init(path: String, role: String, propagate: Bool = true) {
        self.path = path
        self.role = role
        self.propagate = propagate
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        path = try container.decode(String.self, forKey: .path)
        role = try container.decode(String.self, forKey: .role)
        propagate = try container.decodeIfPresent(Bool.self, forKey: .propagate) ?? true
    }
}

/// A PBS user: its tokens have at most the privileges its own ACL entries give it.
struct LabUser: Codable, Sendable {
    var userid: String
    var acl: [LabACL]
}

/// A simulated Proxmox Backup Server.
struct LabPBS: Codable, Sendable {
    var role: NodeRole
    var nodeName: String
    var mode: NodeMode = .up
    var port: Int = 0
    var datastore: String
    var totalBytes: Int64
    /// Bytes used by things other than the snapshots (the OS, chunk overhead).
    var baseBytes: Int64
    var maintenance: String?
    var snapshots: [LabSnapshot] = []
    var tasks: [LabTask] = []
    var tokens: [LabToken]
    /// The users owning the tokens (`root@pam` always exists).
    var users: [LabUser] = []
    /// Pull jobs into this node's datastore (either node may pull from the other).
    var syncJobs: [SyncJob] = []
    var verifyJob: VerifyJob?
    var remotes: [LabRemote] = []
    /// The SHA-256 fingerprint of the certificate the node serves now.
    var fingerprint = ""
    /// The last scheduled run of each job, by job id (the scheduler's reference time).
    var lastRun: [String: Int64] = [:]
    /// Jobs whose scheduled time passed while the node was down; they start when it is back.
    var missedWhileDown: Set<String> = []
    var taskCounter: UInt64 = 0
    /// Namespaces made below the root (`a`, `a/b`); nil in a lab saved before it had any.
    var createdNamespaces: [String]?

    /// Every namespace: the root (`""`), the created ones and any holding snapshots.
    var namespaces: [String] { Array(Set([""] + (createdNamespaces ?? []) + snapshots.map(\.ns))).sorted() }

    var usedBytes: Int64 { baseBytes + snapshots.reduce(0) { $0 + $1.newBytes } }

    /// Why the datastore refuses an operation in its maintenance mode, in PBS's words; nil
    /// when it allows it. Offline refuses everything but lookups, read-only refuses writes.
    func maintenanceRefusal(writing: Bool) -> String? {
        guard let mode = MaintenanceMode(maintenance), mode.type == "offline" || (writing && mode.type == "read-only") else { return nil }
        return "datastore '\(datastore)' is unavailable: \(mode.type) maintenance mode: \(mode.message ?? "")"
    }
}

/// A remote as PBS keeps it in `remote.cfg`: what `GET /config/remote` shows, and the
/// password (a token secret) it never shows.
struct LabRemote: Codable, Sendable {
    var config: RemoteConfig
    var password: String
    /// The lab node the remote's port pointed at when it was written; the remote follows
    /// that node to a new port when the lab rebinds (nil: it points at nothing in the lab).
    var follows: NodeRole?
}

/// Faults the operator injects with `lab ctl`.
struct LabFaults: Codable, Sendable {
    var syncFails = false
    /// Runs complete but log a warning, ending `WARNINGS: 1`.
    var syncWarns = false
    /// PBS nodes whose firewall drops connections from the PVE hosts (pbsha and the other
    /// PBS still reach them).
    var pveBlocked: Set<NodeRole> = []
}

/// The lab's webhook receiver: what pbsha's notifications would post to a chat system.
struct LabWebhookSink: Codable, Sendable {
    var port = 0
    /// The secret path part of the URL (a real webhook URL carries a token the same way).
    var token: String
    var received: [LabNotification] = []
}

/// One message the webhook sink received.
struct LabNotification: Codable, Sendable {
    var time: Int64
    var text: String
}
