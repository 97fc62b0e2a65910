@testable import Console
import PairEngine
import Testing

/// What keys do on the runbook screen: effects out, never a change without the typed word.
@Suite struct RunbookScreenTests {
    private func type(_ text: String, into state: inout ConsoleState) -> [Effect] {
        text.flatMap { Update.apply(&state, .key(.char($0))) }
    }

    @Test func fOpensTheFailoverAndEnterStartsARun() {
        var state = ConsoleFixture.state()
        state.runbook.enabled = true
        state.runbook.reading = RunbookFixture.state(.plan).runbook.reading
        _ = Update.apply(&state, .key(.char("f")))
        #expect(state.screen == .runbook("failover"))
        #expect(Update.apply(&state, .key(.enter)) == [.runbook(.runbook("failover"), .advance(kind: "failover", typed: [], ticket: nil, overrides: [:]))])
        #expect(Update.apply(&state, .key(.enter)).isEmpty, "no second start while the first runs")
        #expect(state.flash?.text.contains("running in this console") == true)
    }

    @Test func theConfirmationWordMustBeTypedInFull() {
        var state = RunbookFixture.state(.confirm)
        state.runbook.editor = nil
        _ = Update.apply(&state, .key(.enter))
        #expect(state.runbook.editor?.label == "type FAILOVER to confirm: ")
        _ = type("failover", into: &state)
        #expect(Update.apply(&state, .key(.enter)).isEmpty)
        #expect(state.flash?.text == "typed 'failover', not FAILOVER: nothing changed")
        _ = Update.apply(&state, .key(.enter))
        _ = type("FAILOVER", into: &state)
        #expect(Update.apply(&state, .key(.enter)) == [.runbook(.runbook("failover"), .advance(kind: "failover", typed: ["FAILOVER"], ticket: nil, overrides: [:]))])
    }

    @Test func escCancelsTypingAndKeysDoNotLeakToOtherScreens() {
        var state = RunbookFixture.state(.confirm)
        // "d" and "q" while typing are letters, not the dashboard or quit.
        _ = type("dq", into: &state)
        #expect(state.screen == .runbook("failover") && !state.quitRequested)
        #expect(state.runbook.editor?.text == "FAILdq")
        #expect(Update.apply(&state, .key(.escape)).isEmpty)
        #expect(state.runbook.editor == nil && state.screen == .runbook("failover"))
    }

    @Test func softGatesAreAcknowledgedWithACK() {
        var state = RunbookFixture.state(.softGate)
        _ = Update.apply(&state, .key(.enter))
        _ = type("ACK", into: &state)
        #expect(Update.apply(&state, .key(.enter))
            == [.runbook(.runbook("failover"), .advance(kind: "failover", typed: ["ACK nothing-missed"], ticket: nil, overrides: [:]))])
    }

    @Test func aRefusedGateIsCheckedAgainByEnterAndOnlyAnOverridableOneTakesO() {
        var state = RunbookFixture.state(.refused)
        #expect(Update.apply(&state, .key(.enter)).count == 1)
        state.runbook.running = []
        _ = Update.apply(&state, .key(.char("o")))
        #expect(state.runbook.editor == nil)
        #expect(state.flash?.text.hasPrefix("o passes over a gate the runbook lets pass") == true)
    }

    @Test func skipAssignNoteAndAbortTakeATypedLine() {
        var state = RunbookFixture.state(.softGate)
        _ = Update.apply(&state, .key(.char("a")))
        _ = type("bob", into: &state)
        #expect(Update.apply(&state, .key(.enter)) == [.runbook(.runbook("failover"), .assign(kind: "failover", step: 1, to: "bob"))])
        _ = Update.apply(&state, .key(.char("X")))
        #expect(Update.apply(&state, .key(.enter)).isEmpty, "an empty reason aborts nothing")
        #expect(state.flash?.text == "nothing typed: nothing done")
    }

    @Test func quittingWhileAStepRunsAsksFirst() {
        var state = RunbookFixture.state(.running)
        #expect(Update.apply(&state, .key(.char("q"))).isEmpty)
        #expect(state.flash?.text.hasPrefix("a step is running: q again quits") == true)
        _ = Update.apply(&state, .key(.char("j")))
        #expect(Update.apply(&state, .key(.char("q"))).isEmpty, "another key disarmed it")
        #expect(Update.apply(&state, .key(.char("q"))) == [.cancel(.runbook("failover")), .quit])
    }

    @Test func anAnswerIsReadBackAtOnce() {
        var state = RunbookFixture.state(.running)
        state.runbook.readable = true
        #expect(Update.apply(&state, .runbookAnswered(kind: "failover", message: "waiting at step 4: x")) == [.readRunbooks])
        #expect(state.runbook.running.isEmpty)
        #expect(state.flash?.text == "waiting at step 4: x")
    }

    /// The wallboard shows the run's progress and offers no action.
    @Test func theWallboardShowsProgressAndRefusesRunbookKeys() {
        var state = ConsoleFixture.state(wallboard: true)
        state.runbook.reading = RunbookFixture.state(.running).runbook.reading
        state.now = Double(RunbookFixture.t0 + 500)
        let header = Render.frame(state).lines[0]
        #expect(header.contains("FAILOVER 3/5 8m/17m"), "\(header)")
        for key in ["f", "b"] {
            #expect(Update.apply(&state, .key(.char(Character(key)))).isEmpty)
            #expect(state.screen == .dashboard)
        }
    }

    /// While step 3's test backup runs, its log is read from the PVE host that runs it and
    /// the newest lines follow under the step, a page a second, until the task ends.
    @Test func theTaskAStepWaitsOnIsFollowedLive() throws {
        var state = RunbookFixture.state(.running)
        state.runbook.taskLog = nil
        (state.runbook.lastRead, state.lastRefresh) = (state.now, state.now)
        let task = TaskRef(.pve(host: "pve-a", node: "pve1"), upid: RunbookFixture.backupUPID, label: "test backup of 100 on pve1")
        #expect(Update.apply(&state, .tick(state.now)) == [.loadRunbookTaskLog(task, from: 1)])
        #expect(Render.frame(state).text.contains("TASK LOG  test backup of 100 on pve1 (reading)"))
        _ = Update.apply(&state, .runbookTaskLogLoaded(upid: task.upid, from: 1, lines: RunbookFixture.backupLog, active: true))
        #expect(Update.apply(&state, .tick(state.now + 0.5)).isEmpty, "one page a second")
        #expect(Update.apply(&state, .tick(state.now + 1)).contains(.loadRunbookTaskLog(task, from: 8)))
        // A page that does not continue what was read (asked for before a restart) is dropped.
        _ = Update.apply(&state, .runbookTaskLogLoaded(upid: task.upid, from: 2, lines: ["stale"], active: true))
        #expect(state.runbook.taskLog?.lines.count == 7)
        _ = Update.apply(&state, .runbookTaskLogLoaded(upid: task.upid, from: 8, lines: ["INFO: backup is sparse", "TASK OK"], active: false))
        let text = Render.frame(state).text
        #expect(text.contains("TASK LOG  test backup of 100 on pve1 (ended)") && text.contains("TASK OK"), "\(text)")
        #expect(!text.contains("INFO: starting new backup job"), "the newest six lines only")
        #expect(!Update.apply(&state, .tick(state.now + 5)).contains { if case .loadRunbookTaskLog = $0 { true } else { false } }, "an ended task is not read again")
    }

    /// A log that cannot be read says why and is tried again a second later.
    @Test func anUnreadableTaskLogSaysWhyAndIsTriedAgain() {
        var state = RunbookFixture.state(.running)
        state.runbook.taskLog = nil
        (state.runbook.lastRead, state.lastRefresh) = (state.now, state.now)
        let effects = Update.apply(&state, .tick(state.now))
        _ = Update.apply(&state, .runbookTaskLogFailed(upid: RunbookFixture.backupUPID, message: "pve-a: task access not allowed"))
        #expect(Render.frame(state).text.contains("cannot read it: pve-a: task access not allowed"))
        #expect(Update.apply(&state, .tick(state.now + 1)) == effects)
    }

    /// On another screen nothing is followed.
    @Test func noTaskLogIsReadOffTheRunbookScreen() {
        var state = RunbookFixture.state(.running)
        state.runbook.taskLog = nil
        (state.runbook.lastRead, state.lastRefresh) = (state.now, state.now)
        state.screen = .dashboard
        #expect(Update.apply(&state, .tick(state.now)).allSatisfy { if case .loadRunbookTaskLog = $0 { false } else { true } })
    }
}
