import Crypto
import PairEngine
import ProxmoxAPI

/// A guest on a PVE node.
struct LabGuest: Codable, Sendable {
    var vmid: Int
    /// `qemu` or `lxc`.
    var kind: String
    var name: String
    /// The cluster node it runs on.
    var node: String
    var diskBytes: Int64

    var backupType: String { kind == "qemu" ? "vm" : "ct" }
}

/// A scheduled backup job as `/etc/pve/jobs.cfg` keeps it, with the scheduler's reference time.
struct LabBackupJob: Codable, Sendable {
    var config: PVEBackupJob
    var lastRun: Int64
}

/// A simulated PVE standalone host, or a cluster reached through one node's API (one
/// `[[pve]]` table each): nodes, guests, `/etc/pve/storage.cfg` as its text, the storage
/// secrets of `/etc/pve/priv/storage/<ID>.pw`, backup jobs and tasks. The runtime mirrors
/// the two files to the state directory, where `lab shell` edits them as root would.
struct LabPVE: Codable, Sendable {
    var name: String
    /// The cluster's name; nil for a standalone host.
    var cluster: String?
    var nodes: [String]
    var port: Int = 0
    var mode: NodeMode = .up
    var guests: [LabGuest]
    var storageCfg: String
    /// Storage ID to secret (`<ID>.pw`, the PBS token secret of a pbs: entry).
    var passwords: [String: String]
    var jobs: [LabBackupJob]
    var tasks: [LabTask] = []
    var taskCounter: UInt64 = 0
    var tokens: [LabToken]
    /// The SHA-256 fingerprint of the certificate the host serves (`ssl_fingerprint`).
    var fingerprint = ""
    /// The lab PBS each pbs: entry pointed at when the file last changed: the entry follows
    /// that node to a new port when the lab rebinds.
    var follows: [String: NodeRole] = [:]

    /// The file as PVE reads it, or why it cannot.
    var parsedStorage: Result<StorageConfig, StorageConfigError> {
        Result { () throws(StorageConfigError) in try StorageConfig(storageCfg) }
    }

    /// SHA-1 of the whole file, PVE's `digest`.
    var digest: String {
        Insecure.SHA1.hash(data: Array(storageCfg.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Every entry as `GET /storage` shows it (never the password).
    func storages() -> [PVEStorage] {
        guard case .success(let config) = parsedStorage else { return [] }
        return config.sections.map { section in
            func value(_ key: String) -> String? { config.value(of: key, in: section) }
            var entry = PVEStorage(storage: section.id, type: section.type, server: value("server"), datastore: value("datastore"),
                                   fingerprint: value("fingerprint"), username: value("username"), port: value("port").flatMap { Int($0) },
                                   namespace: value("namespace"))
            entry.content = value("content") ?? (section.type == "pbs" ? "backup" : nil)
            entry.digest = digest
            entry.disable = value("disable").map { $0 == "0" ? 0 : 1 }
            entry.nodes = value("nodes")
            entry.encryptionKey = value("encryption-key")
            return entry
        }
    }

    func storage(_ id: String) -> PVEStorage? { storages().first { $0.storage == id } }

    /// The node a guest runs on, if it exists here.
    func node(of vmid: Int) -> String? { guests.first { $0.vmid == vmid }?.node }
}

extension LabPVE {
    /// A host's storage.cfg as PVE writes one, with the pair's two pbs: entries:
    /// `backup-primary` (in use) and `backup-secondary` (prepared, for `switch-storage`).
    static func initialStorageCfg(primary: (store: String, port: Int, fingerprint: String),
                                  secondary: (store: String, port: Int, fingerprint: String), username: String) -> String {
        var text = "dir: local\n\tpath /var/lib/vz\n\tcontent iso,backup,vztmpl\n\n"
            + "lvmthin: local-lvm\n\tthinpool data\n\tvgname pve\n\tcontent rootdir,images\n\n"
        for (id, target) in [("backup-primary", primary), ("backup-secondary", secondary)] {
            text += "pbs: \(id)\n\tdatastore \(target.store)\n\tserver 127.0.0.1\n\tcontent backup\n\tfingerprint \(target.fingerprint)\n\tport \(target.port)\n"
                + "\tprune-backups keep-all=1\n\tusername \(username)\n\n"
        }
        return text
    }

    /// Moves the entries that follow a lab PBS to its new port. A renewed certificate is not
    /// followed: the entry keeps its pin and fails, as on PVE.
    mutating func follow(_ role: NodeRole, port: Int) {
        guard case .success(var config) = parsedStorage else { return }
        for (id, followed) in follows where followed == role {
            guard let section = config.section(id), section.type == "pbs", let server = config.value(of: "server", in: section),
                  let datastore = config.value(of: "datastore", in: section) else { continue }
            let target = StorageConfig.Target(server: server, datastore: datastore,
                                              fingerprint: config.value(of: "fingerprint", in: section) ?? "", port: port)
            if let moved = try? config.retargeting(id, to: target) { config = moved }
        }
        storageCfg = config.text
    }
}
