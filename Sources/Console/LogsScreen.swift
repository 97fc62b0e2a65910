import PairEngine

/// The logs screen: a task list and, when one is open, its log.
public struct LogsState: Sendable {
    public var selected = 0
    public var listTop = 0
    public var viewer: LogViewer?
}

/// An open task log.
public struct LogViewer: Sendable {
    public var task: TaskLine
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

    public init(task: TaskLine) { self.task = task }
}

/// The logs screen's update: the task list, an open log, its search and its follow.
enum LogsScreen {
    /// Seconds between polls of a followed, still running task log.
    static let followInterval = 2.0

    /// A followed log that still runs asks for its next page every `followInterval`.
    static func tick(_ state: inout ConsoleState) -> [Effect] {
        guard var viewer = state.logs.viewer, viewer.follow, viewer.active, !viewer.loading, state.now - viewer.lastPoll >= followInterval else { return [] }
        viewer.loading = true
        viewer.lastPoll = state.now
        state.logs.viewer = viewer
        return [.loadLog(node: viewer.task.node, upid: viewer.task.upid, from: viewer.lines.count + 1)]
    }

    static func loaded(_ state: inout ConsoleState, upid: String, from: Int, lines: [String], active: Bool) {
        guard var viewer = state.logs.viewer, viewer.task.upid == upid else { return }
        // A follow page asked for before a reload must not be appended after it.
        guard from <= 1 || from == viewer.lines.count + 1 else { return }
        if from <= 1 { viewer.lines = [] }
        viewer.lines += lines
        viewer.active = active
        viewer.loading = false
        viewer.error = nil
        if let search = viewer.search { viewer.matches = LogSearch.matches(viewer.lines, search) }
        if viewer.follow { viewer.top = max(0, viewer.lines.count - LogsView.visibleLines(state)) }
        state.logs.viewer = viewer
    }

    static func failed(_ state: inout ConsoleState, upid: String, message: String) {
        guard state.logs.viewer?.task.upid == upid else { return }
        state.logs.viewer?.loading = false
        state.logs.viewer?.error = message
    }

    static func key(_ state: inout ConsoleState, _ key: Key) -> [Effect] {
        if state.logs.viewer != nil { return viewerKey(&state, key) }
        let count = state.tasks.count
        switch key {
        case .down, .char("j"): state.logs.selected = min(max(0, count - 1), state.logs.selected + 1)
        case .up, .char("k"): state.logs.selected = max(0, state.logs.selected - 1)
        case .pageDown: state.logs.selected = min(max(0, count - 1), state.logs.selected + 10)
        case .pageUp: state.logs.selected = max(0, state.logs.selected - 10)
        case .home, .char("g"): state.logs.selected = 0
        case .end, .char("G"): state.logs.selected = max(0, count - 1)
        case .enter:
            guard state.tasks.indices.contains(state.logs.selected) else { return [] }
            let task = state.tasks[state.logs.selected]
            var viewer = LogViewer(task: task)
            viewer.active = task.result == nil
            viewer.follow = viewer.active
            viewer.lastPoll = state.now
            state.logs.viewer = viewer
            return [.loadLog(node: task.node, upid: task.upid, from: 1)]
        case .escape: state.screen = .dashboard
        default: Update.flash(&state, "no action on this key here; ? lists the keys")
        }
        return []
    }

    static func viewerKey(_ state: inout ConsoleState, _ key: Key) -> [Effect] {
        guard var viewer = state.logs.viewer else { return [] }
        let page = LogsView.visibleLines(state)
        let last = max(0, viewer.lines.count - page)
        switch key {
        case .escape:
            state.logs.viewer = nil
            return []
        case .down, .char("j"): viewer.top = min(last, viewer.top + 1)
        case .up, .char("k"): viewer.top = max(0, viewer.top - 1)
        case .pageDown, .char(" "): viewer.top = min(last, viewer.top + page)
        case .pageUp: viewer.top = max(0, viewer.top - page)
        case .home, .char("g"): viewer.top = 0
        case .end, .char("G"): viewer.top = last
        case .char("F"):
            viewer.follow.toggle()
            if viewer.follow { viewer.top = last }
        case .char("/"): viewer.input = LineEditor(label: "/")
        case .char("n"), .char("N"):
            guard let target = LogSearch.next(viewer.matches, from: viewer.top, forward: key == .char("n")) else {
                Update.flash(&state, viewer.search == nil ? "no search yet: press / first" : "no match for '\(viewer.search!)'")
                return []
            }
            viewer.top = min(last, target)
            viewer.follow = false
        case .char("e"):
            guard let line = LogSearch.firstError(viewer.lines) else {
                Update.flash(&state, "no error line in this log")
                return []
            }
            viewer.top = min(last, line)
            viewer.follow = false
        default:
            Update.flash(&state, "no action on this key here; ? lists the keys")
            return []
        }
        state.logs.viewer = viewer
        return []
    }

    static func searchInput(_ state: inout ConsoleState, _ key: Key) -> [Effect] {
        guard var viewer = state.logs.viewer, var input = viewer.input else { return [] }
        switch input.handle(key) {
        case .editing: viewer.input = input
        case .cancelled: viewer.input = nil
        case .submitted(let text):
            viewer.input = nil
            guard !text.isEmpty else { break }
            viewer.search = text
            viewer.matches = LogSearch.matches(viewer.lines, text)
            if let target = LogSearch.next(viewer.matches, from: viewer.top - 1, forward: true) {
                viewer.top = min(max(0, viewer.lines.count - LogsView.visibleLines(state)), target)
                viewer.follow = false
            } else {
                Update.flash(&state, "no match for '\(text)'")
            }
        }
        state.logs.viewer = viewer
        return []
    }
}
