import PairEngine

/// Draws a state into a frame. Pure: the same state always gives the same frame.
public enum Render {
    public static let minimumWidth = 80
    public static let minimumHeight = 24

    public static func frame(_ state: ConsoleState) -> Frame {
        var frame = Frame(width: state.width, height: state.height, ascii: state.ascii)
        guard state.width >= minimumWidth, state.height >= minimumHeight else {
            tooSmall(&frame, state)
            return frame
        }
        header(&frame, state)
        switch (state.wallboard, state.screen) {
        case (_, .help): HelpView.draw(&frame, state)
        case (true, _): WallboardView.draw(&frame, state)
        case (false, .dashboard): DashboardView.draw(&frame, state)
        case (false, .logs): LogsView.draw(&frame, state)
        case (false, .runbook(let kind)): RunbookView.draw(&frame, state, kind: kind)
        case (false, .runs): RunsView.draw(&frame, state)
        }
        footer(&frame, state)
        return frame
    }

    static func tooSmall(_ frame: inout Frame, _ state: ConsoleState) {
        let lines = ["terminal too small (need \(minimumWidth)x\(minimumHeight), have \(state.width)x\(state.height))",
                     "enlarge the window, or use: pbsha status", "q quits"]
        for (index, line) in lines.enumerated() {
            let y = state.height / 2 - 1 + index
            frame.put(line, x: max(0, (state.width - line.count) / 2), y: y, style: Style(index == 0 ? .warning : .normal, bold: index == 0))
        }
    }

    /// Mode, pair, clock, data age and the overall verdict; always on the first row.
    static func header(_ frame: inout Frame, _ state: ConsoleState) {
        let bar = Style(.title, reverse: true)
        frame.fill(y: 0, style: bar)
        var x = frame.put(" pbsha ", x: 0, y: 0, style: Style(.title, bold: true, reverse: true))
        x = frame.put(" \(state.mode.rawValue) ", x: x + 1, y: 0, style: Style(state.mode == .live ? .accent : .warning, bold: true, reverse: true))
        let overall = state.report.map { $0.overall.rawValue.uppercased() } ?? "WAITING"
        let age = state.pair.map { "data \(Durations.format(Int(clamping: max(0, state.now - $0.observedAt)))) old" } ?? "reading..."
        let right = "\(clock(state.now)) \(age)\(state.refreshing ? " \(state.glyphs.refreshing)" : "") "
        let verdict = " \(overall) "
        let verdictX = state.width - verdict.count
        // A long pair name is cut, one column clear of the clock.
        x = frame.put(" \(state.pairName)", x: x, y: 0, style: bar, limit: max(0, verdictX - right.count - 2 - x))
        frame.put(right, x: verdictX - right.count - 1, y: 0, style: bar)
        // The active run on every screen: which runbook, which step, time against estimate.
        if let reading = state.runbook.reading, let kind = reading.active, let progress = reading.boards[kind]?.progress {
            // The longest form that fits whole, one column clear of the clock: a cut figure misleads.
            let room = verdictX - right.count - 2 - (x + 1)
            let step = " \(kind.uppercased()) \(progress.step)/\(progress.steps)"
            let forms = ["\(step) \(progress.elapsed)/\(progress.estimate)\(progress.late ? " LATE" : "") ",
                         "\(step)\(progress.late ? " LATE" : "") ", "\(step) "]
            if let text = forms.first(where: { $0.count <= room }) {
                frame.put(text, x: x + 1, y: 0, style: Style(progress.late ? .warning : .accent, bold: true, reverse: true))
            }
        }
        frame.put(verdict, x: verdictX, y: 0, style: Style(tone(state.report?.overall), bold: true, reverse: true))
    }

    static func footer(_ frame: inout Frame, _ state: ConsoleState) {
        let y = state.height - 1
        frame.fill(y: y, style: Style(.dim, reverse: true))
        if let flash = state.flash {
            frame.put(" \(flash.text)", x: 0, y: y, style: Style(.warning, bold: true, reverse: true))
            return
        }
        let keys: String
        if state.wallboard {
            keys = " q quit  ? help   read-only wallboard"
        } else {
            switch state.screen {
            case .dashboard: keys = " q quit  ? help  l logs  r refresh  Tab panel  j/k findings  f/b runbooks"
            case .logs: keys = state.logs.viewer == nil ? " q quit  ? help  Enter open  j/k move  d dashboard  Esc back"
                : " Esc close  / search  n/N next/prev  e first error  F follow  g/G top/end"
            case .help: keys = " Esc back  q quit"
            case .runs: keys = state.runs.report == nil ? " Enter report  j/k move  f/b runbooks  d dashboard  Esc back  q quit"
                : " j/k scroll  PgUp/PgDn page  g/G top/end  Esc close"
            case .runbook: keys = state.runbook.editor != nil ? " Enter submit  Esc cancel  Backspace erase  Ctrl-U clear"
                : " Enter act  j/k scroll  o pass  s skip  a assign  n note  X abort  p runs  Esc"
            }
        }
        frame.put(keys, x: 0, y: y, style: Style(.dim, reverse: true))
        if let notice = state.notice {
            frame.put(" \(notice) ", x: max(0, state.width - notice.count - 2), y: y, style: Style(.warning, reverse: true))
        }
    }

    static func tone(_ status: HealthStatus?) -> Tone {
        switch status {
        case .ok: return .ok
        case .warning: return .warning
        case .critical: return .critical
        case .unknown, nil: return .unknown
        }
    }

    static func tone(_ severity: Severity) -> Tone {
        switch severity {
        case .info: return .accent
        case .warning: return .warning
        case .critical: return .critical
        }
    }

    /// `07:52:01Z`.
    static func clock(_ epoch: Double) -> String { String(Timestamps.rfc3339(Int64(clamping: epoch)).suffix(9)) }

    /// `2026-11-27 07:52`.
    static func shortTime(_ epoch: Int64) -> String {
        let text = Timestamps.rfc3339(epoch)
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(5))
    }
}
