import Foundation
import ProxmoxAPI

/// The `pbsha status` text form: fits 80 columns, reads top-down at a glance.
public enum StatusText {
    public static func render(_ state: PairState, _ report: HealthReport, config: PairConfig, width: Int = 80) -> String {
        var lines: [String] = []
        let title = "pbsha \(config.name)"
        let right = "\(Timestamps.rfc3339(Int64(clamping: state.observedAt)))  \(report.overall.rawValue.uppercased())"
        lines.append(title + String(repeating: " ", count: max(1, width - title.count - right.count)) + right)
        lines.append(String(repeating: "-", count: width))
        for node in [state.primary, state.secondary] {
            lines += nodeLines(node)
        }
        lines.append(syncLine(report.sync, rpo: config.rpoSeconds))
        lines += verifyLines(report.verify)
        if let drift = report.drift {
            lines.append("DRIFT      \(drift.missingOnSecondary) missing on secondary (\(drift.missedBySync) missed by sync), "
                         + "\(drift.onlyOnSecondary) only on secondary")
        } else {
            lines.append("DRIFT      unknown (snapshot lists unavailable)")
        }
        for (reading, target) in zip(state.pve, report.targets) {
            let destination = reading.failure == nil ? "-> \(target?.rawValue ?? "?") (\(reading.storage?.server ?? "no entry"))" : "unreachable"
            lines.append("PVE        \(reading.name): \(reading.storageID) \(destination)")
        }
        lines.append(String(repeating: "-", count: width))
        if report.findings.isEmpty {
            lines.append("No findings.")
        } else {
            for finding in report.findings {
                lines += wrap("\(finding.severity.rawValue.uppercased()) \(finding.code): \(finding.message)", width: width, indent: 2)
            }
        }
        return lines.map { String($0.prefix(width)) }.joined(separator: "\n")
    }

    static func nodeLines(_ node: NodeReading) -> [String] {
        let label = node.role.rawValue.uppercased().padding(toLength: 10, withPad: " ", startingAt: 0) + " "
        guard node.reachable else {
            return wrap(label + "DOWN  \(node.failure.map(String.init(describing:)) ?? "no answer")", width: 80, indent: 11)
        }
        var first = label + "up \(node.latencyMs.map { "\(Int($0.rounded())) ms" } ?? "")  PBS \(node.version?.display ?? "?")  \(node.host)"
        if let skew = node.clockSkew, abs(skew) > 5 { first += "  clock \(skew > 0 ? "+" : "")\(skew)s" }
        var second = String(repeating: " ", count: 11) + "datastore \(node.datastoreName)"
        if let status = node.status, status.total > 0 {
            second += "  \(Bytes.format(status.used)) of \(Bytes.format(status.total)) (\(Int(clamping: Double(status.used) * 100 / Double(status.total))) %)"
        }
        if let counts = node.status?.counts { second += "  \(counts.groups) groups, \(counts.snapshots) snapshots" }
        if let mode = MaintenanceMode(node.datastore?.maintenance) { second += "  MAINTENANCE \(mode.type)" }
        return [first, second]
    }

    static func syncLine(_ sync: SyncSummary, rpo: Int) -> String {
        guard sync.status != .unknown || sync.lastRunState != nil else { return "SYNC       \(sync.job): unknown (secondary not read)" }
        let age = sync.ageSeconds.map { "last ok \(Durations.format($0)) ago" } ?? "no successful run"
        let next = sync.nextRun.map { "next \(Timestamps.rfc3339($0).dropFirst(11).prefix(5))" } ?? "no schedule"
        return "SYNC       \(sync.job) \(age) (RPO \(Durations.format(rpo))), \(next), failures \(sync.consecutiveFailures)  \(sync.status.rawValue.uppercased())"
    }

    static func verifyLines(_ verify: VerifySummary) -> [String] {
        guard verify.status != .unknown || verify.snapshotsOK != nil else { return ["VERIFY     \(verify.datastore): unknown"] }
        let age = verify.ageSeconds.map { "last ok \(Durations.format($0)) ago" } ?? "never ok"
        return ["VERIFY     \(verify.datastore) \(age), \(verify.snapshotsOK ?? 0) ok, \(verify.snapshotsFailed ?? 0) failed, "
                    + "\(verify.snapshotsUnverified ?? 0) unverified  \(verify.status.rawValue.uppercased())",
                "           verified upstream only: \(verify.snapshotsVerifiedUpstreamOnly ?? 0) (ok on the primary, not checked here)"]
    }

    /// Word-wraps `text` to `width`, continuation lines indented.
    public static func wrap(_ text: String, width: Int, indent: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            let candidate = current.isEmpty ? String(word) : current + " " + word
            if candidate.count > width, !current.isEmpty {
                lines.append(current)
                current = String(repeating: " ", count: indent) + word
            } else {
                current = candidate
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}
