import ProxmoxAPI

/// The thresholds and names the health rules judge against.
public struct HealthPolicy: Sendable {
    public var rpoSeconds: Int
    /// WARNING once the last successful sync is this fraction of the RPO old.
    public var rpoWarningFraction = 0.75
    public var verifyMaxAgeSeconds: Int
    public var syncJob: String
    public var remote: String
    /// The primary's pinned fingerprint, to check the secondary's Remote against.
    public var primaryFingerprint: Fingerprint?
    public var primaryHost: String
    public var primaryPort: Int
    public var primaryDatastore: String
    public var secondaryHost: String
    public var secondaryPort: Int
    public var secondaryDatastore: String
    /// The secondary's pinned fingerprint: a PVE storage entry naming it points there,
    /// whatever address the entry uses.
    public var secondaryFingerprint: Fingerprint?
    public var usageWarning = 0.85
    public var usageCritical = 0.95
    /// Allowed difference between the two nodes' clocks.
    public var nodeSkewSeconds = 60
    /// Difference between a node and the console worth mentioning.
    public var consoleSkewSeconds = 300

    public init(rpoSeconds: Int, verifyMaxAgeSeconds: Int, syncJob: String, remote: String,
                primaryFingerprint: Fingerprint?, primaryHost: String, primaryPort: Int = 8007, primaryDatastore: String,
                secondaryHost: String, secondaryPort: Int = 8007, secondaryDatastore: String) {
        self.rpoSeconds = rpoSeconds
        self.verifyMaxAgeSeconds = verifyMaxAgeSeconds
        self.syncJob = syncJob
        self.remote = remote
        self.primaryFingerprint = primaryFingerprint
        self.primaryHost = primaryHost
        self.primaryPort = primaryPort
        self.primaryDatastore = primaryDatastore
        self.secondaryHost = secondaryHost
        self.secondaryPort = secondaryPort
        self.secondaryDatastore = secondaryDatastore
    }

    public init(_ config: PairConfig) {
        self.init(rpoSeconds: config.rpoSeconds, verifyMaxAgeSeconds: config.verifyMaxAgeSeconds,
                  syncJob: config.syncJob, remote: config.remote, primaryFingerprint: config.primary.fingerprint,
                  primaryHost: config.primary.host, primaryPort: config.primary.port, primaryDatastore: config.primary.datastore,
                  secondaryHost: config.secondary.host, secondaryPort: config.secondary.port,
                  secondaryDatastore: config.secondary.datastore)
        secondaryFingerprint = config.secondary.fingerprint
    }
}
