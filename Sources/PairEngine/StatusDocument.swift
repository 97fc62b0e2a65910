import ProxmoxAPI

/// `pbsha status --json` (design.md section 5).
public enum StatusDocument {
    public static func build(_ state: PairState, _ report: HealthReport, config: PairConfig) -> JSONValue {
        .object([
            ("generated-at", .time(Int64(clamping: state.observedAt))),
            ("pair", .object([("name", .string(config.name)), ("rpo-seconds", .int(config.rpoSeconds))])),
            ("overall", .string(report.overall.rawValue)),
            ("nodes", .object([("primary", node(state.primary, port: config.primary.port)),
                               ("secondary", node(state.secondary, port: config.secondary.port))])),
            ("sync", sync(report.sync)),
            ("verify", verify(report.verify)),
            ("drift", report.drift.map { .object([("missing-on-secondary", .int($0.missingOnSecondary)),
                                                  ("only-on-secondary", .int($0.onlyOnSecondary))]) } ?? .null),
            ("pve", .array(zip(state.pve, report.targets).map(pve))),
            ("findings", .array(report.findings.map { .object([("severity", .string($0.severity.rawValue)),
                                                               ("code", .string($0.code)), ("message", .string($0.message))]) })),
        ])
    }

    static func node(_ node: NodeReading, port: Int) -> JSONValue {
        let counts = node.status?.counts
        let maintenance = MaintenanceMode(node.datastore?.maintenance)
        let datastore: JSONValue = .object([
            ("name", .string(node.datastoreName)),
            ("total", .int(node.status?.total)), ("used", .int(node.status?.used)), ("avail", .int(node.status?.avail)),
            ("groups", .int(counts?.groups)), ("snapshots", .int(counts?.snapshots)),
            ("maintenance", .text(maintenance.map { $0.type })),
        ])
        return .object([
            ("host", .string(node.host)), ("port", .int(port)), ("reachable", .bool(node.reachable)),
            ("latency-ms", node.latencyMs.map { .number($0) } ?? .null),
            ("version", .text(node.version?.display)),
            ("error", .text(node.failure.map(String.init(describing:)))),
            ("clock-skew-seconds", .int(node.clockSkew)),
            ("datastore", datastore),
        ])
    }

    static func sync(_ sync: SyncSummary) -> JSONValue {
        .object([
            ("job", .string(sync.job)), ("schedule", .text(sync.schedule)),
            ("last-run-state", .text(sync.lastRunState?.rawValue)),
            ("last-run-end", .time(sync.lastRunEnd)), ("last-success-end", .time(sync.lastSuccessEnd)),
            ("age-seconds", .int(sync.ageSeconds)), ("next-run", .time(sync.nextRun)),
            ("consecutive-failures", .int(sync.consecutiveFailures)),
            ("last-error", .text(sync.lastError)),
            ("status", .string(sync.status.rawValue)),
        ])
    }

    static func verify(_ verify: VerifySummary) -> JSONValue {
        .object([
            ("datastore", .string(verify.datastore)), ("last-run-end", .time(verify.lastRunEnd)),
            ("last-run-state", .text(verify.lastRunState)),
            ("snapshots-ok", .int(verify.snapshotsOK)), ("snapshots-failed", .int(verify.snapshotsFailed)),
            ("snapshots-unverified", .int(verify.snapshotsUnverified)),
            ("snapshots-verified-upstream-only", .int(verify.snapshotsVerifiedUpstreamOnly)),
            ("age-seconds", .int(verify.ageSeconds)), ("status", .string(verify.status.rawValue)),
        ])
    }

    static func pve(_ reading: PVEReading, _ target: Target?) -> JSONValue {
        .object([
            ("name", .string(reading.name)), ("reachable", .bool(reading.reachable)),
            ("storage", .string(reading.storageID)), ("server", .text(reading.storage?.server)),
            ("datastore", .text(reading.storage?.datastore)), ("points-at", .text(target?.rawValue)),
            ("error", .text(reading.failure.map(String.init(describing:)))),
        ])
    }
}
