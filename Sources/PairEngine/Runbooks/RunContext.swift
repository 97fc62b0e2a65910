import Foundation
import ProxmoxAPI

/// What the step engine's actions act with: the pair's config, a transport for reads, one
/// for writes (operator tokens only), one for the notification webhook, the remote shells,
/// and the clock.
public struct RunContext: Sendable {
    public let config: PairConfig
    public let reads: any HTTPTransport
    public let writes: any HTTPTransport
    /// Posts to `[notify]`'s webhook; never recorded, because the webhook's path is its secret.
    public let webhooks: any HTTPTransport
    public let clock: any WallClock
    /// The journal's earlier runs, oldest first (failback reads the failover it undoes);
    /// the step engine fills it in.
    public var history: [RunState] = []
    /// The remote shell for a `[[pve]]` target, by name (nil: none configured).
    public let shell: @Sendable (PVEHostConfig) -> (any RemoteShell)?
    /// Told of each long task an action starts; the step engine journals it.
    public var taskStarted: @Sendable (TaskRef) -> Void = { _ in }

    /// `webhooks` defaults to `writes`, which suits a pinned webhook.
    public init(config: PairConfig, reads: any HTTPTransport, writes: any HTTPTransport, webhooks: (any HTTPTransport)? = nil, clock: any WallClock,
                shell: @escaping @Sendable (PVEHostConfig) -> (any RemoteShell)? = { host in host.remoteShell.map(ProcessShell.init) }) {
        self.config = config
        self.reads = reads
        self.writes = writes
        self.webhooks = webhooks ?? writes
        self.clock = clock
        self.shell = shell
    }

    /// The same context whose writes are reported to `sink` (secrets removed) as they happen.
    public func recording(_ sink: @escaping @Sendable (WriteRecord) -> Void) -> RunContext {
        var recording = RunContext(config: config, reads: reads, writes: RecordingTransport(writes, record: sink), webhooks: webhooks, clock: clock, shell: shell)
        recording.history = history
        recording.taskStarted = taskStarted
        return recording
    }

    /// The last failover that finished, unless a failback finished after it (then there is
    /// nothing left to undo).
    public var lastFailover: RunState? {
        guard let failover = history.last(where: { $0.runbook == "failover" && $0.state == .done }) else { return nil }
        let undone = history.contains { $0.runbook == "failback" && $0.state == .done && $0.started > failover.started }
        return undone ? nil : failover
    }

    /// The monitor (read-only) client of a PBS node.
    public func reader(_ role: NodeRole) -> PBSClient {
        let node = role == .primary ? config.primary : config.secondary
        return PBSClient(transport: ReadOnlyTransport(reads), endpoint: node.endpoint, token: node.token)
    }

    /// The operator client of a PBS node, or why there is none.
    public func operatorClient(_ role: NodeRole) -> PBSClient? {
        let node = role == .primary ? config.primary : config.secondary
        return node.operatorToken.map { PBSClient(transport: writes, endpoint: node.endpoint, token: $0) }
    }

    public func pveReader(_ host: PVEHostConfig) -> PVEClient {
        PVEClient(transport: ReadOnlyTransport(reads), endpoint: host.endpoint, token: host.token)
    }

    public func pveOperator(_ host: PVEHostConfig) -> PVEClient? {
        host.operatorToken.map { PVEClient(transport: writes, endpoint: host.endpoint, token: $0) }
    }

    public func node(_ role: NodeRole) -> NodeConfig { role == .primary ? config.primary : config.secondary }
}
