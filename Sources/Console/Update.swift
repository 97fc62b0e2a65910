import PairEngine
import ProxmoxAPI

/// The console's one state transition: a message in, the new state and the effects out.
public enum Update {
    /// Seconds between polls of a followed, still running task log.
    static let followInterval = 2.0

    public static func apply(_ state: inout ConsoleState, _ msg: Msg) -> [Effect] {
        switch msg {
        case .tick(let now):
            state.now = now
            if let flash = state.flash, flash.until <= now { state.flash = nil }
            var effects: [Effect] = []
            if !state.refreshing, state.lastRefresh.map({ now - $0 >= state.refreshInterval }) ?? true {
                effects.append(startRefresh(&state))
            }
            effects += RunbookScreen.tick(&state)
            if var viewer = state.logs.viewer, viewer.follow, viewer.active, !viewer.loading, now - viewer.lastPoll >= followInterval {
                viewer.loading = true
                viewer.lastPoll = now
                state.logs.viewer = viewer
                effects.append(.loadLog(node: viewer.task.node, upid: viewer.task.item.upid, from: viewer.lines.count + 1))
            }
            return effects
        case let .resize(width, height):
            state.width = width
            state.height = height
            return []
        case let .observed(pair, report):
            state.refreshing = false
            // The selection follows its task, not its row, when the list re-sorts.
            let selectedTask = state.tasks.indices.contains(state.logs.selected) ? state.tasks[state.logs.selected].item.upid : nil
            state.pair = pair
            state.report = report
            for node in [pair.primary, pair.secondary] {
                if node.reachable { state.downSince[node.role] = nil } else if state.downSince[node.role] == nil { state.downSince[node.role] = state.now }
            }
            if let selectedTask, let row = state.tasks.firstIndex(where: { $0.item.upid == selectedTask }) {
                state.logs.selected = row
            }
            state.logs.selected = min(state.logs.selected, max(0, state.tasks.count - 1))
            return []
        case let .logLoaded(upid, from, lines, active):
            guard var viewer = state.logs.viewer, viewer.task.item.upid == upid else { return [] }
            // A follow page asked for before a reload must not be appended after it.
            guard from <= 1 || from == viewer.lines.count + 1 else { return [] }
            if from <= 1 { viewer.lines = [] }
            viewer.lines += lines
            viewer.active = active
            viewer.loading = false
            viewer.error = nil
            if let search = viewer.search { viewer.matches = LogSearch.matches(viewer.lines, search) }
            if viewer.follow { viewer.top = max(0, viewer.lines.count - LogsView.visibleLines(state)) }
            state.logs.viewer = viewer
            return []
        case let .logFailed(upid, message):
            guard state.logs.viewer?.task.item.upid == upid else { return [] }
            state.logs.viewer?.loading = false
            state.logs.viewer?.error = message
            return []
        case .runbooksRead(let reading):
            RunbookScreen.read(&state, reading)
            return []
        case .runbooksFailed(let message):
            state.runbook.readInFlight = false
            flash(&state, "cannot read the runbook journal: \(message)")
            return []
        case let .runbookTaskLogLoaded(upid, from, lines, active):
            RunbookScreen.taskLogLoaded(&state, upid: upid, from: from, lines: lines, active: active)
            return []
        case let .runbookTaskLogFailed(upid, message):
            RunbookScreen.taskLogFailed(&state, upid: upid, message: message)
            return []
        case let .runbookAnswered(kind, message):
            return RunbookScreen.answered(&state, kind: kind, message: message)
        case .terminate:
            state.quitRequested = true
            return state.runbook.running.map { .cancel(.runbook($0)) } + [.quit]
        case .key(let key):
            return KeyHandling.handle(&state, key)
        }
    }

    static func startRefresh(_ state: inout ConsoleState, everything: Bool = false) -> Effect {
        state.refreshing = true
        state.lastRefresh = state.now
        return everything ? .refreshEverything : .refresh
    }

    static func flash(_ state: inout ConsoleState, _ text: String) {
        state.flash = (text, state.now + 4)
    }
}

/// What each key does on each screen (design.md section 6; `?` lists them).
enum KeyHandling {
    static func handle(_ state: inout ConsoleState, _ key: Key) -> [Effect] {
        if state.logs.viewer?.input != nil, state.screen == .logs { return searchInput(&state, key) }
        if state.wallboard { return wallboardKey(&state, key) }
        if case .runbook(let kind) = state.screen, state.runbook.editor != nil { return RunbookScreen.key(&state, kind: kind, key) }
        if key != .char("q") { state.runbook.quitArmed = false }
        switch key {
        case .char("q"):
            return RunbookScreen.quit(&state)
        case .char("?"):
            if state.screen != .help { state.previous = state.screen }
            state.screen = .help
            return []
        case .char("d"):
            state.screen = .dashboard
            return []
        case .char("l"):
            state.screen = .logs
            return []
        case .char("r"):
            guard !state.refreshing else {
                Update.flash(&state, "a refresh is already running")
                return []
            }
            Update.flash(&state, "refreshing every snapshot list...")
            return [Update.startRefresh(&state, everything: true)]
        case .char("p"):
            RunsScreen.open(&state)
            return []
        case .char("f"), .char("b"):
            RunbookScreen.open(&state, key == .char("f") ? "failover" : "failback")
            return []
        case .escape where state.screen == .help:
            state.screen = state.previous
            return []
        default:
            break
        }
        switch state.screen {
        case .dashboard: return dashboardKey(&state, key)
        case .logs: return logsKey(&state, key)
        case .runbook(let kind): return RunbookScreen.key(&state, kind: kind, key)
        case .runs: return RunsScreen.key(&state, key)
        case .help:
            if key == .escape { state.screen = state.previous }
            return []
        }
    }

    /// The wallboard starts nothing: quit and help only, every other key is refused out loud.
    static func wallboardKey(_ state: inout ConsoleState, _ key: Key) -> [Effect] {
        switch key {
        case .char("q"):
            state.quitRequested = true
            return [.quit]
        case .char("?"):
            state.screen = .help
            return []
        case .escape where state.screen == .help:
            state.screen = .dashboard
            return []
        default:
            Update.flash(&state, "read-only wallboard: only q (quit) and ? (help) work here")
            return []
        }
    }

    static func dashboardKey(_ state: inout ConsoleState, _ key: Key) -> [Effect] {
        let findings = state.report?.findings.count ?? 0
        switch key {
        case .tab: state.focus = (state.focus + 1) % 4
        case .backTab: state.focus = (state.focus + 3) % 4
        case .down, .char("j"): state.findingsTop = min(max(0, findings - 1), state.findingsTop + 1)
        case .up, .char("k"): state.findingsTop = max(0, state.findingsTop - 1)
        case .enter where state.focus == 2:
            state.screen = .logs
        case .escape: break
        default: Update.flash(&state, "no action on this key here; ? lists the keys")
        }
        return []
    }

    static func logsKey(_ state: inout ConsoleState, _ key: Key) -> [Effect] {
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
            viewer.active = task.item.status == nil
            viewer.follow = viewer.active
            viewer.lastPoll = state.now
            state.logs.viewer = viewer
            return [.loadLog(node: task.node, upid: task.item.upid, from: 1)]
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

/// Searching loaded log lines (case-insensitive substring).
enum LogSearch {
    static func matches(_ lines: [String], _ text: String) -> [Int] {
        let needle = text.lowercased()
        return lines.indices.filter { lines[$0].lowercased().contains(needle) }
    }

    /// The next match after (or before) line `from`, wrapping around.
    static func next(_ matches: [Int], from: Int, forward: Bool) -> Int? {
        guard !matches.isEmpty else { return nil }
        if forward { return matches.first { $0 > from } ?? matches.first }
        return matches.last { $0 < from } ?? matches.last
    }

    /// The first line that reports an error.
    static func firstError(_ lines: [String]) -> Int? {
        lines.firstIndex { line in
            let lower = line.lowercased()
            return lower.contains("task error") || lower.contains(" failed") || lower.contains("error:") || lower.contains(": error")
        }
    }
}
