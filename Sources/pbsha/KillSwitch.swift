import ArgumentParser
import Foundation
import PairEngine

/// The journal as `pbsha failover` writes it, with a kill switch for the kill tests:
/// `PBSHA_KILL_AFTER=KIND@STEP` (e.g. `intent@2`) makes the process SIGKILL itself right
/// after the first event of that kind in that step is committed, which is where a real
/// crash, OOM kill or lost SSH session would leave the journal. Unset, it only passes on.
struct KillSwitchStore: EventStore {
    let inner: Journal
    let trigger: (kind: JournalEvent.Kind, step: Int)?

    init(_ inner: Journal, setting: String?) throws {
        self.inner = inner
        guard let setting else { trigger = nil; return }
        let parts = setting.split(separator: "@").map(String.init)
        guard parts.count == 2, let kind = JournalEvent.Kind(rawValue: parts[0]), let step = Int(parts[1]) else {
            throw ValidationError("PBSHA_KILL_AFTER takes KIND@STEP, e.g. intent@2 (kinds: \(JournalEvent.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        trigger = (kind, step)
    }

    func append(_ events: [JournalEvent], check: (@Sendable ([JournalEvent]) throws(JournalError) -> Void)?) throws(JournalError) -> [JournalEvent] {
        let written = try inner.append(events, check: check)
        if let trigger, written.contains(where: { $0.kind == trigger.kind && $0.step == trigger.step }) { kill(getpid(), SIGKILL) }
        return written
    }

    func events(run: String?) throws(JournalError) -> [JournalEvent] { try inner.events(run: run) }
    func events(after sequence: Int64) throws(JournalError) -> [JournalEvent] { try inner.events(after: sequence) }
    func changeStamp() -> JournalStamp? { inner.changeStamp() }
}
