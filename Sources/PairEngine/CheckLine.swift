import Foundation

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
