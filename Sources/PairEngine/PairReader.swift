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

    /// Log lines from `from` (1-based) to the end, and whether the task still runs. Read in
    /// pages with an explicit limit: before PBS 2.2.8, `limit=0` returned no lines at all.
    public func taskLog(node role: NodeRole, upid: String, from: Int, pageSize: Int = 500) async throws(APIError) -> (lines: [String], active: Bool) {
        let node = role == .primary ? config.primary : config.secondary
        let client = PBSClient(transport: transport, endpoint: node.endpoint, token: node.token)
        var lines: [String] = []
        var active = false
        var start = max(1, from)
        for _ in 0..<2_000 {
            let page = try await client.taskLog(upid, start: start, limit: pageSize)
            lines += page.data.map(\.t)
            active = page.active ?? false
            guard page.data.count == pageSize, let last = page.data.last?.n else { break }
            start = last + 1
        }
        return (lines, active)
    }
}
