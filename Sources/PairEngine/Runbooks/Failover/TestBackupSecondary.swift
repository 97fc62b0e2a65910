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
        var changes: [PlannedChange] = []
        for host in context.config.pve {
            guard let vmid = host.testVMID else { continue }
            let guest = try await self.guest(vmid, host, context)
            let since = try await Self.since(host, run, context)
            let detail = ["since": String(since)]
            // A snapshot written since the run began proves the backup (a resumed run does not
            // back up again); it only needs the secondary's verify, if it lacks one.
            let recent = try await snapshots(guest, context).filter { $0.backupTime >= since }
            if recent.contains(where: { $0.verification?.state == "ok" }) { continue }
            if let snapshot = recent.max(by: { $0.backupTime < $1.backupTime }) {
                changes.append(PlannedChange(target: host.name, change: "verify test snapshot of \(vmid)",
                                             diff: "verify \(snapshot.backupType)/\(vmid)/\(Timestamps.rfc3339(snapshot.backupTime)) on the secondary", detail: detail))
                continue
            }
            changes.append(PlannedChange(target: host.name, change: "test backup of \(vmid)",
                                         diff: "vzdump \(vmid) on \(guest.node) --storage \(Self.storage(host)) --remove 0, then verify it on the secondary",
                                         detail: detail))
        }
        return changes
    }

    /// The secondary's clock when this step first planned the target's test (snapshot times
    /// are the node's, not this machine's): a snapshot at or after it comes from this test.
    static func since(_ host: PVEHostConfig, _ run: RunState, _ context: RunContext) async throws(StepFailure) -> Int64 {
        let planned = run.steps.flatMap(\.planned).first { $0.target == host.name && $0.change.hasSuffix("of \(host.testVMID ?? 0)") }
        if let text = planned?.detail["since"], let since = Int64(text) { return since }
        do { return try await context.reader(.secondary).time().time } catch {
            throw StepFailure("cannot read the secondary's clock: \(error)")
        }
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
        try await snapshots(guest, context).max { $0.backupTime < $1.backupTime }
    }

    /// The guest's group on the secondary: one group's list, not the datastore's, since this
    /// is polled while a backup runs.
    private func snapshots(_ guest: PVEGuest, _ context: RunContext) async throws(StepFailure) -> [SnapshotListItem] {
        let type = guest.type == "qemu" ? "vm" : "ct"
        do {
            return try await context.reader(.secondary).snapshots(context.node(.secondary).datastore, type: type, id: String(guest.vmid))
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
            guard let since = change.detail["since"].flatMap({ Int64($0) }) else { return .failed("the plan lacks its reference time; run again") }
            if change.change.hasPrefix("verify test snapshot") { return try await verifyNewest(guest, since: since, context) }
            let storage = Self.storage(host)
            if let missing = try await PrivilegeCheck.missing([("VM.Backup", "/vms/\(vmid)"), ("Datastore.AllocateSpace", "/storage/\(storage)")], client) {
                return .needsOperator("\(host.name): the operator token lacks \(missing): on \(guest.node) run `vzdump \(vmid) --storage \(storage) --remove 0`, then run pbsha failover again")
            }
            guard case .task(let upid) = try await client.vzdump(node: guest.node, vmids: [vmid], storage: Self.storage(host), remove: false) else {
                return .failed("\(guest.node) answered that guest \(vmid) is not there; PVE's guest list may lag: run again")
            }
            context.taskStarted(TaskRef(.pve(host: host.name, node: guest.node), upid: upid, label: "test backup of \(vmid) on \(guest.node)"))
            let status = try await follow(context.clock) { try await client.taskStatus(node: guest.node, upid: upid) }
            guard status.exitstatus == "OK" else {
                let errors = (try? await client.taskLogLines(node: guest.node, upid: upid))?.map(\.t).filter { $0.contains("ERROR") } ?? []
                return .failed("vzdump ended \(status.exitstatus ?? "unknown"): \(errors.joined(separator: " | "))\(Self.hint(errors.joined()))")
            }
            return try await verifyNewest(guest, since: since, context)
        } catch let failure as StepFailure {
            return .failed(failure.message)
        } catch {
            return .failed("\(error)")
        }
    }

    /// Has the secondary verify the guest's newest snapshot since `since`, once it is complete.
    private func verifyNewest(_ guest: PVEGuest, since: Int64, _ context: RunContext) async throws -> ApplyOutcome {
        var waited = 0.0
        var snapshot = try await newest(guest, context)
        while let pending = snapshot, pending.backupTime >= since, pending.size == nil, waited < patience {
            await context.clock.sleep(seconds: 2)
            waited += 2
            snapshot = try await newest(guest, context)
        }
        guard let snapshot, snapshot.backupTime >= since, snapshot.size != nil else {
            return .failed("no new complete snapshot of \(guest.vmid) is on the secondary: is the entry pointing elsewhere?")
        }
        let store = context.node(.secondary).datastore
        let manual = "verify \(snapshot.backupType)/\(guest.vmid)/\(Timestamps.rfc3339(snapshot.backupTime)) in the secondary's GUI (Datastore \(store) > Content > Verify), then run pbsha failover again"
        guard let operatorClient = context.operatorClient(.secondary) else { return .needsOperator("no [secondary] operator token: \(manual)") }
        if let missing = try await PrivilegeCheck.missing([("Datastore.Verify", "/datastore/\(store)")], operatorClient) {
            return .needsOperator("the secondary's operator token lacks \(missing): \(manual)")
        }
        let verify = try await operatorClient.verify(store: store, type: snapshot.backupType, id: snapshot.backupID,
                                                     time: snapshot.backupTime, ignoreVerified: false)
        context.taskStarted(TaskRef(.pbs(.secondary), upid: verify, label: "verify of the test snapshot"))
        let verified = try await follow(context.clock) { try await operatorClient.taskStatus(verify) }
        guard verified.exitstatus == "OK" else { return .failed("the secondary's verify of the test snapshot ended \(verified.exitstatus ?? "unknown")") }
        return .applied("\(snapshot.backupType)/\(guest.vmid)/\(Timestamps.rfc3339(snapshot.backupTime)) on the secondary, verified")
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
            do {
                let since = try await Self.since(host, run, context)
                // Any verified snapshot since the run began: a scheduled backup, now landing on the
                // secondary too, may be newer than the test's own and not verified yet.
                let ok = try await snapshots(try await guest(vmid, host, context), context)
                    .contains { $0.backupTime >= since && $0.verification?.state == "ok" }
                results.append(GateResult(name: "\(host.name) test backup of \(vmid)", passed: ok, hard: true,
                                          message: ok ? "on the secondary since this run began, verified ok" : "no verified snapshot of \(vmid) from this run on the secondary"))
            } catch {
                results.append(GateResult(name: "\(host.name) test backup of \(vmid)", passed: false, hard: true, message: "\(error)"))
            }
        }
        return results
    }
}
