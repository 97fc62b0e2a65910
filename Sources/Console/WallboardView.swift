import PairEngine

/// The read-only board: the overall state, sync age, verify, drift and nodes, large enough
/// to read across a room.
enum WallboardView {
    static func draw(_ frame: inout Frame, _ state: ConsoleState) {
        let report = state.report
        let overall = report?.overall ?? .unknown
        let tone = Render.tone(overall)
        let word = report == nil ? "WAITING" : overall.rawValue.uppercased()
        // A full-width band with the verdict.
        for y in 2...4 { frame.fill(y: y, style: Style(tone, reverse: true)) }
        frame.put(word, x: (state.width - word.count) / 2, y: 3, style: Style(tone, bold: true, reverse: true))

        let halves = [(0, state.width / 2), (state.width / 2, state.width - state.width / 2)]
        let sync = report?.sync
        let syncAge = sync?.ageSeconds.map { Durations.format($0) } ?? "--"
        tile(&frame, state, x: halves[0].0, width: halves[0].1, y: 6, title: "LAST SUCCESSFUL SYNC (RPO \(Durations.format(state.rpoSeconds)))",
             figure: syncAge, tone: Render.tone(sync?.status))
        let verify = report?.verify
        let failed = verify?.snapshotsFailed
        tile(&frame, state, x: halves[1].0, width: halves[1].1, y: 6, title: "VERIFY: FAILED SNAPSHOTS",
             figure: failed.map(String.init) ?? "--", tone: Render.tone(verify?.status))
        let drift = report?.drift
        tile(&frame, state, x: halves[0].0, width: halves[0].1, y: 12, title: "MISSING ON SECONDARY",
             figure: drift.map { String($0.missingOnSecondary) } ?? "--", tone: (drift?.missedBySync ?? 0) > 0 ? .warning : .normal)
        let failures = sync?.consecutiveFailures
        tile(&frame, state, x: halves[1].0, width: halves[1].1, y: 12, title: "SYNC FAILURES IN A ROW",
             figure: failures.map(String.init) ?? "--", tone: (failures ?? 0) >= 3 ? .critical : (failures ?? 0) > 0 ? .warning : .ok)

        var y = 18
        for role in NodeRole.allCases {
            let node = state.pair?.node(role)
            let up = node?.reachable ?? false
            var x = frame.put("\(role.rawValue.uppercased()) ", x: 2, y: y, style: Style(.title, bold: true))
            x = frame.put(node == nil ? "?" : up ? "\(state.glyphs.bullet) UP" : "\(state.glyphs.bullet) DOWN", x: x, y: y,
                          style: Style(node == nil ? .unknown : up ? .ok : .critical, bold: true))
            if node != nil, !up, let since = state.downSince[role] {
                frame.put("  since \(Render.clock(since))", x: x, y: y, style: Style(.critical))
            } else if let status = node?.status, let node, status.total > 0 {
                frame.put("  \(node.datastoreName) \(Int(clamping: Double(status.used) * 100 / Double(status.total))) % used", x: x, y: y)
            }
            y += 1
        }
        if let worst = report?.findings.first(where: { $0.severity > .info }), y < state.height - 2 {
            frame.put(worst.message, x: 2, y: y + 1, style: Style(Render.tone(worst.severity), bold: true), limit: state.width - 4)
        }
    }

    static func tile(_ frame: inout Frame, _ state: ConsoleState, x: Int, width: Int, y: Int, title: String, figure: String, tone: Tone) {
        frame.put(title, x: x + 2, y: y, style: Style(.dim, bold: true), limit: width - 4)
        let rows = BigText.rows(figure, ascii: state.ascii)
        for (index, row) in rows.enumerated() {
            frame.put(row, x: x + max(2, (width - row.count) / 2), y: y + 1 + index, style: Style(tone, bold: true), limit: width - 2)
        }
    }
}
