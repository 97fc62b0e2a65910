import ProxmoxAPI

/// Where a PVE storage entry points.
public enum Target: String, Sendable { case primary, secondary, other }

/// The verdict on a `PairState`: summaries for each part and the findings, worst first.
public struct HealthReport: Sendable {
    public var overall: HealthStatus
    public var sync: SyncSummary
    public var verify: VerifySummary
    public var drift: DriftSummary?
    public var findings: [Finding]
    /// Per PVE reading, where its storage points (nil when unknown).
    public var targets: [Target?]

    /// Applies every rule. Ages are measured on the secondary's own clock when it answered.
    /// `memo` (a console's): reuse drift and verify counts while the kept lists did not change.
    public static func evaluate(_ state: PairState, policy: HealthPolicy, memo: RuleMemo? = nil) -> HealthReport {
        let consoleNow = Int64(clamping: state.observedAt)
        let secondaryNow = state.secondary.time?.time ?? consoleNow
        var findings = NodeRules.evaluate(state.primary, policy: policy) + NodeRules.evaluate(state.secondary, policy: policy)
        // A node whose read has gone on for ten seconds (past the default timeout: it hangs):
        // its reading is the last answer, or none yet, and it says so. A big datastore may
        // take a few seconds to read; that is not a finding.
        for node in [state.primary, state.secondary] {
            guard let since = node.waitingSince, elapsed(consoleNow, since: Int64(clamping: since)) >= 10 else { continue }
            let waited = Durations.format(max(0, elapsed(consoleNow, since: Int64(clamping: since))))
            let shown = node.reachable ? "the figures are from its last answer" : "nothing has been read from it yet"
            findings.append(Finding(.warning, "node-no-answer", "\(node.role.rawValue) (\(node.host)) has not answered for \(waited); \(shown)",
                                    subject: "node:\(node.role.rawValue):wait"))
        }
        findings += NodeRules.skew(state.primary, state.secondary, policy: policy)
        findings += NodeRules.remote(state.secondary, primary: state.primary, policy: policy)
        let (sync, syncFindings) = SyncRules.evaluate(state.secondary, now: secondaryNow, policy: policy)
        let (verify, verifyFindings) = VerifyRules.evaluate(state.secondary, primary: state.primary, now: secondaryNow, policy: policy, memo: memo)
        let (drift, driftFindings) = DriftRules.evaluate(primary: state.primary, secondary: state.secondary,
                                                          lastSuccessStart: sync.lastSuccessStart, memo: memo)
        findings += syncFindings + verifyFindings + driftFindings
        let targets = state.pve.map { target(of: $0, policy: policy, addresses: state.addresses) }
        for (reading, target) in zip(state.pve, targets) {
            findings += pveFindings(reading, target: target)
        }
        findings = findings.deduplicated()
        let overall: HealthStatus = !state.primary.reachable && !state.secondary.reachable
            && state.primary.failure?.isUnreachable == true && state.secondary.failure?.isUnreachable == true
            ? .unknown : HealthStatus(worstOf: findings)
        return HealthReport(overall: overall, sync: sync, verify: verify, drift: drift, findings: findings, targets: targets)
    }

    /// Adds findings not read from the nodes (the drill findings); an unknown pair stays unknown.
    public mutating func add(_ more: [Finding]) {
        findings = (findings + more).deduplicated()
        if overall != .unknown { overall = HealthStatus(worstOf: findings) }
    }

    /// Which PBS a storage entry points at: the same datastore on a node reached the same
    /// way (host or one of its addresses, and port, as in pbsha.toml), or holding the node's
    /// pinned fingerprint, since storage.cfg often names by IP a node pbsha.toml names by DNS.
    static func target(of reading: PVEReading, policy: HealthPolicy, addresses: [String: Set<String>] = [:]) -> Target? {
        guard let storage = reading.storage, let server = storage.server else { return nil }
        let port = storage.port ?? 8007
        let pinned = storage.fingerprint.flatMap(Fingerprint.init)
        let serverAddresses = addresses[server] ?? []
        func matches(_ host: String, _ hostPort: Int, _ datastore: String, _ fingerprint: Fingerprint?) -> Bool {
            guard storage.datastore == datastore else { return false }
            let sameHost = unbracketed(server) == host || !serverAddresses.isDisjoint(with: addresses[host] ?? [])
            return (sameHost && port == hostPort) || (pinned != nil && pinned == fingerprint)
        }
        if matches(policy.primaryHost, policy.primaryPort, policy.primaryDatastore, policy.primaryFingerprint) { return .primary }
        if matches(policy.secondaryHost, policy.secondaryPort, policy.secondaryDatastore, policy.secondaryFingerprint) { return .secondary }
        return .other
    }

    /// storage.cfg may write an IPv6 server in brackets; pbsha.toml's host is kept without.
    private static func unbracketed(_ server: String) -> String {
        server.hasPrefix("[") && server.hasSuffix("]") ? String(server.dropFirst().dropLast()) : server
    }

    private static func pveFindings(_ reading: PVEReading, target: Target?) -> [Finding] {
        let subject = "pve:\(reading.name)"
        if let failure = reading.failure {
            return [Finding(.warning, "pve-unreachable", "PVE \(reading.name) (\(reading.host)) cannot be read: \(failure)", subject: subject)]
        }
        guard reading.storage != nil else {
            return [Finding(.warning, "pve-storage-missing", "PVE \(reading.name) has no pbs: storage '\(reading.storageID)'", subject: subject)]
        }
        if target == .other {
            return [Finding(.warning, "pve-target-other",
                "PVE \(reading.name)'s storage '\(reading.storageID)' points at neither PBS of the pair (\(reading.storage?.server ?? "?"))",
                subject: subject)]
        }
        return []
    }
}
