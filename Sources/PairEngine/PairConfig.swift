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
    /// How often a refresh reads every snapshot list again (`full-read-interval`).
    public var fullReadIntervalSeconds = 900
    public var primary: NodeConfig
    public var secondary: NodeConfig
    /// The pull job on the secondary.
    public var syncJob: String
    /// The secondary's Remote that points at the primary.
    public var remote: String
    public var pve: [PVEHostConfig]
    public var notify: NotifyConfig?
    /// Runbook files replacing the built-in ones, by runbook (`failover`, `failback`).
    public var runbookFiles: [String: String] = [:]
    /// A drill older than this is due (`[drills] max-age`).
    public var drillMaxAgeSeconds = 180 * 86_400
}

/// Where notifications go: a webhook URL read from a private file (it usually carries a
/// token), verified against the system's CA store, or pinned like a node.
public struct NotifyConfig: Sendable {
    public var webhookURL: String
    public var webhookFingerprint: Fingerprint?
}

/// How pbsha reaches one PBS node.
public struct NodeConfig: Sendable {
    public var host: String
    public var port: Int
    public var fingerprint: Fingerprint
    public var token: APIToken
    public var datastore: String
    /// The token runbook actions use on this node; status, check and the wallboard never do.
    public var operatorToken: APIToken?
    /// What PVE backs up with on this node: written into the `pbs:` entry by a retarget.
    public var pveToken: APIToken?
    /// The address PVE reaches this node by, when it is not `host`.
    public var pveServer: String?
    /// On the secondary: the read-only token failback's reverse sync pulls with.
    public var reverseSyncToken: APIToken?

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
    /// The token runbook actions use on this host.
    public var operatorToken: APIToken?
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
