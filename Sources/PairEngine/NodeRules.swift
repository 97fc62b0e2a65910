import Foundation
import ProxmoxAPI

/// Rules about each node on its own: reachability, access, datastore, maintenance, clocks.
enum NodeRules {
    static func evaluate(_ node: NodeReading, policy: HealthPolicy) -> [Finding] {
        let role = node.role.rawValue
        let subject = "node:\(role)"
        if let failure = node.failure {
            switch failure {
            case .unauthorized, .forbidden:
                return [Finding(.critical, "auth-failed", "\(role) (\(node.host)) refused pbsha's token: \(failure)", subject: subject)]
            case .fingerprintMismatch:
                return [Finding(.critical, "fingerprint-mismatch", "\(role): \(failure)", subject: subject)]
            default:
                let impact = node.role == .primary ? "backups from PVE fail and the secondary cannot sync" : "no copies are being made"
                return [Finding(.critical, "node-unreachable", "\(role) (\(node.host)) is unreachable, \(impact): \(failure)", subject: subject)]
            }
        }
        var findings: [Finding] = []
        for (call, problem) in node.problems.sorted(by: { $0.key < $1.key }) {
            if case .forbidden = problem {
                let privilege = problem.missingPrivilege.map { " (needs \($0))" } ?? ""
                findings.append(Finding(.warning, "permission-denied",
                    "\(role): cannot read \(call)\(privilege): \(problem)", subject: "\(subject):\(call)"))
            } else {
                findings.append(Finding(.warning, "read-failed", "\(role): reading \(call) failed: \(problem)", subject: "\(subject):\(call)"))
            }
        }
        if !node.datastoreListed {
            findings.append(Finding(.critical, "datastore-missing",
                "\(role) has no datastore '\(node.datastoreName)' (or the token cannot see it)", subject: subject))
        }
        if let mode = MaintenanceMode(node.datastore?.maintenance) {
            let severity: Severity = node.role == .primary ? .critical : .warning
            let impact = node.role == .primary ? "backups are refused" : "sync cannot write"
            findings.append(Finding(severity, "maintenance-mode",
                "\(role) datastore '\(node.datastoreName)' is in \(mode.type) maintenance mode, \(impact)\(mode.message.map { ": \($0)" } ?? "")",
                subject: subject))
        }
        if let status = node.status, status.total > 0 {
            let used = Double(status.used) / Double(status.total)
            if used >= policy.usageWarning {
                findings.append(Finding(used >= policy.usageCritical ? .critical : .warning, "datastore-full",
                    "\(role) datastore '\(node.datastoreName)' is \(Int(used * 100)) % full (\(Bytes.format(status.avail)) free)", subject: subject))
            }
        }
        if let skew = node.clockSkew, abs(skew) > policy.consoleSkewSeconds {
            findings.append(Finding(.info, "console-clock-skew",
                "\(role)'s clock is \(Durations.format(abs(skew))) \(skew > 0 ? "ahead of" : "behind") this console's; ages use the node's clock",
                subject: subject))
        }
        return findings
    }

    /// The two nodes' clocks must agree, or snapshot times and ages mislead.
    static func skew(_ primary: NodeReading, _ secondary: NodeReading, policy: HealthPolicy) -> [Finding] {
        guard let skewA = primary.clockSkew, let skewB = secondary.clockSkew else { return [] }
        let difference = skewA - skewB
        guard abs(difference) > policy.nodeSkewSeconds else { return [] }
        return [Finding(.warning, "clock-skew",
            "the nodes' clocks differ by \(Durations.format(abs(difference))) (primary \(difference > 0 ? "ahead" : "behind")); check NTP on both",
            subject: "clock")]
    }

    /// The secondary's Remote must pin the certificate the primary really presents.
    static func remote(_ secondary: NodeReading, primary: NodeReading, policy: HealthPolicy) -> [Finding] {
        // The primary presents a certificate nobody pinned yet (a renewal): the secondary's
        // remote, pinned to the old one, fails every sync, and says only "certificate verify failed".
        if case let .fingerprintMismatch(_, old, presented) = primary.failure, let remote = secondary.remote,
           remote.fingerprint.flatMap(Fingerprint.init) != presented {
            return [Finding(.critical, "remote-fingerprint-stale",
                "the primary presents a new certificate \(presented) (pinned: \(old)); the secondary's remote '\(remote.name)' "
                + "pins \(remote.fingerprint ?? "nothing"), so every sync fails. If the renewal was intended (check with "
                + "`proxmox-backup-manager cert info` on the primary), run on the secondary `proxmox-backup-manager remote update "
                + "\(remote.name) --fingerprint \(presented)` and put the new value in pbsha's config",
                subject: "remote")]
        }
        guard secondary.reachable else { return [] }
        guard let remote = secondary.remote else {
            if secondary.problems["remotes"] == nil, secondary.syncJob != nil {
                return [Finding(.warning, "remote-missing", "the secondary has no remote '\(policy.remote)'", subject: "remote")]
            }
            return []
        }
        guard let expected = policy.primaryFingerprint, let pinned = remote.fingerprint.flatMap(Fingerprint.init), pinned != expected else { return [] }
        return [Finding(.critical, "remote-fingerprint-mismatch",
            "the secondary's remote '\(remote.name)' pins \(pinned) but the primary presents \(expected); every sync will fail until the remote is updated",
            subject: "remote")]
    }
}
