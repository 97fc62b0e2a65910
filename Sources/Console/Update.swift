import PairEngine

/// The console's one state transition: a message in, the new state and the effects out.
public enum Update {
    /// Whether `msg` can change what is drawn, before it is applied: a tick moves only the
    /// clock and the ages (the loop draws those once a second anyway), and a journal reading
    /// equal to the one shown changes nothing (the journal is read every second, and an
    /// idle wallboard should not draw twice a second for it).
    public static func changesView(_ msg: Msg, _ state: ConsoleState) -> Bool {
        switch msg {
        case .tick: return false
        case .runbooksRead(let reading): return reading != state.runbook.reading
        default: return true
        }
    }

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
            effects += LogsScreen.tick(&state)
            return effects
        case let .resize(width, height):
            state.width = width
            state.height = height
            return []
        case let .observed(pair, report):
            state.refreshing = false
            // The selection follows its task, not its row, when the list re-sorts.
            let shown = state.tasks
            let selectedTask = shown.indices.contains(state.logs.selected) ? shown[state.logs.selected].upid : nil
            state.pair = pair
            state.report = report
            for node in [pair.primary, pair.secondary] {
                if node.reachable { state.downSince[node.role] = nil } else if state.downSince[node.role] == nil { state.downSince[node.role] = state.now }
            }
            let tasks = state.tasks
            if let selectedTask, let row = tasks.firstIndex(where: { $0.upid == selectedTask }) {
                state.logs.selected = row
            }
            state.logs.selected = min(state.logs.selected, max(0, tasks.count - 1))
            return []
        case let .logLoaded(upid, from, lines, active):
            LogsScreen.loaded(&state, upid: upid, from: from, lines: lines, active: active)
            return []
        case let .logFailed(upid, message):
            LogsScreen.failed(&state, upid: upid, message: message)
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
        if state.logs.viewer?.input != nil, state.screen == .logs { return LogsScreen.searchInput(&state, key) }
        if state.wallboard { return WallboardScreen.key(&state, key) }
        if case .runbook(let kind) = state.screen, state.runbook.editor != nil { return RunbookScreen.key(&state, kind: kind, key) }
        if key != .char("q") { state.runbook.quitArmed = false }
        switch key {
        case .char("q"):
            return RunbookScreen.quit(&state)
        case .char("?"):
            HelpScreen.open(&state)
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
        default:
            break
        }
        switch state.screen {
        case .dashboard: return DashboardScreen.key(&state, key)
        case .logs: return LogsScreen.key(&state, key)
        case .runbook(let kind): return RunbookScreen.key(&state, kind: kind, key)
        case .runs: return RunsScreen.key(&state, key)
        case .help: return HelpScreen.key(&state, key)
        }
    }
}
