import ProxmoxAPI

/// Decides a step's gates from one fresh observation of the pair (and, for the ordering
/// gates, the run itself). Each result says what would make it pass.
public struct GateEvaluator: Sendable {
    let context: RunContext
    let runbook: Runbook

    public init(context: RunContext, runbook: Runbook) {
        self.context = context
        self.runbook = runbook
    }

    public func evaluate(_ step: Runbook.Step, number: Int, run: RunState?) async -> [GateResult] {
        let names = step.hardGates.map { ($0, true) } + step.softGates.map { ($0, false) }
        guard !names.isEmpty else { return [] }
        let state = await PairObserver(config: context.config, transport: ReadOnlyTransport(context.reads), clock: context.clock).observe()
        let report = HealthReport.evaluate(state, policy: HealthPolicy(context.config))
        var results: [GateResult] = []
        for (name, hard) in names {
            let (passed, message) = await decide(name, number: number, run: run, state: state, report: report)
            results.append(GateResult(name: name, passed: passed, hard: hard, message: message))
        }
        return results
    }

    private func decide(_ name: String, number: Int, run: RunState?, state: PairState, report: HealthReport) async -> (Bool, String) {
        let secondary = state.secondary
        let store = context.config.secondary.datastore
        switch name {
        case "secondary-reachable":
            return secondary.reachable ? (true, "the secondary answers (\(secondary.host))")
                : (false, "the secondary does not answer: \(secondary.failure.map { "\($0)" } ?? "no answer"); fix its network or service first")
        case "secondary-writable":
            guard let mode = MaintenanceMode(secondary.datastore?.maintenance), mode.type == "offline" || mode.type == "read-only" else {
                return secondary.reachable ? (true, "datastore \(store) takes writes") : (false, "the secondary cannot be read")
            }
            return (false, "datastore \(store) is in \(mode.type) maintenance; end it on the secondary (Datastore > Options > Maintenance mode)")
        case "pve-token-on-secondary":
            return await pveTokenCanWrite()
        case "encryption-keys":
            return await encryptionKeys()
        case "primary-reachable":
            return state.primary.reachable ? (true, "the primary answers (\(state.primary.host))")
                : (false, "the primary does not answer: \(state.primary.failure.map { "\($0)" } ?? "no answer"); failback needs it running")
        case "failover-done":
            guard let failover = context.lastFailover else {
                return (false, "the journal holds no finished failover that a failback has not undone yet (pbsha runs lists the runs)")
            }
            return (true, "\(failover.id), begun \(Timestamps.rfc3339(failover.started))")
        case "caught-up":
            do {
                let facts = try await FailbackFacts.read(context, upTo: FailbackFacts.cutoff(run))
                return facts.missingCount == 0 ? (true, "the primary holds all \(facts.pulled.count) failover-era snapshot(s)")
                    : (false, "the primary lacks \(facts.missingCount) failover-era snapshot(s): \(facts.progress.replacingOccurrences(of: "\n", with: "; ")); finish the catch-up first")
            } catch {
                return (false, error.message)
            }
        case "primary-verified":
            do {
                let facts = try await FailbackFacts.read(context, upTo: FailbackFacts.cutoff(run))
                let left = try VerifyPrimary.unverified(facts, run ?? RunState.empty)
                return left.isEmpty ? (true, "every pulled snapshot verified ok by this run's tasks")
                    : (false, "\(left.count) pulled snapshot(s) not verified on the primary by this run; finish the primary's verify first")
            } catch {
                return (false, error.message)
            }
        case "previous-steps-done":
            let open = (run?.steps ?? []).filter { $0.number < number && $0.status != .done && $0.status != .skipped }
            let missing = (1..<number).filter { n in !(run?.steps.contains { $0.number == n } ?? false) }
            guard open.isEmpty && missing.isEmpty else {
                return (false, "step \((open.map(\.number) + missing).min()!) is not done; finish or skip it first")
            }
            return (true, "steps 1–\(number - 1) are done")
        case "secondary-prepared":
            let prepared = runbook.steps.indices.filter { runbook.steps[$0].action == "prepare-secondary" }.map { $0 + 1 }
            let done = prepared.allSatisfy { n in run?.steps.first { $0.number == n }?.status == .done }
            return done ? (true, "the forward sync is paused and ownership fixed") : (false, "the readiness step (\(prepared.map(String.init).joined(separator: ", "))) has not finished")
        case "sync-within-rpo":
            guard let age = report.sync.ageSeconds else { return (false, "no successful sync is known; the secondary may hold nothing recent") }
            let rpo = context.config.rpoSeconds
            return age <= rpo ? (true, "last good sync \(Durations.format(age)) ago (RPO \(Durations.format(rpo)))")
                : (false, "last good sync \(Durations.format(age)) ago, beyond the RPO of \(Durations.format(rpo)): backups since then exist only on the primary")
        case "sync-not-failing":
            return report.sync.consecutiveFailures == 0 ? (true, "the last sync run succeeded")
                : (false, "the last \(report.sync.consecutiveFailures) sync run(s) failed: \(report.sync.lastError ?? "see the task log")")
        case "verify-recent":
            let verify = report.verify
            if let failed = verify.snapshotsFailed, failed > 0 { return (false, "\(failed) snapshot(s) on the secondary failed verification") }
            guard let age = verify.ageSeconds, age <= context.config.verifyMaxAgeSeconds else {
                return (false, "the secondary's last verify is \(verify.ageSeconds.map { Durations.format($0) + " old" } ?? "unknown"), over \(Durations.format(context.config.verifyMaxAgeSeconds))")
            }
            return (true, "verified \(Durations.format(age)) ago, nothing failed")
        case "nothing-missed":
            guard let drift = report.drift else { return (false, "the primary cannot be read, so what the secondary missed is unknown") }
            let groups = drift.missingByGroup.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return drift.missingOnSecondary == 0 ? (true, "the secondary holds every finished primary snapshot")
                : (false, "\(drift.missingOnSecondary) primary snapshot(s) are not on the secondary (\(drift.missedBySync) missed by sync): \(groups)")
        case "free-space":
            guard let status = secondary.status, status.total > 0 else { return (false, "the secondary's usage cannot be read") }
            let percent = Int(status.used * 100 / status.total)
            return percent < 90 ? (true, "\(percent)% used") : (false, "\(percent)% used: backups may fill the datastore")
        default:
            return (false, "unknown gate '\(name)'")
        }
    }

    /// Targets whose entry in use encrypts and whose failover entry (`switch-storage`) does
    /// not: their backups would go to the secondary unencrypted. `edit-storage-cfg` keeps the
    /// entry, and with it the key file.
    private func encryptionKeys() async -> (Bool, String) {
        var problems: [String] = []
        for host in context.config.pve where host.method == .switchStorage {
            guard let failover = host.failoverStorage else { continue }
            do {
                let entries = try await context.pveReader(host).pbsStorages()
                let current = entries.first { $0.storage == host.storage }?.encryptionKey
                let next = entries.first { $0.storage == failover }?.encryptionKey
                if current != nil, next == nil {
                    problems.append("\(host.name): \(host.storage) encrypts, \(failover) has no key; give it the same key (pvesm set \(failover) --encryption-key FILE)")
                }
            } catch {
                problems.append("\(host.name): its storage entries cannot be read (\(error))")
            }
        }
        return problems.isEmpty ? (true, "every encrypting target keeps its key") : (false, problems.joined(separator: "; "))
    }

    /// Whether PVE's token on the secondary authenticates there and may back up into the
    /// datastore (its own permissions, read with its own secret).
    private func pveTokenCanWrite() async -> (Bool, String) {
        let node = context.config.secondary
        guard let token = node.pveToken else {
            return (false, "no [secondary] pve-auth-id/pve-secret-file: pbsha cannot tell what PVE will back up with; add them (docs/configuration.md)")
        }
        let client = PBSClient(transport: ReadOnlyTransport(context.reads), endpoint: node.endpoint, token: token)
        do {
            let permissions = try await client.permissions()
            let path = "/datastore/\(node.datastore)"
            guard permissions[path]?["Datastore.Backup"] == true else {
                return (false, "\(token.authID) lacks Datastore.Backup on \(path); on the secondary: proxmox-backup-manager acl update \(path) DatastoreBackup --auth-id '\(token.authID)'")
            }
            return (true, "\(token.authID) may back up into \(node.datastore)")
        } catch {
            return (false, "\(token.authID) cannot be used on the secondary: \(error)")
        }
    }
}
