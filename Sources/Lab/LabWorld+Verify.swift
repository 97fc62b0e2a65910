import PairEngine
import ProxmoxAPI

extension LabWorld {
    /// A verify job: checks snapshots never verified (or verified longer ago than
    /// `outdated-after` days); damaged ones are marked failed.
    mutating func runVerify(_ role: NodeRole, at start: Int64) {
        guard let job = node(role).verifyJob else { return }
        let store = node(role).datastore
        let due = dueForVerify(role, at: start, ignoreVerified: job.ignoreVerified ?? true, outdatedAfter: job.outdatedAfter)
        let workerID = "\(store):\(job.id)"
        if let refusal = node(role).maintenanceRefusal(writing: false) {
            addTask(role, type: "verificationjob", id: workerID, start: start, duration: 0, status: refusal,
                    lines: [(0, "Starting datastore verify job '\(workerID)'"), (0, "TASK ERROR: \(refusal)")])
            return
        }
        verify(role, due: due, start: start, type: "verificationjob", id: workerID, user: "root@pam", header: [
            "Starting datastore verify job '\(workerID)'",
            "task triggered by schedule '\(job.schedule ?? "manual")'",
        ])
    }

    /// Which snapshots a verify checks: never verified ones, and with `outdatedAfter` days
    /// those verified longer ago (a failed state is not re-checked before then); all of them
    /// when `ignoreVerified` is off. Unfinished backups are skipped.
    func dueForVerify(_ role: NodeRole, at start: Int64, ignoreVerified: Bool = true, outdatedAfter days: Int?,
                      where include: (LabSnapshot) -> Bool = { _ in true }) -> [Int] {
        let outdated = Int64(days ?? 0) * 86_400
        return node(role).snapshots.indices.filter { index in
            let snapshot = node(role).snapshots[index]
            guard snapshot.finished <= start, include(snapshot) else { return false }
            guard ignoreVerified, let verification = snapshot.verification else { return true }
            guard outdated > 0, let verified = try? UPID(verification.upid) else { return false }
            return start - verified.startTime > outdated
        }
    }

    /// Runs one verify task over `due`, logging as PBS does, and marks each snapshot with
    /// the task that checked it; answers the task's UPID.
    @discardableResult
    mutating func verify(_ role: NodeRole, due: [Int], start: Int64, type: String, id workerID: String, user: String,
                         header: [String]) -> String {
        let store = node(role).datastore
        var log: [(Int64, String)] = header.map { (0, $0) } + [
            (0, "verify datastore \(store)"),
            (0, "found \(Set(due.map { node(role).snapshots[$0].group }).count) groups"),
        ]
        var elapsed: Int64 = 1
        var failed: [String] = []
        for index in due {
            let snapshot = node(role).snapshots[index]
            log.append((elapsed, "verify \(store):\(snapshot.name)"))
            let seconds = max(1, snapshot.size / (600 << 20))
            if snapshot.corrupt {
                log.append((elapsed + seconds, "verify \(store):\(snapshot.name)/drive-scsi0.img.fidx failed: chunks could not be verified"))
                failed.append(snapshot.name)
            } else {
                log.append((elapsed + seconds, String(format: "  verified %.2f/%.2f MiB in %d seconds, speed 600.00/600.00 MiB/s (0 errors)",
                                                       Double(snapshot.newBytes) / 1_048_576, Double(snapshot.size) / 1_048_576, seconds)))
            }
            elapsed += seconds
        }
        let status: String
        if failed.isEmpty {
            log.append((elapsed, "TASK OK"))
            status = "OK"
        } else {
            log.append((elapsed, "Failed to verify the following snapshots/groups:"))
            for name in failed { log.append((elapsed, "\t\(name)")) }
            status = "verification failed - please check the log for details"
            log.append((elapsed, "TASK ERROR: \(status)"))
        }
        // Each checked snapshot remembers the task that verified it, as PBS does.
        let upid = addTask(role, type: type, id: workerID, user: user, start: start, duration: elapsed, status: status, lines: log)
        for index in due {
            self[role].snapshots[index].verification = .init(state: node(role).snapshots[index].corrupt ? "failed" : "ok", upid: upid)
        }
        return upid
    }
}
