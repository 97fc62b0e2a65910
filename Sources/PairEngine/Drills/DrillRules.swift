import Foundation
import Synchronization

/// When each runbook was last rehearsed, as findings: `drill-due` (never drilled: INFO;
/// the last drill older than `[drills] max-age`: WARNING) and `drill-stale` (the runbook
/// file changed since its last drill: INFO). A drill counts when the operator ran it to its
/// end (not a run pbsha made to set a drill's story).
public enum DrillRules {
    public static func evaluate(runs: [RunState], runbooks: [Runbook], maxAgeSeconds: Int, now: Int64) -> [Finding] {
        var findings: [Finding] = []
        for runbook in runbooks.sorted(by: { $0.kind < $1.kind }) {
            let subject = "runbook:\(runbook.kind)"
            guard let last = runs.last(where: { $0.drill != nil && !$0.setup && $0.runbook == runbook.kind && $0.state == .done }) else {
                findings.append(Finding(.info, "drill-due", "the \(runbook.kind) runbook was never rehearsed: `pbsha drill list` names the "
                                        + "\(runbook.kind) scenarios, `pbsha drill NAME --config FILE` runs one on the lab", subject: subject))
                continue
            }
            let drilled = last.finished ?? last.started
            let age = now - drilled
            if age > Int64(maxAgeSeconds) {
                findings.append(Finding(.warning, "drill-due", "the \(runbook.kind) runbook was last rehearsed \(Durations.format(Int(clamping: age))) ago "
                                        + "(\(last.drill ?? "?"), \(Timestamps.rfc3339(drilled))), more than [drills] max-age "
                                        + "\(Durations.format(maxAgeSeconds)): rehearse it with `pbsha drill NAME --config FILE`", subject: subject))
            }
            if let digest = last.runbookDigest, digest != runbook.digest {
                findings.append(Finding(.info, "drill-stale", "the \(runbook.kind) runbook (\(runbook.file)) changed since its last rehearsal "
                                        + "on \(Timestamps.rfc3339(drilled)): rehearse the new one", subject: subject))
            }
        }
        return findings
    }
}

/// Where a reader finds the rehearsal history: the journal and the runbooks in use. The
/// journal is opened once it exists (reading never creates one, and a console started
/// before the first run still sees it), and read at most once a minute (a wallboard
/// refreshes every few seconds for months; drill ages are counted in days).
public final class RehearsalLedger: Sendable {
    let journalPath: String
    let runbooks: [Runbook]
    let maxAgeSeconds: Int
    private let opened = Mutex<Journal?>(nil)
    private let kept = Mutex<(at: Int64, findings: [Finding])?>(nil)
    static let rereadSeconds: Int64 = 60

    public init(journalPath: String, runbooks: [Runbook], maxAgeSeconds: Int) {
        self.journalPath = journalPath
        self.runbooks = runbooks
        self.maxAgeSeconds = maxAgeSeconds
    }

    /// The drill findings at `now`; a journal that cannot be read says so.
    public func findings(now: Int64) -> [Finding] {
        if let kept = kept.withLock({ $0 }), now >= kept.at, now - kept.at < Self.rereadSeconds { return kept.findings }
        let findings: [Finding]
        do {
            let events = try journal()?.events(run: nil) ?? []
            findings = DrillRules.evaluate(runs: RunState.runs(from: events), runbooks: runbooks, maxAgeSeconds: maxAgeSeconds, now: now)
        } catch {
            findings = [Finding(.info, "drill-unknown", "cannot tell when the runbooks were last rehearsed: \(error)", subject: "journal")]
        }
        kept.withLock { $0 = (now, findings) }
        return findings
    }

    /// The journal, opened the first time it exists; nil before.
    private func journal() throws(JournalError) -> Journal? {
        if let journal = opened.withLock({ $0 }) { return journal }
        guard FileManager.default.fileExists(atPath: journalPath) else { return nil }
        let journal = try Journal(path: journalPath)
        opened.withLock { $0 = journal }
        return journal
    }
}
