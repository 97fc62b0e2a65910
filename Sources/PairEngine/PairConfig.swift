import ProxmoxAPI

/// The pair pbsha watches, as read from the TOML config (design.md section 3).
public struct PairConfig: Sendable {
    /// The file this was read from.
    public var file: String
    public var name: String
    public var rpoSeconds: Int
    public var verifyMaxAgeSeconds: Int
    /// Where the journal lives.
    public var stateDir: String
    public var primary: NodeConfig
    public var secondary: NodeConfig
    /// The pull job on the secondary.
    public var syncJob: String
    /// The secondary's Remote that points at the primary.
    public var remote: String
    public var pve: [PVEHostConfig]
    public var notifyWebhook: String?
}

/// How pbsha reaches one PBS node.
public struct NodeConfig: Sendable {
    public var host: String
    public var port: Int
    public var fingerprint: Fingerprint
    public var token: APIToken
    public var datastore: String

    public var endpoint: Endpoint { Endpoint(host: host, port: port, fingerprint: fingerprint) }
}

/// One PVE standalone host or cluster, and the `pbs:` storage entry it backs up to.
public struct PVEHostConfig: Sendable {
    /// How failover moves this host's backups.
    public enum Method: String, Sendable {
        case editStorageCfg = "edit-storage-cfg"
        case switchStorage = "switch-storage"
    }
    public var name: String
    public var host: String
    public var port: Int
    public var fingerprint: Fingerprint
    public var token: APIToken
    public var storage: String
    public var node: String
    public var testVMID: Int?
    public var method: Method
    public var remoteShell: String?
    public var failoverStorage: String?

    public var endpoint: Endpoint { Endpoint(host: host, port: port, fingerprint: fingerprint) }
}

/// A config problem: which file, which key, what was expected.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
    public let file: String
    public let key: String?
    public let message: String

    public init(file: String, key: String?, message: String) {
        self.file = file
        self.key = key
        self.message = message
    }

    public var description: String {
        if let key { return "\(file): \(key): \(message)" }
        return "\(file): \(message)"
    }
}
