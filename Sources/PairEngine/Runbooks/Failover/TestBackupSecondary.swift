import ProxmoxAPI

/// Failover step 3: each target's `test-vmid` backs up to the secondary with `remove=0` (so
/// the storage's prune settings cannot touch synced history); the PVE task is followed, the
/// snapshot must appear on the secondary, and the secondary verifies it.
public struct TestBackupSecondary: StepAction {
    /// How long a test backup and its verify may take, on the engine's clock.
    let patience: Double

    public init(patience: Double = 1800) { self.patience = patience }

    /// The storage a target backs up to after the retarget.
    static func storage(_ host: PVEHostConfig) -> String {
        host.method == .switchStorage ? host.failoverStorage ?? host.storage : host.storage
    }

    public func plan(_ context: RunContext, _ run: RunState, _ decisions: Decisions) async throws(StepFailure) -> [PlannedChange] {
        // A snapshot written and verified since the run began proves the same (and lets a
        // resumed run skip a test that finished before an interruption).
        let since = run.started
        var changes: [PlannedChange] = []
        for host in context.config.pve {
            guard let vmid = host.testVMID else { continue }
            let guest = try await self.guest(vmid, host, context)
            // A test snapshot from this run already verified on the secondary: nothing to do.
            if let snapshot = try await newest(guest, context), snapshot.backupTime >= since, snapshot.verification?.state == "ok" { continue }
            changes.append(PlannedChange(target: host.name, change: "test backup of \(vmid)",
                                         diff: "vzdump \(vmid) on \(guest.node) --storage \(Self.storage(host)) --remove 0, then verify it on the secondary"))
        }
        return changes
    }

    private func guest(_ vmid: Int, _ host: PVEHostConfig, _ context: RunContext) async throws(StepFailure) -> PVEGuest {
        do {
            guard let guest = try await context.pveReader(host).guests().first(where: { $0.vmid == vmid }) else {
                throw StepFailure("\(host.name): test-vmid \(vmid) is not among its guests; set test-vmid to a small guest that exists")
            }
            return guest
        } catch let failure as StepFailure { throw failure } catch {
            throw StepFailure("\(host.name): cannot list its guests: \(error)")
        }
    }

    private func newest(_ guest: PVEGuest, _ context: RunContext) async throws(StepFailure) -> SnapshotListItem? {
        let type = guest.type == "qemu" ? "vm" : "ct"
        do {
            return try await context.reader(.secondary).snapshots(context.node(.secondary).datastore)
                .filter { $0.backupType == type && $0.backupID == String(guest.vmid) }.max { $0.backupTime < $1.backupTime }
        } catch {
            throw StepFailure("cannot read the secondary's snapshots: \(error)")
        }
    }

    public func apply(_ change: PlannedChange, _ context: RunContext, _ run: RunState) async -> ApplyOutcome {
        guard let host = context.config.pve.first(where: { $0.name == change.target }), let vmid = host.testVMID else {
            return .failed("no [[pve]] \(change.target) with a test-vmid")
        }
        guard let client = context.pveOperator(host) else {
            return .needsOperator("\(host.name) has no operator token: run `vzdump \(vmid) --storage \(Self.storage(host)) --remove 0` on its node, then run pbsha failover again")
        }
        do {
            let guest = try await self.guest(vmid, host, context)
            let started = Int64(context.clock.now())
            guard case .task(let upid) = try await client.vzdump(node: guest.node, vmids: [vmid], storage: Self.storage(host), remove: false) else {
                return .failed("\(guest.node) answered that guest \(vmid) is not there; PVE's guest list may lag: run again")
            }
            let status = try await follow(context.clock) { try await client.taskStatus(node: guest.node, upid: upid) }
            guard status.exitstatus == "OK" else {
                let errors = (try? await client.taskLogLines(node: guest.node, upid: upid))?.map(\.t).filter { $0.contains("ERROR") } ?? []
                return .failed("vzdump ended \(status.exitstatus ?? "unknown"): \(errors.joined(separator: " | "))\(Self.hint(errors.joined()))")
            }
            guard let snapshot = try await newest(guest, context), snapshot.backupTime >= started - 5 else {
                return .failed("vzdump reported OK but no new snapshot of \(vmid) is on the secondary: is the entry pointing elsewhere?")
            }
            guard let operatorClient = context.operatorClient(.secondary) else {
                return .needsOperator("no [secondary] operator token to verify \(snapshot.backupType)/\(vmid): verify it in the secondary's GUI, then run pbsha failover again")
            }
            let store = context.node(.secondary).datastore
            let verify = try await operatorClient.verify(store: store, type: snapshot.backupType, id: snapshot.backupID, time: snapshot.backupTime,
                                                         ignoreVerified: false)
            let verified = try await follow(context.clock) { try await operatorClient.taskStatus(verify) }
            guard verified.exitstatus == "OK" else { return .failed("the secondary's verify of the test snapshot ended \(verified.exitstatus ?? "unknown")") }
            return .applied("\(snapshot.backupType)/\(vmid)/\(Timestamps.rfc3339(snapshot.backupTime)) on the secondary, verified")
        } catch let failure as StepFailure {
            return .failed(failure.message)
        } catch {
            return .failed("\(error)")
        }
    }

    /// Polls a task until it stops or patience runs out.
    private func follow(_ clock: any WallClock, _ read: () async throws -> TaskStatus) async throws -> TaskStatus {
        var waited = 0.0
        var status = try await read()
        while status.status == "running" && waited < patience {
            await clock.sleep(seconds: 2)
            waited += 2
            status = try await read()
        }
        guard status.status != "running" else { throw StepFailure("the task still runs after \(Int(patience)) s: follow it in the GUI, then run pbsha failover again") }
        return status
    }

    /// What a vzdump error usually means, and the fix.
    static func hint(_ errors: String) -> String {
        if errors.contains("owner check failed") {
            return " (the group belongs to another auth-id: step 1's change-owner did not cover it; give it to PVE's token on the secondary)"
        }
        if errors.contains("401") || errors.contains("authentication failed") { return " (the entry's token or secret is wrong: check pve-auth-id and pve-secret-file)" }
        if errors.contains("Can't connect") { return " (PVE cannot reach the secondary: check the firewall from the PVE node)" }
        return ""
    }

    public func verify(_ context: RunContext, _ run: RunState) async -> [GateResult] {
        var results: [GateResult] = []
        for host in context.config.pve {
            guard let vmid = host.testVMID else {
                results.append(GateResult(name: "\(host.name) test backup", passed: true, hard: false, message: "no test-vmid configured: skipped"))
                continue
            }
            let done = run.steps.contains { $0.applied("test backup of \(vmid)", on: host.name) }
            results.append(GateResult(name: "\(host.name) test backup of \(vmid)", passed: done, hard: true,
                                      message: done ? "landed on the secondary and verified" : "not done"))
        }
        return results
    }
}
