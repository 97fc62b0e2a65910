import ProxmoxAPI

/// Following a PBS task an action started, on the engine's clock.
enum PBSTask {
    /// Tells the engine the task started (consoles follow its log), then polls until it
    /// stops, every half second at first and every 5 s after a while; throws when it still
    /// runs after `patience` seconds.
    static func follow(_ client: PBSClient, _ upid: String, on role: NodeRole, _ label: String, _ context: RunContext,
                       patience: Double) async throws -> TaskStatus {
        context.taskStarted(TaskRef(.pbs(role), upid: upid, label: label))
        let clock = context.clock
        var waited = 0.0
        var interval = 0.5
        var status = try await client.taskStatus(upid)
        while status.status == "running" && waited < patience {
            await clock.sleep(seconds: interval)
            waited += interval
            interval = min(interval * 2, 5)
            status = try await client.taskStatus(upid)
        }
        guard status.status != "running" else { throw StepFailure("task \(upid) still runs after \(Int(patience)) s: follow it in the GUI, then run pbsha again") }
        return status
    }

    /// The task log's error and warning lines, for a failure message.
    static func problems(_ client: PBSClient, _ upid: String) async -> String {
        let lines = (try? await client.taskLogLines(upid).lines.map(\.t)) ?? []
        let bad = lines.filter { $0.contains("ERROR") || $0.contains("error") || $0.hasPrefix("TASK") }
        return bad.suffix(4).joined(separator: " | ")
    }
}
