import ProxmoxAPI

/// Failback step 3: the pulled snapshots carry the secondary's verify state (pull copies the
/// manifest), so a verify job that skips verified snapshots would never read them. Each is
/// verified on the primary with `ignore-verified=false`; the step holds when each one's
/// verification names a task this run started, with state ok. Verifying takes time while
/// backups still land on the secondary, so the step pulls again and verifies what came,
/// until a pull brings nothing new: the gates before the retarget count up to that moment.
public struct VerifyPrimary: StepAction {
    let patience: Double

    public init(patience: Double = 6 * 3600) { self.patience = patience }

    static let suffix = " on the primary"

    /// The verify tasks this run started and that ended OK: the UPIDs this step and the last
    /// catch-up list in their messages.
    static func ours(_ run: RunState) -> Set<String> {
        let messages = run.steps.flatMap(\.applied).filter { $0.result == "ok" && ($0.change == change || $0.change == RetireReverseSync.lastCatchUp) }
            .compactMap(\.message)
        return Set(messages.flatMap { $0.split(separator: " ").map(String.init) }.filter { $0.hasPrefix("UPID:") })
    }

    static let change = "verify the pulled snapshots on the primary"

    /// Pulled snapshots without a verification by one of this run's tasks.
    static func unverified(_ facts: FailbackFacts, _ run: RunState) throws(StepFailure) -> [SnapshotListItem] {
        let ours = ours(run)
        if let broken = facts.pulled.first(where: { $0.verification.map { ours.contains($0.upid) && $0.state != "ok" } ?? false }) {
            throw StepFailure("\(FailbackFacts.name(broken)) failed its verify on the primary (\(broken.verification?.upid ?? "")): "
                + "its copy is damaged; the copy on the secondary stays authoritative: keep the targets on the secondary and inspect it")
        }
        return facts.pulled.filter { snapshot in !(snapshot.verification.map { ours.contains($0.upid) && $0.state == "ok" } ?? false) }
    }

    public func plan(_ context: RunContext, _ run: RunState, _ decisions: Decisions) async throws(StepFailure) -> [PlannedChange] {
        let facts = try await FailbackFacts.read(context)
        let unverified = try Self.unverified(facts, run)
        guard !unverified.isEmpty || facts.missingCount > 0 || FailbackFacts.cutoff(run) == nil else { return [] }
        return [PlannedChange(target: "primary", change: Self.change,
                              diff: "verify each pulled failover-era snapshot with ignore-verified=false (pulled and not yet verified by this run: "
                                  + "\(unverified.count); still to pull: \(facts.missingCount)); pull again and verify what came, until nothing new")]
    }

    public func apply(_ change: PlannedChange, _ context: RunContext, _ run: RunState) async -> ApplyOutcome {
        guard let client = context.operatorClient(.primary) else { return .failed("no [primary] operator token") }
        var upids: [String] = []
        var done = Self.ours(run)
        do {
            for _ in 1...5 {
                // Pull only when something new landed: each pull copies the newest snapshot of
                // every group again, manifest (and verify state) included, undoing its verify.
                var cutoff = try await NodeClock.now(context)
                if try await FailbackFacts.read(context, upTo: cutoff).missingCount > 0 {
                    let pulled = await CatchUp.pullUntilCaughtUp(context, patience: patience)
                    guard case .applied(let message) = pulled, let caughtUp = FailbackFacts.cutoff(message) else { return pulled }
                    cutoff = caughtUp
                }
                let facts = try await FailbackFacts.read(context, upTo: cutoff)
                let left = facts.pulled.filter { snapshot in !(snapshot.verification.map { done.contains($0.upid) && $0.state == "ok" } ?? false) }
                if left.isEmpty, facts.missingCount == 0 {
                    return .applied("up to \(Timestamps.rfc3339(cutoff)); verified \(upids.count): \(upids.joined(separator: " "))")
                }
                let (verified, failure) = try await Self.verifyAll(left.map(FailbackFacts.name), client, context, patience: patience)
                upids += verified
                done.formUnion(verified)
                if let failure { return failure }
            }
            return .failed("backups keep landing on the secondary faster than the primary verifies them; run pbsha failback again")
        } catch let failure as StepFailure {
            return .failed(failure.message)
        } catch {
            return .failed("\(error)")
        }
    }

    /// How many verify tasks run on the primary at once: enough to finish in minutes, few
    /// enough to leave its disks to the backups.
    static let parallel = 4

    /// Verifies snapshots (`type/id/time`) on the primary, `parallel` tasks at a time, and
    /// follows them: the UPIDs of those that ended OK, and the first failure, if any (no
    /// new task starts after one).
    static func verifyAll(_ names: [String], _ client: PBSClient, _ context: RunContext, patience: Double) async throws -> (upids: [String], failure: ApplyOutcome?) {
        let store = context.node(.primary).datastore
        if let missing = try await PrivilegeCheck.missing([("Datastore.Verify", "/datastore/\(store)")], client) {
            return ([], .needsOperator("the primary's operator token lacks \(missing): verify \(names.first ?? "the pulled snapshots") and the rest in the primary's GUI "
                + "(Datastore \(store) > Content > Verify), then run pbsha failback again"))
        }
        var queue = names[...]
        var running: [(name: String, upid: String)] = []
        var upids: [String] = []
        var failure: ApplyOutcome?
        var (interval, waited) = (0.5, 0.0)
        while failure == nil && !queue.isEmpty || !running.isEmpty {
            while failure == nil, running.count < parallel, let name = queue.popFirst() {
                let parts = name.split(separator: "/", maxSplits: 2).map(String.init)
                guard parts.count == 3, let time = Timestamps.parse(parts[2]) else { return (upids, .failed("cannot read the snapshot name \(name)")) }
                let upid = try await client.verify(store: store, type: parts[0], id: parts[1], time: time, ignoreVerified: false)
                context.taskStarted(TaskRef(.pbs(.primary), upid: upid, label: "verify \(name)"))
                running.append((name, upid))
            }
            await context.clock.sleep(seconds: interval)
            waited += interval
            var still: [(name: String, upid: String)] = []
            for task in running {
                let status = try await client.taskStatus(task.upid)
                if status.status == "running" { still.append(task); continue }
                if status.exitstatus == "OK" { upids.append(task.upid) } else if failure == nil {
                    failure = .failed("the verify of \(task.name) ended \(status.exitstatus ?? "unknown") (\(task.upid))")
                }
            }
            interval = still.count < running.count ? 0.5 : min(interval * 2, 5)
            running = still
            if waited > patience, !running.isEmpty {
                throw StepFailure("verify tasks still run after \(Int(patience)) s: follow them in the GUI, then run pbsha failback again")
            }
        }
        return (upids, failure)
    }

    public func verify(_ context: RunContext, _ run: RunState) async -> [GateResult] {
        do {
            let facts = try await FailbackFacts.read(context, upTo: FailbackFacts.cutoff(run))
            let left = try Self.unverified(facts, run)
            return [GateResult(name: "pulled snapshots verified by the primary", passed: left.isEmpty, hard: true,
                               message: left.isEmpty ? "\(facts.pulled.count) verified ok by this run's tasks"
                                   : "not verified by this run: " + left.map(FailbackFacts.name).joined(separator: ", "))]
        } catch {
            return [GateResult(name: "pulled snapshots verified by the primary", passed: false, hard: true, message: error.message)]
        }
    }
}
