import ProxmoxAPI

/// What the console may ask of the pair: one observation, or a page of a task log.
/// The console never builds requests itself; it asks the engine through this.
public struct PairReader: Sendable {
    public let config: PairConfig
    let transport: any HTTPTransport
    let clock: any WallClock
    /// For a console: reads that each node answers on its own (see `PairWatcher`).
    private let watcher: PairWatcher?
    /// For a console: the rules' answers while the kept lists did not change.
    private let memo: RuleMemo?
    /// Where the drill findings come from; nil: none.
    private let rehearsals: RehearsalLedger?

    /// `readOnly` wraps the transport so that only GET requests can ever leave. With
    /// `patience`, `observe` returns after at most that many seconds, a node that has not
    /// answered by then keeping its last reading (for a console that refreshes on a schedule);
    /// without, it waits for every node (for `status` and `check`).
    public init(config: PairConfig, transport: any HTTPTransport, clock: any WallClock = SystemClock(), readOnly: Bool,
                patience: Double? = nil, rehearsals: RehearsalLedger? = nil) {
        self.config = config
        self.rehearsals = rehearsals
        self.transport = readOnly ? ReadOnlyTransport(transport) : transport
        self.clock = clock
        let observer = PairObserver(config: config, transport: self.transport, clock: clock, caching: patience != nil)
        watcher = patience.map { PairWatcher(observer: observer, patience: $0) }
        memo = patience == nil ? nil : RuleMemo()
    }

    /// `everything`: read every snapshot list again (a console keeps them between refreshes
    /// and reads only what changed; the operator's `r` asks for all).
    public func observe(everything: Bool = false) async -> (PairState, HealthReport) {
        if everything { await watcher?.readEverythingNext() }
        let state = if let watcher { await watcher.observe() } else {
            await PairObserver(config: config, transport: transport, clock: clock).observe()
        }
        var report = HealthReport.evaluate(state, policy: HealthPolicy(config), memo: memo)
        if let rehearsals { report.add(rehearsals.findings(now: Int64(clamping: state.observedAt))) }
        return (state, report)
    }

    /// Log lines from `from` (1-based) to the end, and whether the task still runs.
    public func taskLog(node role: NodeRole, upid: String, from: Int, pageSize: Int = 500) async throws(APIError) -> (lines: [String], active: Bool) {
        let node = role == .primary ? config.primary : config.secondary
        let client = PBSClient(transport: transport, endpoint: node.endpoint, token: node.token)
        let (lines, active) = try await client.taskLogLines(upid, from: from, pageSize: pageSize)
        return (lines.map(\.t), active)
    }
}
