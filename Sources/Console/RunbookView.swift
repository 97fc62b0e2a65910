import PairEngine

/// The runbook screen: the checklist as a table, the current step's detail under it (gates
/// hard and soft apart, planned changes with their diff and blast radius, API writes, notes,
/// guidance), and the prompt line. Every state is said in words; colour only repeats them.
enum RunbookView {
    static let columns: [(title: String, constraint: Constraint)] = [
        ("#", .fixed(3)), ("STEP", .fill), ("OWNER", .fixed(10)), ("ASSIGNEE", .fixed(9)), ("EST", .fixed(6)),
        ("START", .fixed(6)), ("DONE", .fixed(6)), ("ELAPSED", .fixed(8)), ("STATUS", .fixed(13)),
    ]

    static func draw(_ frame: inout Frame, _ state: ConsoleState, kind: String) {
        let area = Rect(x: 0, y: 1, width: state.width, height: state.height - 2)
        guard let board = state.runbook.reading?.boards[kind] else {
            let text = state.runbook.problems[kind].map { "the \(kind) runbook cannot be read: \($0)" } ?? "reading the journal..."
            frame.put(text, x: 1, y: area.y + 1, style: Style(state.runbook.problems[kind] == nil ? .dim : .critical), limit: area.width - 2)
            return
        }
        let parts = Layout.rows(area, [.fixed(1), .fixed(1), .fixed(board.rows.count), .fixed(1), .fill, .fixed(1)])
        title(&frame, board, parts[0])
        table(&frame, state, board, head: parts[1], body: parts[2])
        frame.fill(y: parts[3].y, style: Style(.dim))
        let heading = "step \(board.current)/\(board.rows.count): \(board.rows[board.current - 1].title)"
        frame.put(" \(heading) ", x: 1, y: parts[3].y, style: Style(.title, bold: true), limit: area.width - 2)
        detail(&frame, state, board, parts[4])
        prompt(&frame, state, board, parts[5])
    }

    private static func title(_ frame: inout Frame, _ board: RunbookBoard, _ area: Rect) {
        let x = frame.put(board.kind.uppercased(), x: 1, y: area.y, style: Style(.accent, bold: true))
        let run = board.runID.map { "run \($0) \(board.state)" } ?? "no run yet"
        let right = "\(run)\(board.drill.map { "  DRILL \($0)" } ?? "")"
        frame.put(right, x: max(x + 2, area.width - right.count - 1), y: area.y, style: Style(.dim))
        frame.put(board.title, x: x + 2, y: area.y, limit: max(0, area.width - right.count - x - 4))
    }

    private static func table(_ frame: inout Frame, _ state: ConsoleState, _ board: RunbookBoard, head: Rect, body: Rect) {
        let cells = Layout.columns(head, columns.map(\.constraint))
        for (index, column) in columns.enumerated() {
            frame.put(column.title, x: cells[index].x, y: head.y, style: Style(.dim, bold: true), limit: cells[index].width - 1)
        }
        for (offset, row) in board.rows.enumerated() where offset < body.height {
            let y = body.y + offset
            let current = row.number == board.current && board.state == "active"
            let values = ["\(current ? String(state.glyphs.arrow) : " ")\(row.number)", row.title, row.owner, row.assignee, row.estimate, row.started, row.done, row.elapsed, row.status]
            for (index, value) in values.enumerated() {
                let style = index == values.count - 1 ? Style(tone(row), bold: row.late || current) : Style(current ? .accent : .normal, bold: current)
                frame.put(value, x: cells[index].x, y: y, style: style, limit: cells[index].width - 1)
            }
        }
    }

    static func tone(_ row: RunbookBoard.Row) -> Tone {
        if row.status.hasPrefix("failed") || row.status.hasPrefix("refused") { return .critical }
        if row.late || row.status.hasPrefix("waiting") { return .warning }
        if row.status.hasPrefix("done") { return .ok }
        return row.status.hasPrefix("running") ? .accent : .dim
    }

    /// The detail as lines, scrolled by `detailTop`.
    private static func detail(_ frame: inout Frame, _ state: ConsoleState, _ board: RunbookBoard, _ area: Rect) {
        let lines = detailLines(board, taskLog: state.runbook.taskLog, width: area.width - 2)
        let top = min(state.runbook.detailTop, max(0, lines.count - area.height))
        for (offset, line) in lines.dropFirst(top).prefix(area.height).enumerated() {
            frame.put(line.text, x: 1 + line.indent, y: area.y + offset, style: line.style, limit: area.width - 2 - line.indent)
        }
        if lines.count - top > area.height {
            frame.put("more: j", x: area.width - 8, y: area.y + area.height - 1, style: Style(.dim, reverse: true))
        }
    }

    struct Line {
        var text: String
        var style: Style = .plain
        var indent = 0
    }

    /// Word-wrapped to `width`: nothing an operator must read is cut off at the edge.
    /// Lines of a followed task log shown under the step.
    static let taskLogShown = 6

    static func detailLines(_ board: RunbookBoard, taskLog: RunbookScreenState.TaskLogFollow? = nil, width: Int) -> [Line] {
        let detail = board.detail
        var lines: [Line] = []
        func wrapped(_ text: String, _ style: Style, indent: Int = 0, hanging: Int = 2) {
            for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
                for line in StatusText.wrap(String(paragraph), width: max(10, width - indent), indent: hanging) {
                    lines.append(Line(text: line, style: style, indent: indent))
                }
            }
        }
        if let message = detail.message { wrapped(message, Style(.warning)) }
        if let waiting = detail.waitingFor {
            lines.append(Line(text: "WAITING FOR", style: Style(.warning, bold: true)))
            wrapped(waiting, .plain, indent: 1)
        }
        if let task = detail.task {
            let log = taskLog?.upid == task.upid ? taskLog : nil
            let state = log.map { $0.read == 0 && $0.loading ? "reading" : $0.active ? "running" : "ended" } ?? "reading"
            lines.append(Line(text: "TASK LOG  \(task.label) (\(state))", style: Style(.title, bold: true)))
            if let error = log?.error { wrapped("cannot read it: \(error)", Style(.warning), indent: 1) }
            // The newest lines, one row each: a log line is long and the pane is short.
            lines += (log?.lines ?? []).suffix(taskLogShown).map { Line(text: $0, style: Style(.dim), indent: 1) }
        }
        func checks(_ heading: String, _ list: [RunbookBoard.Check]) {
            guard !list.isEmpty else { return }
            lines.append(Line(text: heading, style: Style(.title, bold: true)))
            for check in list {
                let tone: Tone = check.passed ? .ok : check.result == "FAILED" ? .critical : .warning
                wrapped("\(check.result.padding(toLength: 13, withPad: " ", startingAt: 0))\(check.name): \(check.message)",
                        Style(tone), indent: 1, hanging: 15)
            }
        }
        checks("HARD GATES (refuse)", detail.hardChecks)
        checks("SOFT GATES (typed acknowledgment)", detail.softChecks)
        if !detail.changes.isEmpty {
            lines.append(Line(text: "CHANGES  blast radius \(detail.blastRadius ?? "-")", style: Style(.title, bold: true)))
            for change in detail.changes {
                let result = change.result.map { "[\($0)] " } ?? "[planned] "
                lines.append(Line(text: result + change.line, style: Style(change.result == "failed" ? .critical : .normal, bold: true), indent: 1))
                for diff in change.diff {
                    let tone: Tone = diff.hasPrefix("+") ? .ok : diff.hasPrefix("-") ? .critical : .dim
                    lines.append(Line(text: diff, style: Style(tone), indent: 3))
                }
            }
        }
        if !detail.writes.isEmpty {
            lines.append(Line(text: "API WRITES", style: Style(.title, bold: true)))
            lines += detail.writes.map { Line(text: $0, style: Style(.dim), indent: 1) }
        }
        if !detail.notes.isEmpty {
            lines.append(Line(text: "NOTES", style: Style(.title, bold: true)))
            lines += detail.notes.map { Line(text: $0, indent: 1) }
        }
        lines.append(Line(text: "GUIDANCE", style: Style(.title, bold: true)))
        wrapped(detail.guidance.joined(separator: " "), Style(.dim), indent: 1, hanging: 0)
        return lines
    }

    private static func prompt(_ frame: inout Frame, _ state: ConsoleState, _ board: RunbookBoard, _ area: Rect) {
        if let editor = state.runbook.editor {
            editor.draw(&frame, area)
            return
        }
        let (text, tone) = promptText(board, runningHere: state.runbook.running.contains(board.kind))
        frame.fill(y: area.y, style: .plain)
        frame.put(text, x: 1, y: area.y, style: Style(tone, bold: true), limit: area.width - 2)
    }

    static func promptText(_ board: RunbookBoard, runningHere: Bool) -> (String, Tone) {
        if runningHere { return ("RUNNING step \(board.current): the engine is at work; the table follows the journal", .accent) }
        switch board.prompt {
        case .start: return ("Enter starts a \(board.kind) run (gates first; nothing changes until you confirm)", .accent)
        case .run: return ("Enter runs step \(board.current)", .accent)
        case .enter(let reason):
            // The engine's words name the scripted way too; here only the console's counts.
            let what = reason.components(separatedBy: " (Enter in the console").first ?? reason
            return ("CONFIRM: Enter. \(what)", .warning)
        case let .word(word, reason):
            return ("CONFIRM: Enter, then type \(word). \(reason.components(separatedBy: ": type ").first ?? reason)", .warning)
        case .acknowledge(let gates): return ("ACKNOWLEDGE \(gates.joined(separator: ", ")): Enter, then type ACK", .warning)
        case .ticket: return ("TICKET: Enter, then type the primary's recovery ticket reference", .warning)
        case let .refused(gate, _, overridable):
            // Why and the fix are the gate's own words, in full above.
            return ("REFUSED by \(gate): fix what it says above, then Enter checks again\(overridable ? "; o passes over it" : "")", .critical)
        case .waiting(let reason): return ("WAITING: \(reason). Enter checks again", .warning)
        case .running: return ("RUNNING elsewhere (another console or command); Enter if that has stopped", .accent)
        case .finished: return ("DONE: pbsha report \(board.runID ?? "") prints the timeline", .ok)
        }
    }
}
