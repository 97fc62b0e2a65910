import ProxmoxAPI

/// Snapshot times are the nodes' clocks, not this machine's (which may differ, and in the
/// lab runs at another speed), so the times failback compares against are the secondary's
/// own, journaled as a verification result of the step that read them.
enum NodeClock {
    static let name = "secondary clock"

    /// The secondary's time now, as a result to journal (it never fails a step).
    static func check(_ context: RunContext) async -> GateResult {
        do {
            let now = try await context.reader(.secondary).time().time
            return GateResult(name: name, passed: true, hard: true, message: Timestamps.rfc3339(now))
        } catch {
            return GateResult(name: name, passed: true, hard: true, message: "unknown (\(error))")
        }
    }

    /// The secondary's time a run journaled first, if it could read it.
    static func recorded(_ run: RunState) -> Int64? {
        run.steps.flatMap(\.checks).first { $0.name == "verify: \(name)" }.flatMap { Timestamps.parse($0.message) }
    }

    /// The secondary's time now, for a decision made at once.
    static func now(_ context: RunContext) async throws(StepFailure) -> Int64 {
        do { return try await context.reader(.secondary).time().time } catch {
            throw StepFailure("cannot read the secondary's clock: \(error)")
        }
    }
}
