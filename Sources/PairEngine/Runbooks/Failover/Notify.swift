import Foundation
import ProxmoxAPI

/// Failover step 4: a message built from the run's facts, always shown for copying (it is
/// the change's diff) and posted as JSON `{"text": …}` to `[notify]`'s webhook when one is
/// configured: pinned by `webhook-fingerprint`, else verified against the system's CA store
/// (the transport `RunContext.webhooks` decides).
public struct Notify: StepAction {
    public init() {}

    public func plan(_ context: RunContext, _ run: RunState, _ decisions: Decisions) async throws(StepFailure) -> [PlannedChange] {
        guard !run.steps.contains(where: { step in step.applied.contains { $0.change == "notify" && $0.result != "failed" } }) else { return [] }
        return [PlannedChange(target: context.config.notify == nil ? "message" : "webhook", change: "notify", diff: Self.message(context, run), readable: false)]
    }

    /// Who, when, what moved, the last good sync before the outage, what may be at risk.
    static func message(_ context: RunContext, _ run: RunState) -> String {
        let moved = run.steps.flatMap(\.applied).filter { $0.result != "failed" && ($0.change.hasPrefix("rewrite") || $0.change.hasPrefix("move")) }
        let targets = Set(moved.map(\.target)).sorted()
        let checks = run.steps.flatMap(\.checks)
        func said(_ name: String) -> String? { checks.last { $0.name == name }?.message }
        // In a failback (a user's runbook may notify there too) the targets went home.
        let to: NodeRole = run.runbook == "failback" ? .primary : .secondary
        var lines = ["[\(context.config.name)] \(run.runbook.uppercased()) by \(run.startedBy), started \(Timestamps.rfc3339(run.started)):",
                     "PVE targets now backing up to the \(to.rawValue) (\(context.node(to).host)): \(targets.isEmpty ? "none changed" : targets.joined(separator: ", "))."]
        if let sync = said("sync-within-rpo") { lines.append("Sync before the outage: \(sync).") }
        if let missed = said("nothing-missed") { lines.append("At risk: \(missed).") }
        lines.append("Run \(run.id); report: pbsha report \(run.id)")
        return lines.joined(separator: "\n")
    }

    public func apply(_ change: PlannedChange, _ context: RunContext, _ run: RunState) async -> ApplyOutcome {
        guard let notify = context.config.notify else { return .applied("shown for copying; no [notify] webhook configured") }
        guard let url = URL(string: notify.webhookURL), let host = url.host, url.scheme == "https" else {
            return .failed("the webhook URL is not an https URL; fix the first line of webhook-file")
        }
        let body = (try? JSONSerialization.data(withJSONObject: ["text": change.diff ?? ""])) ?? Data()
        let path = url.path.isEmpty ? "/" : url.path + (url.query.map { "?" + $0 } ?? "")
        do {
            let answer = try await context.webhooks.send(HTTPRequest(method: "POST", path: path, headers: [("Content-Type", "application/json")], body: Array(body)),
                                                       to: Endpoint(host: host, port: url.port ?? 443, fingerprint: notify.webhookFingerprint ?? Self.unpinned))
            // The URL carries a secret: it is never part of a message.
            return (200..<300).contains(answer.status) ? .applied("posted to the webhook (\(answer.status))")
                : .failed("the webhook answered \(answer.status); the message is shown for copying")
        } catch {
            return .failed("cannot post to the webhook: \(error); the message is shown for copying")
        }
    }

    /// Stands in for the fingerprint of an unpinned webhook; a CA-verifying transport ignores it.
    static let unpinned = Fingerprint(sha256OfDER: [])

    public func verify(_ context: RunContext, _ run: RunState) async -> [GateResult] {
        let sent = run.steps.contains { step in step.applied.contains { $0.change == "notify" && $0.result != "failed" } }
        return [GateResult(name: "message delivered or shown", passed: sent, hard: true, message: sent ? "done" : "not done")]
    }
}

/// Failover step 5: the reference of the ticket for repairing the primary; the step (and the
/// run) stays open until it is given.
public struct RecoveryTicket: StepAction {
    public init() {}

    static func ticket(_ run: RunState) -> String? {
        run.steps.flatMap(\.applied).last { $0.change.hasPrefix("recovery ticket ") }.map { String($0.change.dropFirst("recovery ticket ".count)) }
    }

    public func plan(_ context: RunContext, _ run: RunState, _ decisions: Decisions) async throws(StepFailure) -> [PlannedChange] {
        guard Self.ticket(run) == nil, let ticket = decisions.ticket?.trimmed, !ticket.isEmpty else { return [] }
        return [PlannedChange(target: "run", change: "recovery ticket \(ticket)")]
    }

    public func apply(_ change: PlannedChange, _ context: RunContext, _ run: RunState) async -> ApplyOutcome { .applied("recorded") }

    public func waitingFor(_ run: RunState, step: Int, _ decisions: Decisions) -> String? {
        Self.ticket(run) == nil && (decisions.ticket ?? "").trimmed.isEmpty
            ? "the primary's recovery ticket reference: pass --ticket REF (or type it in the console)" : nil
    }

    public func verify(_ context: RunContext, _ run: RunState) async -> [GateResult] {
        let ticket = Self.ticket(run)
        return [GateResult(name: "recovery ticket", passed: ticket != nil, hard: true, message: ticket ?? "none given")]
    }
}

/// A checklist item the operator confirms (`action = "manual"` in a runbook file).
public struct ManualStep: StepAction {
    public init() {}

    public func plan(_ context: RunContext, _ run: RunState, _ decisions: Decisions) async throws(StepFailure) -> [PlannedChange] {
        [PlannedChange(target: "operator", change: "checklist item done")]
    }

    public func apply(_ change: PlannedChange, _ context: RunContext, _ run: RunState) async -> ApplyOutcome { .applied("confirmed by the operator") }

    public func verify(_ context: RunContext, _ run: RunState) async -> [GateResult] { [] }
}

/// The failover runbook's actions by name.
public enum FailoverActions {
    public static func all(patience: Double = 1800) -> [String: any StepAction] {
        ["prepare-secondary": PrepareSecondary(), "retarget-to-secondary": Retarget(to: .secondary),
         "test-backup-secondary": TestBackupSecondary(patience: patience), "notify": Notify(), "recovery-ticket": RecoveryTicket(),
         "manual": ManualStep()]
    }
}
