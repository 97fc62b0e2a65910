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

/// The one line `pbsha check` prints: Nagios status text, then perfdata after `|`.
public enum CheckLine {
    public static func render(_ report: HealthReport, config: PairConfig) -> String {
        let status = report.overall.rawValue.uppercased()
        let serious = report.findings.filter { $0.severity > .info }
        var text: String
        if let worst = serious.first {
            text = "\(worst.code): \(worst.message)"
            if serious.count > 1 { text += " (+\(serious.count - 1) more)" }
        } else {
            let age = report.sync.ageSeconds.map { "last sync \(Durations.format($0)) ago" } ?? "sync age unknown"
            text = "\(age) (RPO \(Durations.format(config.rpoSeconds))), verify \(report.verify.status.rawValue)"
        }
        text = text.replacingOccurrences(of: "|", with: "/").replacingOccurrences(of: "\n", with: " ")
        // Nagios thresholds alert when a value is *above* them; the rules alert *at* their
        // limits (age >= 75 % of the RPO, one failure, one failed snapshot), so each threshold
        // is the last value that is still fine, and a graph agrees with the verdict.
        let policy = HealthPolicy(config)
        let rpo = config.rpoSeconds
        let warnAge = Int((Double(rpo) * policy.rpoWarningFraction).rounded(.up)) - 1
        var perf = [String]()
        if let age = report.sync.ageSeconds { perf.append("sync_age=\(age)s;\(warnAge);\(rpo - 1);0") }
        perf.append("consecutive_failures=\(report.sync.consecutiveFailures);0;2;0")
        if let age = report.verify.ageSeconds { perf.append("verify_age=\(age)s;\(config.verifyMaxAgeSeconds);;0") }
        if let failed = report.verify.snapshotsFailed { perf.append("verify_failed=\(failed);;0;0") }
        if let drift = report.drift { perf.append("missing_on_secondary=\(drift.missingOnSecondary);;;0") }
        return "PBSHA \(status) - \(text) | \(perf.joined(separator: " "))"
    }
}
