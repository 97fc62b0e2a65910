import PairEngine

/// Everything the console shows, as a value. `update` changes it; `render` draws it.
public struct ConsoleState: Sendable {
    /// The header's mode word.
    public enum Mode: String, Sendable { case live = "LIVE", lab = "LAB", drill = "DRILL", readOnly = "READ-ONLY" }
    public enum Screen: Sendable, Equatable {
        case dashboard, logs, help
        /// The failover or failback runbook (`f`, `b`).
        case runbook(String)
        /// The journal's past runs and their reports (`p`).
        case runs
    }

    public var mode: Mode
    /// The read-only board: only quit and help work.
    public var wallboard: Bool
    public var pairName: String
    public var rpoSeconds: Int
    public var screen: Screen = .dashboard
    /// Where Esc returns to from help.
    public var previous: Screen = .dashboard
    public var width: Int
    public var height: Int
    /// Console clock, seconds since the epoch (from ticks).
    public var now: Double
    /// The newest read of the pair; nil until the first one arrives.
    public var pair: PairState?
    public var report: HealthReport?
    public var refreshing = false
    public var refreshInterval: Double
    public var lastRefresh: Double?
    /// When each node was first seen unreachable in this session.
    public var downSince: [NodeRole: Double] = [:]
    public var ascii: Bool
    /// A one-line message in the footer until the given time.
    public var flash: (text: String, until: Double)?
    /// A notice that stays in the footer (e.g. the TERM fallback).
    public var notice: String?
    public var dashboard = DashboardState()
    public var logs = LogsState()
    public var runbook = RunbookScreenState()
    public var runs = RunsState()
    public var quitRequested = false

    public init(mode: Mode, wallboard: Bool = false, pairName: String, rpoSeconds: Int, width: Int, height: Int,
                now: Double, refreshInterval: Double = 5, ascii: Bool = false) {
        self.mode = wallboard ? .readOnly : mode
        self.wallboard = wallboard
        self.pairName = pairName
        self.rpoSeconds = rpoSeconds
        self.width = width
        self.height = height
        self.now = now
        self.refreshInterval = refreshInterval
        self.ascii = ascii
    }

    var glyphs: Glyphs { ascii ? .ascii : .unicode }

    /// Sync and verify tasks of both nodes, newest first.
    var tasks: [TaskLine] { pair?.taskLines ?? [] }
}
