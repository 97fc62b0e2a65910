import ProxmoxAPI

/// Failback step 2: the reverse sync runs until the primary holds every snapshot the
/// secondary took since the failover (per group: newer than the primary's newest from
/// before it). Snapshots only the primary holds are listed and kept.
public struct CatchUp: StepAction {
    let patience: Double

    public init(patience: Double = 6 * 3600) { self.patience = patience }

    public func plan(_ context: RunContext, _ run: RunState, _ decisions: Decisions) async throws(StepFailure) -> [PlannedChange] {
        let facts = try await FailbackFacts.read(context)
        // Once caught up, the moment it held is journaled: the gates count up to it.
        guard facts.missingCount > 0 || FailbackFacts.cutoff(run) == nil else { return [] }
        var diff = facts.missingCount > 0 ? facts.progress : "nothing missing now; one more run to be sure"
        if !facts.primaryOnly.isEmpty {
            diff += "\nonly on the primary (kept): " + facts.primaryOnly.map(FailbackFacts.name).joined(separator: ", ")
        }
        return [PlannedChange(target: "primary", change: "pull the failover-era snapshots", diff: diff)]
    }

    public func apply(_ change: PlannedChange, _ context: RunContext, _ run: RunState) async -> ApplyOutcome {
        await Self.pullUntilCaughtUp(context, patience: patience)
    }

    /// Runs the reverse sync until the primary holds every failover-era snapshot taken by the
    /// secondary's clock before the run began (backups may still land there meanwhile):
    /// `caught up after N run(s), up to TIME`, TIME on the secondary's clock.
    static func pullUntilCaughtUp(_ context: RunContext, patience: Double, attempts: Int = 5) async -> ApplyOutcome {
        guard let client = context.operatorClient(.primary) else { return .failed("no [primary] operator token") }
        do {
            var left = ""
            for attempt in 1...attempts {
                let startedAt = try await NodeClock.now(context)
                let upid = try await client.runSyncJob(ReverseSync.name)
                let status = try await PBSTask.follow(client, upid, on: .primary, "catch-up sync", context, patience: patience)
                guard status.exitstatus == "OK" || status.exitstatus?.hasPrefix("WARNINGS") == true else {
                    return .failed("the reverse sync ended \(status.exitstatus ?? "unknown"): \(await PBSTask.problems(client, upid)); the PVE targets stay on the secondary")
                }
                let facts = try await FailbackFacts.read(context, upTo: startedAt)
                if facts.missingCount == 0 { return .applied("caught up after \(attempt) run(s), up to \(Timestamps.rfc3339(startedAt))") }
                left = facts.progress
            }
            return .failed("still missing after \(attempts) reverse sync runs that ended OK:\n\(left)")
        } catch let failure as StepFailure {
            return .failed(failure.message)
        } catch {
            return .failed("\(error)")
        }
    }

    public func verify(_ context: RunContext, _ run: RunState) async -> [GateResult] {
        do {
            // Backups still land on the secondary meanwhile: what came later is the primary's
            // verify step's and, after the retarget, the last catch-up's.
            let facts = try await FailbackFacts.read(context, upTo: FailbackFacts.cutoff(run))
            var results = [GateResult(name: "caught up", passed: facts.missingCount == 0, hard: true,
                                      message: facts.missingCount == 0 ? "the primary holds all \(facts.pulled.count) failover-era snapshot(s)" : facts.progress)]
            if !facts.primaryOnly.isEmpty {
                results.append(GateResult(name: "kept: only on the primary", passed: true, hard: false,
                                          message: facts.primaryOnly.map(FailbackFacts.name).joined(separator: ", ")))
            }
            return results
        } catch {
            return [GateResult(name: "caught up", passed: false, hard: true, message: error.message)]
        }
    }
}
