import PairEngine

/// The past runs screen (`p`): every run of the journal, newest first; Enter opens a run's
/// report, the same text `pbsha report RUN` prints, read from the journal as it stands.
public struct RunsState: Sendable {
    /// The selected run, by id: the selection follows its run when a new one is listed.
    public var selected: String?
    /// The run whose report is open.
    public var report: String?
    public var reportTop = 0
    /// Where Esc returns to from the list.
    public var returnTo: ConsoleState.Screen = .dashboard

    public init() {}
}

enum RunsScreen {
    static func open(_ state: inout ConsoleState) {
        guard state.runbook.readable else {
            Update.flash(&state, "no journal in this console: pbsha runs lists the runs")
            return
        }
        if state.screen != .runs { state.runs.returnTo = state.screen }
        state.screen = .runs
        state.runs.report = nil
    }

    /// The listed runs, newest first.
    static func runs(_ state: ConsoleState) -> [RunState] { state.runbook.reading?.runs ?? [] }

    static func selectedIndex(_ state: ConsoleState) -> Int {
        let runs = runs(state)
        return state.runs.selected.flatMap { id in runs.firstIndex { $0.id == id } } ?? 0
    }

    static func key(_ state: inout ConsoleState, _ key: Key) -> [Effect] {
        if state.runs.report != nil { return reportKey(&state, key) }
        let runs = runs(state)
        let index = selectedIndex(state)
        func select(_ row: Int) {
            guard !runs.isEmpty else { return }
            state.runs.selected = runs[min(max(0, row), runs.count - 1)].id
        }
        switch key {
        case .down, .char("j"): select(index + 1)
        case .up, .char("k"): select(index - 1)
        case .pageDown: select(index + 10)
        case .pageUp: select(index - 10)
        case .home, .char("g"): select(0)
        case .end, .char("G"): select(runs.count - 1)
        case .enter:
            guard runs.indices.contains(index) else {
                Update.flash(&state, "no runs in the journal yet")
                return []
            }
            state.runs.selected = runs[index].id
            state.runs.report = runs[index].id
            state.runs.reportTop = 0
        case .escape: state.screen = state.runs.returnTo
        default: Update.flash(&state, "no action on this key here; ? lists the keys")
        }
        return []
    }

    private static func reportKey(_ state: inout ConsoleState, _ key: Key) -> [Effect] {
        let page = max(1, RunsView.reportHeight(state) - 1)
        switch key {
        case .down, .char("j"): state.runs.reportTop += 1
        case .up, .char("k"): state.runs.reportTop = max(0, state.runs.reportTop - 1)
        case .pageDown, .char(" "): state.runs.reportTop += page
        case .pageUp: state.runs.reportTop = max(0, state.runs.reportTop - page)
        case .home, .char("g"): state.runs.reportTop = 0
        case .end, .char("G"): state.runs.reportTop = Int.max / 2
        case .escape: state.runs.report = nil
        default: Update.flash(&state, "no action on this key here; ? lists the keys")
        }
        return []
    }
}
