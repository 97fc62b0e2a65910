/// One entry of PVE's `GET /storage` (the fields a `pbs:` entry has). Never holds the password.
public struct PVEStorage: Codable, Sendable, Equatable {
    public var storage: String
    public var type: String
    public var content: String?
    public var digest: String?
    public var server: String?
    public var datastore: String?
    public var port: Int?
    public var username: String?
    public var fingerprint: String?
    public var namespace: String?
    /// PVE sends booleans as 0/1.
    public var disable: Int?
    public var nodes: String?
    /// The fingerprint of the entry's client-side encryption key, when it encrypts.
    public var encryptionKey: String?

    enum CodingKeys: String, CodingKey {
        case storage, type, content, digest, server, datastore, port, username, fingerprint, namespace, disable, nodes
        case encryptionKey = "encryption-key"
    }

    public init(storage: String, type: String, server: String?, datastore: String?, fingerprint: String?,
                username: String?, port: Int? = nil, namespace: String? = nil) {
        self.storage = storage
        self.type = type
        self.content = type == "pbs" ? "backup" : nil
        self.server = server
        self.datastore = datastore
        self.fingerprint = fingerprint
        self.username = username
        self.port = port
        self.namespace = namespace
    }
}

/// What `PUT /storage/{storage}` answers: the entry's ID and type.
public struct PVEStorageUpdated: Codable, Sendable, Equatable {
    public var storage: String
    public var type: String
}

/// One entry of `GET /nodes`: a cluster member (or the standalone host itself).
public struct PVENode: Codable, Sendable, Equatable {
    public var node: String
    /// `online`, `offline` or `unknown`.
    public var status: String?
    /// The node's TLS certificate fingerprint, for pinning.
    public var sslFingerprint: String?

    enum CodingKeys: String, CodingKey {
        case node, status
        case sslFingerprint = "ssl_fingerprint"
    }

    public init(node: String, status: String?, sslFingerprint: String?) {
        self.node = node
        self.status = status
        self.sslFingerprint = sslFingerprint
    }
}

/// One entry of `GET /cluster/status`: the cluster itself (`type` `cluster`, only when
/// clustered) or a node (`type` `node`). PVE writes booleans as 0/1.
public struct PVEClusterStatusEntry: Codable, Sendable, Equatable {
    public var type: String
    public var name: String
    public var id: String?
    public var nodes: Int?
    public var quorate: Int?
    public var online: Int?
    public var local: Int?
    public var ip: String?

    public init(type: String, name: String, id: String? = nil, nodes: Int? = nil, quorate: Int? = nil, online: Int? = nil,
                local: Int? = nil, ip: String? = nil) {
        self.type = type
        self.name = name
        self.id = id
        self.nodes = nodes
        self.quorate = quorate
        self.online = online
        self.local = local
        self.ip = ip
    }
}

/// One guest of `GET /cluster/resources?type=vm`.
public struct PVEGuest: Codable, Sendable, Equatable {
    /// `qemu/100` or `lxc/101`.
    public var id: String
    /// `qemu` or `lxc`.
    public var type: String
    public var vmid: Int
    public var node: String
    public var name: String?
    public var status: String?
    public var template: Int?

    public init(type: String, vmid: Int, node: String, name: String?, status: String? = "running") {
        self.id = "\(type)/\(vmid)"
        self.type = type
        self.vmid = vmid
        self.node = node
        self.name = name
        self.status = status
    }
}

/// A scheduled backup job (`GET /cluster/backup`, kept in `/etc/pve/jobs.cfg`).
public struct PVEBackupJob: Codable, Sendable, Equatable {
    public var id: String
    public var schedule: String?
    public var storage: String?
    /// Comma list of guest IDs; absent with `all`.
    public var vmid: String?
    public var all: Int?
    public var node: String?
    public var enabled: Int?
    public var mode: String?

    public init(id: String, schedule: String?, storage: String?, vmid: String? = nil, all: Int? = nil, node: String? = nil,
                enabled: Int? = 1, mode: String? = "snapshot") {
        self.id = id
        self.schedule = schedule
        self.storage = storage
        self.vmid = vmid
        self.all = all
        self.node = node
        self.enabled = enabled
        self.mode = mode
    }
}

/// `GET /nodes/{node}/storage/{storage}/status`: whether that node reaches the storage now.
public struct PVEStorageStatus: Codable, Sendable, Equatable {
    public var type: String?
    public var content: String?
    /// 0 when disabled or not allowed on this node.
    public var enabled: Int?
    /// 1 only when activation and the PBS status query succeeded.
    public var active: Int?
    public var total: Int64?
    public var used: Int64?
    public var avail: Int64?

    public init(type: String?, enabled: Int?, active: Int?, total: Int64?, used: Int64?, avail: Int64?) {
        self.type = type
        self.content = "backup"
        self.enabled = enabled
        self.active = active
        self.total = total
        self.used = used
        self.avail = avail
    }
}

/// What `POST /nodes/{node}/vzdump` started: a task, or nothing because none of the guests
/// lives on that node (PVE then answers the plain string `OK`).
public enum VzdumpStart: Sendable, Equatable {
    case task(String)
    case noGuestOnThisNode
}
