import PairEngine
import ProxmoxAPI

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
    /// Dashboard panel with the focus (Tab cycles): 0 primary, 1 secondary, 2 sync, 3 findings.
    public var focus = 0
    public var findingsTop = 0
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
    var tasks: [TaskRow] {
        guard let state = pair else { return [] }
        var rows: [TaskRow] = []
        for node in [state.primary, state.secondary] {
            for task in (node.syncTasks ?? []) + (node.verifyTasks ?? []) {
                rows.append(TaskRow(node: node.role, item: task))
            }
        }
        return rows.sorted { $0.item.starttime > $1.item.starttime }
    }
}

/// One task in the logs list.
public struct TaskRow: Sendable, Equatable {
    public var node: NodeRole
    public var item: TaskListItem

    var kind: String { item.workerType == "syncjob" ? "sync" : item.workerType.hasPrefix("verif") ? "verify" : item.workerType }
}

/// The logs screen: a task list and, when one is open, its log.
public struct LogsState: Sendable {
    public var selected = 0
    public var listTop = 0
    public var viewer: LogViewer?
}

/// An open task log.
public struct LogViewer: Sendable {
    public var task: TaskRow
    public var lines: [String] = []
    public var top = 0
    /// The task still runs: more lines will come.
    public var active = true
    /// Keep the view at the end while new lines arrive.
    public var follow = false
    public var loading = true
    public var lastPoll: Double = 0
    public var error: String?
    /// The committed search and the line numbers (0-based) that match it.
    public var search: String?
    public var matches: [Int] = []
    /// The search being typed after `/`; nil when not typing.
    public var input: LineEditor?

    public init(task: TaskRow) { self.task = task }
}

/// The runbook screen's own state; the runs themselves come from the journal.
public struct RunbookScreenState: Sendable {
    /// The journal as the engine last read it (every second).
    public var reading: RunbookDesk.Reading?
    /// Runbook files that could not be read, by kind.
    public var problems: [String: String] = [:]
    /// Whether a journal can be read (the console was given the engine's runbook desk).
    public var readable = false
    /// Whether this console can act on runbooks (readable, and not the wallboard).
    public var enabled = false
    public var readInFlight = false
    public var lastRead: Double?
    /// Typed input and what it is for.
    public var editor: LineEditor?
    public var purpose: InputPurpose?
    /// Kinds this console is advancing right now.
    public var running: Set<String> = []
    /// First line of the detail pane shown (j/k scroll it).
    public var detailTop = 0
    /// `q` was pressed while this console runs a step: a second `q` quits.
    public var quitArmed = false
    /// The log of the task the shown step started, followed while it runs.
    public var taskLog: TaskLogFollow?

    public init() {}

    /// The followed log of a step's task: the newest lines are shown under the step.
    public struct TaskLogFollow: Sendable {
        public var upid: String
        /// The newest lines, at most `RunbookScreen.taskLogKept`.
        public var lines: [String] = []
        /// Lines read so far: the next page starts after them.
        public var read = 0
        /// The task still runs (or its end was not read yet).
        public var active = true
        public var loading = true
        public var lastPoll: Double
        public var error: String?
    }

    /// What a line being typed on the runbook screen is for.
    public enum InputPurpose: Sendable, Equatable {
        case word(String), resume, acknowledge([String]), ticket, override(String), skip(Int), assign(Int), note(Int), abort
    }
}