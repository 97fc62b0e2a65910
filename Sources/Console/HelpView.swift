/// Every key of the screen the operator came from.
enum HelpView {
    static func keys(for state: ConsoleState) -> [(String, String)] {
        if state.wallboard {
            return [("q", "quit"), ("?", "this help"), ("Esc", "back to the board"),
                    ("", "The wallboard is read-only: no key starts an action.")]
        }
        let global: [(String, String)] = [
            ("q", "quit"), ("?", "this help"), ("d", "dashboard"), ("l", "logs"), ("r", "refresh now"),
            ("f", "failover runbook"), ("b", "failback runbook"), ("p", "past runs and their reports"), ("Esc", "back"),
        ]
        switch state.previous {
        case .dashboard, .help:
            return global + [("Tab / Shift-Tab", "next / previous panel"), ("j k, arrows", "scroll findings"),
                             ("Enter", "on the sync panel: open its logs")]
        case .runbook:
            return global + [("Enter", "run the step, confirm, or type what the prompt asks"), ("j k, arrows", "scroll the step's detail"),
                             ("o", "pass over a refusing gate the runbook allows (typed reason)"), ("s", "skip the step (typed reason)"),
                             ("a", "give the step to a person"), ("n", "add a note to the step"), ("X", "abort the run (typed reason)"),
                             ("Ctrl-U, Backspace, Esc", "clear, erase, cancel while typing")]
        case .runs:
            return global + [("j k, arrows, PgUp PgDn", "move in the runs / scroll the report"), ("g G, Home End", "first / last"),
                             ("Enter", "open the selected run's report"), ("Esc", "close the report, then back")]
        case .logs:
            return global + [("j k, arrows, PgUp PgDn", "move in the task list / scroll the log"), ("g G, Home End", "first / last"),
                             ("Enter", "open the selected task's log"), ("/", "search the open log"), ("n N", "next / previous match"),
                             ("e", "jump to the first error line"), ("F", "follow a running task's log"), ("Esc", "close the log")]
        }
    }

    static func draw(_ frame: inout Frame, _ state: ConsoleState) {
        frame.put("HELP  keys of this screen", x: 1, y: 1, style: Style(.title, bold: true))
        for (index, entry) in keys(for: state).enumerated() where 3 + index < state.height - 1 {
            frame.put(entry.0, x: 3, y: 3 + index, style: Style(.accent, bold: true))
            frame.put(entry.1, x: 28, y: 3 + index, limit: state.width - 29)
        }
    }
}
