import PairEngine

/// Both nodes side by side, the sync job with its age as a big figure, verify, drift,
/// PVE targets and the findings, worst first. Fits 80x24 and grows with the terminal.
enum DashboardView {
    static func draw(_ frame: inout Frame, _ state: ConsoleState) {
        let width = state.width
        let half = width / 2
        let nodeHeight = state.height >= 40 ? 9 : 7
        for (index, role) in NodeRole.allCases.enumerated() {
            let x = index == 0 ? 0 : half
            drawNode(&frame, state, role, x: x, y: 1, width: index == 0 ? half : width - half, height: nodeHeight, focused: state.dashboard.focus == index)
        }
        var y = 1 + nodeHeight
        drawSync(&frame, state, y: y, width: width)
        y += 5
        y = drawSummaryLines(&frame, state, y: y, width: width)
        drawFindings(&frame, state, y: y, width: width, bottom: state.height - 2)
    }

    static func drawNode(_ frame: inout Frame, _ state: ConsoleState, _ role: NodeRole, x: Int, y: Int, width: Int, height: Int, focused: Bool) {
        let glyphs = state.glyphs
        let reading = state.pair.map { NodeCard($0.node(role)) }
        frame.box(x: x, y: y, width: width, height: height, title: "\(role.rawValue.uppercased()) \(reading?.host ?? "")",
                  glyphs: glyphs, style: Style(focused ? .accent : .dim, bold: focused))
        let inner = x + 2
        let limit = width - 4
        guard let reading else {
            frame.put("waiting for the first read...", x: inner, y: y + 1, style: Style(.dim), limit: limit)
            return
        }
        // A read under way for a few seconds: say how long; the figures below are its last answer.
        let waited = reading.waitingSince.map { max(0, state.now - $0) }.flatMap { $0 >= 3 ? Int(clamping: $0) : nil }
        if let waited, !reading.reachable, reading.failure == nil {
            frame.put("\(glyphs.bullet) NO ANSWER for \(Durations.format(waited))", x: inner, y: y + 1, style: Style(.warning, bold: true), limit: limit)
            frame.put("nothing read from it yet", x: inner, y: y + 2, style: Style(.dim), limit: limit)
            return
        }
        guard reading.reachable else {
            let since = state.downSince[role].map { "since \(Render.clock($0)) (\(Durations.format(Int(clamping: state.now - $0))))" } ?? ""
            frame.put("\(glyphs.bullet) DOWN \(since)", x: inner, y: y + 1, style: Style(.critical, bold: true), limit: limit)
            let message = reading.failure ?? "no answer"
            for (offset, line) in StatusText.wrap(message, width: limit, indent: 0).prefix(height - 3).enumerated() {
                frame.put(line, x: inner, y: y + 2 + offset, limit: limit)
            }
            return
        }
        var line = y + 1
        let latency = reading.latencyMs.map { "\(Int(clamping: $0.rounded())) ms" } ?? "?"
        if let waited {
            let end = frame.put("\(glyphs.bullet) NO ANSWER for \(Durations.format(waited))", x: inner, y: line,
                                style: Style(.warning, bold: true), limit: limit)
            frame.put("  (last answer)", x: end, y: line, style: Style(.dim), limit: max(0, inner + limit - end))
        } else {
            frame.put("\(glyphs.bullet) UP", x: inner, y: line, style: Style(.ok, bold: true))
            frame.put("\(latency)  PBS \(reading.version ?? "?")", x: inner + 6, y: line, limit: limit - 6)
        }
        line += 1
        frame.put("datastore \(reading.datastore)", x: inner, y: line, style: Style(.normal, bold: true), limit: limit)
        if let maintenance = reading.maintenance {
            frame.put("MAINT \(maintenance)", x: inner + 11 + reading.datastore.count, y: line, style: Style(.warning, bold: true),
                      limit: max(0, limit - 11 - reading.datastore.count))
        }
        line += 1
        if let usage = reading.usage {
            let fraction = usage.fraction
            let percent = " \(Int(clamping: fraction * 100)) %"
            let barWidth = max(4, limit - percent.count)
            let tone: Tone = fraction >= 0.95 ? .critical : fraction >= 0.85 ? .warning : .ok
            frame.bar(x: inner, y: line, width: barWidth, fraction: fraction, glyphs: glyphs, style: Style(tone))
            frame.put(percent, x: inner + barWidth, y: line, style: Style(tone, bold: true))
            line += 1
            frame.put("\(Bytes.format(usage.used)) of \(Bytes.format(usage.total)), \(Bytes.format(usage.available)) free", x: inner, y: line, limit: limit)
        } else {
            frame.put("usage unknown", x: inner, y: line, style: Style(.dim), limit: limit)
            line += 1
        }
        line += 1
        if let groups = reading.groups, let snapshots = reading.snapshots {
            frame.put("\(groups) groups  \(snapshots) snapshots", x: inner, y: line, limit: limit)
        }
        if height > 7 {
            line += 1
            if let skew = reading.clockSkew { frame.put("clock \(skew >= 0 ? "+" : "")\(skew)s vs console", x: inner, y: line, style: Style(.dim), limit: limit) }
            if !reading.refusedCalls.isEmpty {
                line += 1
                frame.put("\(reading.refusedCalls.count) call(s) refused: \(reading.refusedCalls.joined(separator: ", "))",
                          x: inner, y: line, style: Style(.warning), limit: limit)
            }
        }
    }

    static func drawSync(_ frame: inout Frame, _ state: ConsoleState, y: Int, width: Int) {
        let glyphs = state.glyphs
        let sync = state.report?.sync
        let title = "SYNC \(sync?.job ?? "")" + (sync?.schedule.map { " (\($0))" } ?? "")
        frame.box(x: 0, y: y, width: width, height: 5, title: title, glyphs: glyphs, style: Style(state.dashboard.focus == 2 ? .accent : .dim, bold: state.dashboard.focus == 2))
        guard let sync, state.pair?.secondary.reachable == true else {
            frame.put("unknown: the secondary could not be read", x: 2, y: y + 1, style: Style(.unknown, bold: true))
            return
        }
        let tone = Render.tone(sync.status)
        let stateWord = (sync.lastRunState?.rawValue ?? "never").uppercased()
        let lastRun = sync.lastRunEnd.map { "last run \(stateWord) \(Render.shortTime($0))" } ?? "last run \(stateWord)"
        frame.put(lastRun, x: 2, y: y + 1, style: Style(sync.lastRunState == .ok || sync.lastRunState == .running ? .normal : .warning), limit: 42)
        let next = sync.nextRun.map { "next \(Render.shortTime($0))" } ?? "no schedule"
        frame.put("\(next)   rate \(sync.rateLimit ?? "unlimited")", x: 2, y: y + 2, limit: 42)
        let failures = sync.consecutiveFailures
        frame.put("failures in a row: \(failures)", x: 2, y: y + 3,
                  style: Style(failures >= 3 ? .critical : failures > 0 ? .warning : .normal, bold: failures > 0), limit: 42)
        // The age of the last successful sync, large, against the RPO.
        let figure = sync.ageSeconds.map { Durations.format($0) } ?? "--"
        let rows = BigText.rows(figure, ascii: state.ascii)
        let label = ["LAST SUCCESS", "\(sync.status.rawValue.uppercased())", "RPO \(Durations.format(state.rpoSeconds))"]
        let figureX = width - rows[0].count - 15
        for (index, row) in rows.enumerated() {
            frame.put(row, x: max(44, figureX), y: y + 1 + index, style: Style(tone, bold: true))
            frame.put(label[index], x: width - 14, y: y + 1 + index, style: Style(index == 1 ? tone : .dim, bold: index == 1), limit: 13)
        }
    }

    static func drawSummaryLines(_ frame: inout Frame, _ state: ConsoleState, y: Int, width: Int) -> Int {
        var y = y
        let verify = state.report?.verify
        var x = frame.put("VERIFY ", x: 1, y: y, style: Style(.title, bold: true))
        if let verify, verify.status != .unknown || verify.snapshotsOK != nil {
            x = frame.put("\(verify.status.rawValue.uppercased()) ", x: x, y: y, style: Style(Render.tone(verify.status), bold: true))
            let age = verify.ageSeconds.map { "last ok \(Durations.format($0)) ago" } ?? "never ok"
            x = frame.put("\(verify.datastore): \(age)  \(verify.snapshotsOK ?? 0) ok  ", x: x, y: y)
            x = frame.put("\(verify.snapshotsFailed ?? 0) failed", x: x, y: y, style: Style((verify.snapshotsFailed ?? 0) > 0 ? .critical : .normal, bold: (verify.snapshotsFailed ?? 0) > 0))
            x = frame.put("  \(verify.snapshotsUnverified ?? 0) unverified", x: x, y: y)
            // States sync copied from the primary say nothing about this node's chunks; shown
            // only whole (a cut "104 ok" would read as verified), else the finding says it.
            if let upstream = verify.snapshotsVerifiedUpstreamOnly, upstream > 0 {
                let text = "  \(upstream) ok via sync"
                if x + text.count <= width - 1 { frame.put(text, x: x, y: y, style: Style(.dim)) }
            }
        } else {
            frame.put("unknown", x: x, y: y, style: Style(.unknown))
        }
        y += 1
        x = frame.put("DRIFT  ", x: 1, y: y, style: Style(.title, bold: true))
        if let drift = state.report?.drift {
            let tone: Tone = drift.missedBySync > 0 ? .warning : .normal
            frame.put("\(drift.missingOnSecondary) missing on secondary (\(drift.missedBySync) missed by sync), \(drift.onlyOnSecondary) only on secondary",
                      x: x, y: y, style: Style(tone), limit: width - x - 1)
        } else {
            frame.put("unknown (snapshot lists unavailable)", x: x, y: y, style: Style(.unknown))
        }
        y += 1
        x = frame.put("PVE    ", x: 1, y: y, style: Style(.title, bold: true))
        if let pair = state.pair, let report = state.report, !pair.pve.isEmpty {
            for (reading, target) in zip(pair.pve, report.targets) {
                let text = reading.reachable ? "\(reading.name)\(state.glyphs.arrow)\(target?.rawValue ?? "?")" : "\(reading.name): unreachable"
                let tone: Tone = !reading.reachable || target == .other ? .warning : target == .secondary ? .accent : .normal
                if x + text.count + 2 > width { break }
                x = frame.put(text, x: x, y: y, style: Style(tone)) + 2
            }
        } else {
            frame.put("none configured", x: x, y: y, style: Style(.dim))
        }
        return y + 1
    }

    static func drawFindings(_ frame: inout Frame, _ state: ConsoleState, y: Int, width: Int, bottom: Int) {
        let findings = state.report?.findings ?? []
        let focused = state.dashboard.focus == 3
        frame.put("FINDINGS (\(findings.count), worst first)", x: 1, y: y, style: Style(focused ? .accent : .title, bold: true))
        guard !findings.isEmpty else {
            frame.put(state.report == nil ? "waiting for the first read..." : "none: the pair looks healthy", x: 3, y: y + 1, style: Style(.ok))
            return
        }
        var row = y + 1
        for finding in findings.dropFirst(min(state.dashboard.findingsTop, findings.count - 1)) {
            guard row <= bottom else { break }
            let word = finding.severity.rawValue.uppercased().padding(toLength: 8, withPad: " ", startingAt: 0)
            frame.put(word, x: 1, y: row, style: Style(Render.tone(finding.severity), bold: true))
            let lines = StatusText.wrap("\(finding.message)", width: width - 11, indent: 0)
            for line in lines {
                guard row <= bottom else { break }
                frame.put(line, x: 10, y: row, limit: width - 11)
                row += 1
            }
        }
        let hidden = findings.count - state.dashboard.findingsTop
        if row > bottom, hidden > 0 {
            frame.put(" j/k scroll ", x: width - 13, y: y, style: Style(.dim))
        }
    }
}
