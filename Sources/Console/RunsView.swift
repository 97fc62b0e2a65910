import PairEngine

/// The journal's runs as a table, or one run's report word-wrapped and scrollable.
enum RunsView {
    static let columns: [(title: String, constraint: Constraint)] = [
        ("RUN", .fill), ("STATE", .fixed(9)), ("STARTED (UTC)", .fixed(18)), ("BY", .fixed(10)), ("STEPS", .fixed(6)), ("DRILL", .fixed(8)),
    ]

    static func draw(_ frame: inout Frame, _ state: ConsoleState) {
        let area = Rect(x: 0, y: 1, width: state.width, height: state.height - 2)
        if let id = state.runs.report {
            report(&frame, state, id, area)
        } else {
            list(&frame, state, area)
        }
    }

    private static func list(_ frame: inout Frame, _ state: ConsoleState, _ area: Rect) {
        let runs = RunsScreen.runs(state)
        let parts = Layout.rows(area, [.fixed(1), .fixed(1), .fill])
        frame.put("PAST RUNS  failovers and failbacks of this pair, newest first (\(runs.count))", x: 1, y: parts[0].y,
                  style: Style(.title, bold: true), limit: area.width - 2)
        let cells = Layout.columns(Rect(x: 1, y: parts[1].y, width: area.width - 2, height: 1), columns.map(\.constraint))
        for (index, column) in columns.enumerated() {
            frame.put(column.title, x: cells[index].x, y: parts[1].y, style: Style(.dim, bold: true), limit: cells[index].width - 1)
        }
        guard !runs.isEmpty else {
            let text = state.runbook.reading == nil ? "reading the journal..." : "no runs in the journal yet: f or b starts one"
            frame.put(text, x: 2, y: parts[2].y, style: Style(.dim))
            return
        }
        let body = parts[2]
        let selected = RunsScreen.selectedIndex(state)
        let top = max(0, min(selected - body.height / 2, runs.count - body.height))
        for (offset, run) in runs.dropFirst(top).prefix(body.height).enumerated() {
            let y = body.y + offset
            let isSelected = top + offset == selected
            if isSelected { frame.fill(y: y, style: Style(.normal, reverse: true)) }
            let done = run.steps.filter { $0.status == .done || $0.status == .skipped }.count
            // The journal lists only the steps a run reached; the runbook says how many there are.
            let steps = state.runbook.reading?.boards[run.runbook]?.rows.count ?? run.steps.count
            let values = [run.id, run.state.rawValue, Render.shortTime(run.started), run.startedBy, "\(done)/\(steps)", run.drill ?? "-"]
            for (index, value) in values.enumerated() {
                let tone: Tone = index != 1 ? .normal : run.state == .done ? .ok : run.state == .aborted ? .warning : .accent
                frame.put(value, x: cells[index].x, y: y, style: Style(tone, bold: index == 1, reverse: isSelected), limit: cells[index].width - 1)
            }
        }
    }

    /// Rows the report has between its title and the footer.
    static func reportHeight(_ state: ConsoleState) -> Int { max(1, state.height - 3) }

    private static func report(_ frame: inout Frame, _ state: ConsoleState, _ id: String, _ area: Rect) {
        guard let run = RunsScreen.runs(state).first(where: { $0.id == id }) else {
            frame.put("run \(id) is no longer in the journal", x: 1, y: area.y, style: Style(.warning))
            return
        }
        frame.put("REPORT  \(id)  as pbsha report prints it", x: 1, y: area.y, style: Style(.title, bold: true), limit: area.width - 2)
        let width = area.width - 2
        let lines = RunReport.markdown(run, now: Int64(state.now)).split(separator: "\n", omittingEmptySubsequences: false)
            .flatMap { line in line.isEmpty ? [""] : StatusText.wrap(String(line), width: width, indent: 2) }
        let height = reportHeight(state)
        let top = min(state.runs.reportTop, max(0, lines.count - height))
        for (offset, line) in lines.dropFirst(top).prefix(height).enumerated() {
            let style = line.hasPrefix("#") ? Style(.title, bold: true) : line.contains("REFUSED") ? Style(.critical) : Style.plain
            frame.put(line, x: 1, y: area.y + 1 + offset, style: style, limit: width)
        }
        if lines.count - top > height {
            frame.put("more: j", x: area.width - 8, y: area.y + height, style: Style(.dim, reverse: true))
        }
    }
}
