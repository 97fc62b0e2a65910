@testable import Console
@testable import PairEngine
import Testing

/// The past runs screen: the journal's runs listed newest first, a run's report opened with
/// Enter and scrolled, Esc back the way the operator came.
@Suite struct RunsScreenTests {
    /// The finished fixture run and an aborted one begun later.
    private func state() -> ConsoleState {
        var state = RunbookFixture.state(.done)
        var aborted = RunState(id: "failback-20261127070000", runbook: "failback", startedBy: "bob", started: RunbookFixture.t0 + 3600,
                               state: .aborted, steps: [])
        aborted.abortReason = "begun by mistake"
        state.runbook.readable = true
        state.runbook.reading?.runs.insert(aborted, at: 0)
        return state
    }

    @Test func pListsTheRunsNewestFirstAndEnterOpensTheReport() {
        var state = state()
        _ = Update.apply(&state, .key(.char("p")))
        #expect(state.screen == .runs)
        let list = Render.frame(state).text
        let rows = list.split(separator: "\n").map(String.init)
        let aborted = rows.firstIndex { $0.contains("failback-20261127070000") && $0.contains("aborted") && $0.contains("bob") }
        let done = rows.firstIndex { $0.contains(RunbookFixture.id) && $0.contains("done") && $0.contains("5/5") }
        #expect(aborted != nil && done != nil && aborted! < done!, "\(list)")

        _ = Update.apply(&state, .key(.char("j")))
        _ = Update.apply(&state, .key(.enter))
        #expect(state.runs.report == RunbookFixture.id)
        let report = Render.frame(state).text
        #expect(report.contains("# Failover run \(RunbookFixture.id)") && report.contains("- started by alice"), "\(report)")
        #expect(report.contains("more: j"), "the report is longer than a screen")
        for _ in 0..<40 { _ = Update.apply(&state, .key(.char("j"))) }
        let end = Render.frame(state).text
        #expect(end.contains("note: ticket: INC-4242") && !end.contains("more: j"), "\(end)")

        _ = Update.apply(&state, .key(.escape))
        #expect(state.runs.report == nil && state.screen == .runs)
        _ = Update.apply(&state, .key(.escape))
        #expect(state.screen == .runbook("failover"), "Esc returns to the screen p was pressed on")
    }

    /// A new run listed at the top keeps the selection on the run it was on.
    @Test func theSelectionFollowsItsRun() {
        var state = state()
        _ = Update.apply(&state, .key(.char("p")))
        _ = Update.apply(&state, .key(.char("G")))
        #expect(state.runs.selected == RunbookFixture.id)
        let newer = RunState(id: "failover-20261128000000", runbook: "failover", startedBy: "carol", started: RunbookFixture.t0 + 86_400, state: .active, steps: [])
        state.runbook.reading?.runs.insert(newer, at: 0)
        _ = Update.apply(&state, .key(.enter))
        #expect(state.runs.report == RunbookFixture.id)
    }

    @Test func anEmptyJournalSaysSoAndTheWallboardHasNoRunsKey() {
        var state = ConsoleFixture.state()
        state.runbook.readable = true
        state.runbook.reading = RunbookDesk.Reading(boards: [:], runs: [], active: nil)
        _ = Update.apply(&state, .key(.char("p")))
        #expect(Render.frame(state).text.contains("no runs in the journal yet"))
        _ = Update.apply(&state, .key(.enter))
        #expect(state.flash?.text == "no runs in the journal yet")

        var board = ConsoleFixture.state()
        board.wallboard = true
        _ = Update.apply(&board, .key(.char("p")))
        #expect(board.screen == .dashboard)
    }
}
