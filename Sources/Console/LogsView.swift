import PairEngine

/// Sync and verify tasks of both nodes; an open task log with follow and search.
/// Only the visible lines are drawn, so a 100 000-line log costs what a screenful costs.
enum LogsView {
    /// Log lines that fit between the title row and the status row.
    static func visibleLines(_ state: ConsoleState) -> Int { max(1, state.height - 4) }

    static func draw(_ frame: inout Frame, _ state: ConsoleState) {
        if let viewer = state.logs.viewer {
            drawViewer(&frame, state, viewer)
        } else {
            drawList(&frame, state)
        }
    }

    static func drawList(_ frame: inout Frame, _ state: ConsoleState) {
        let tasks = state.tasks
        frame.put("LOGS  sync and verify tasks of both nodes, newest first (\(tasks.count))", x: 1, y: 1, style: Style(.title, bold: true))
        let columns = "  STARTED            NODE       TYPE    DURATION  RESULT"
        frame.put(columns, x: 0, y: 2, style: Style(.dim, bold: true))
        let rows = state.height - 5
        guard !tasks.isEmpty else {
            frame.put(state.pair == nil ? "waiting for the first read..." : "no sync or verify tasks in the history read", x: 2, y: 3, style: Style(.dim))
            return
        }
        let top = max(0, min(state.logs.selected - rows / 2, tasks.count - rows))
        for (offset, task) in tasks.dropFirst(top).prefix(rows).enumerated() {
            let index = top + offset
            let y = 3 + offset
            let selected = index == state.logs.selected
            let duration = task.ended.map { Durations.format(Int(clamping: Double($0) - Double(task.started))) } ?? "running"
            let result = task.result ?? "running"
            let text = "  " + Render.shortTime(task.started).padding(toLength: 19, withPad: " ", startingAt: 0)
                + task.node.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
                + task.kind.padding(toLength: 8, withPad: " ", startingAt: 0)
                + duration.padding(toLength: 10, withPad: " ", startingAt: 0)
            if selected { frame.fill(y: y, style: Style(.normal, reverse: true)) }
            let x = frame.put(text, x: 0, y: y, style: Style(.normal, reverse: selected))
            let tone: Tone = task.result == nil ? .accent : task.succeeded ? .ok : .critical
            frame.put(result, x: x, y: y, style: Style(tone, bold: !task.succeeded, reverse: selected), limit: state.width - x)
        }
    }

    static func drawViewer(_ frame: inout Frame, _ state: ConsoleState, _ viewer: LogViewer) {
        let result = viewer.task.result ?? (viewer.active ? "running" : "finished")
        let follow = viewer.follow ? "  FOLLOWING" : ""
        frame.put("\(viewer.task.node.rawValue) \(viewer.task.kind) \(Render.shortTime(viewer.task.started))  \(result)\(follow)",
                  x: 1, y: 1, style: Style(.title, bold: true), limit: state.width - 2)
        let page = visibleLines(state)
        if viewer.lines.isEmpty {
            let message = viewer.error.map { "cannot load the log: \($0)" } ?? (viewer.loading ? "loading..." : "the log is empty")
            frame.put(message, x: 2, y: 2, style: Style(viewer.error == nil ? .dim : .critical), limit: state.width - 4)
        }
        let matchSet = Set(viewer.matches)
        let numberWidth = String(viewer.lines.count).count
        for row in 0..<page {
            let index = viewer.top + row
            guard index < viewer.lines.count else { break }
            let line = viewer.lines[index]
            let number = String(index + 1).padding(toLength: numberWidth, withPad: " ", startingAt: 0)
            frame.put(number, x: 0, y: 2 + row, style: Style(.dim))
            let lower = line.lowercased()
            let tone: Tone = lower.contains("task error") || lower.contains(" failed") ? .critical
                : lower.contains("task ok") ? .ok : lower.contains("warn") ? .warning : .normal
            frame.put(line, x: numberWidth + 1, y: 2 + row, style: Style(tone, reverse: matchSet.contains(index)), limit: state.width - numberWidth - 1)
        }
        let statusY = state.height - 2
        if let input = viewer.input {
            input.draw(&frame, Rect(x: 0, y: statusY, width: state.width, height: 1))
        } else {
            let position = viewer.lines.isEmpty ? "" : "lines \(viewer.top + 1)-\(min(viewer.lines.count, viewer.top + page)) of \(viewer.lines.count)"
            let search = viewer.search.map { "  search '\($0)': \(viewer.matches.count) match\(viewer.matches.count == 1 ? "" : "es")" } ?? ""
            frame.put(position + search + (viewer.error.map { "  error: \($0)" } ?? ""), x: 1, y: statusY, style: Style(.dim), limit: state.width - 2)
        }
    }
}
