import ProxmoxAPI

/// What the console may ask of the pair: one observation, or a page of a task log.
/// The console never builds requests itself; it asks the engine through this.
public struct PairReader: Sendable {
    public let config: PairConfig
    let transport: any HTTPTransport
    let clock: any WallClock

    /// `readOnly` wraps the transport so that only GET requests can ever leave.
    public init(config: PairConfig, transport: any HTTPTransport, clock: any WallClock = SystemClock(), readOnly: Bool) {
        self.config = config
        self.transport = readOnly ? ReadOnlyTransport(transport) : transport
        self.clock = clock
    }

    public func observe() async -> (PairState, HealthReport) {
        let state = await PairObserver(config: config, transport: transport, clock: clock).observe()
        return (state, HealthReport.evaluate(state, policy: HealthPolicy(config)))
    }

    /// Log lines from `from` (1-based) to the end, and whether the task still runs.
    public func taskLog(node role: NodeRole, upid: String, from: Int, pageSize: Int = 500) async throws(APIError) -> (lines: [String], active: Bool) {
        let node = role == .primary ? config.primary : config.secondary
        let client = PBSClient(transport: transport, endpoint: node.endpoint, token: node.token)
        let (lines, active) = try await client.taskLogLines(upid, from: from, pageSize: pageSize)
        return (lines.map(\.t), active)
    }
}
