@testable import Console
import PairEngine
import ProxmoxAPI
import Testing

@Suite struct UpdateTests {
    @Test func ticksRefreshOnTheIntervalAndNotWhileARefreshRuns() {
        var state = ConsoleState(mode: .live, pairName: "p", rpoSeconds: 14_400, width: 80, height: 24, now: 0, refreshInterval: 5)
        #expect(Update.apply(&state, .tick(100)) == [.refresh])
        #expect(Update.apply(&state, .tick(106)).isEmpty)   // still refreshing
        let pair = ConsoleFixture.pair()
        _ = Update.apply(&state, .observed(pair, HealthReport.evaluate(pair, policy: ConsoleFixture.policy)))
        #expect(Update.apply(&state, .tick(104)).isEmpty)
        #expect(Update.apply(&state, .tick(105)) == [.refresh])
    }

    /// The journal is read every second; an idle console draws once a second, not twice.
    @Test func onlyMessagesThatChangeTheViewAskForADrawing() {
        let state = RunbookFixture.state(.running)
        let shown = try! #require(state.runbook.reading)
        #expect(!Update.changesView(.tick(state.now + 1), state))
        #expect(!Update.changesView(.runbooksRead(shown), state))
        var moved = shown
        moved.active = nil
        #expect(Update.changesView(.runbooksRead(moved), state))
        #expect(Update.changesView(.runbooksFailed("locked"), state))
        #expect(Update.changesView(.key(.char("j")), state))
        var empty = state
        empty.runbook.reading = nil
        #expect(Update.changesView(.runbooksRead(shown), empty))
    }

    @Test func rRefreshesNowAndQQuits() {
        var state = ConsoleFixture.state()
        #expect(Update.apply(&state, .key(.char("r"))) == [.refreshEverything])
        #expect(Update.apply(&state, .key(.char("r"))).isEmpty)
        #expect(state.flash?.text == "a refresh is already running")
        #expect(Update.apply(&state, .key(.char("q"))) == [.quit])
        #expect(state.quitRequested)
    }

    @Test func signalsQuitToo() {
        var state = ConsoleFixture.state()
        #expect(Update.apply(&state, .terminate) == [.quit])
    }

    @Test func helpListsTheKeysOfTheScreenItCameFrom() {
        var state = ConsoleFixture.state()
        _ = Update.apply(&state, .key(.char("l")))
        _ = Update.apply(&state, .key(.char("?")))
        let text = Render.frame(state).text
        #expect(text.contains("HELP"))
        #expect(text.contains("search the open log"))
        _ = Update.apply(&state, .key(.escape))
        #expect(state.screen == .logs)
    }

    @Test func openingATaskLoadsItsLogFromLineOne() throws {
        var state = ConsoleFixture.state()
        _ = Update.apply(&state, .key(.char("l")))
        let text = Render.frame(state).text
        #expect(text.contains("secondary  sync    42s       OK"))
        let effects = Update.apply(&state, .key(.enter))
        let task = try #require(state.logs.viewer?.task)
        #expect(effects == [.loadLog(node: .secondary, upid: task.upid, from: 1)])
        _ = Update.apply(&state, .logLoaded(upid: task.upid, from: 1, lines: ["line one", "TASK OK"], active: false))
        #expect(Render.frame(state).text.contains("2 TASK OK"))
    }

    @Test func aRunningLogIsFollowed() throws {
        var state = ConsoleFixture.state(ConsoleFixture.pair(syncStatuses: []))
        var pair = ConsoleFixture.pair()
        pair.secondary.syncTasks = [ConsoleFixture.task("syncjob", "primary-hub:main:mirror::primary-mirror", start: ConsoleFixture.now - 5, status: nil)]
        _ = Update.apply(&state, .observed(pair, HealthReport.evaluate(pair, policy: ConsoleFixture.policy)))
        _ = Update.apply(&state, .key(.char("l")))
        // The selection stayed on its task; the new running one is at the top.
        _ = Update.apply(&state, .key(.home))
        _ = Update.apply(&state, .key(.enter))
        let upid = try #require(state.logs.viewer?.task.upid)
        #expect(state.logs.viewer?.follow == true)
        _ = Update.apply(&state, .logLoaded(upid: upid, from: 1, lines: (1...30).map { "line \($0)" }, active: true))
        #expect(state.logs.viewer?.top == 30 - LogsView.visibleLines(state))
        let effects = Update.apply(&state, .tick(state.now + 3))
        #expect(effects.contains(.loadLog(node: .secondary, upid: upid, from: 31)))
        _ = Update.apply(&state, .logLoaded(upid: upid, from: 31, lines: ["line 31", "TASK OK"], active: false))
        #expect(state.logs.viewer?.lines.count == 32)
        #expect(state.logs.viewer?.active == false)
        #expect(Render.frame(state).text.contains("32 TASK OK"))
    }

    @Test func searchFindsNextPreviousAndFirstError() throws {
        var state = ConsoleFixture.state()
        _ = Update.apply(&state, .key(.char("l")))
        _ = Update.apply(&state, .key(.enter))
        let upid = try #require(state.logs.viewer?.task.upid)
        var lines = (0..<100_000).map { "2026-11-27T06:00:00Z: line \($0)" }
        lines[70_000] = "2026-11-27T06:00:00Z: sync group vm/101 failed - connection reset"
        lines[90_000] = "2026-11-27T06:00:00Z: TASK ERROR: sync failed with some errors."
        _ = Update.apply(&state, .logLoaded(upid: upid, from: 1, lines: lines, active: false))
        for key in ["/", "l", "i", "n", "e", " ", "5", "0", "0", "0", "0"] { _ = Update.apply(&state, .key(.char(Character(key)))) }
        #expect(Render.frame(state).lines[22].hasPrefix("/line 50000_"))
        _ = Update.apply(&state, .key(.enter))
        #expect(state.logs.viewer?.top == 50_000)
        #expect(state.logs.viewer?.matches == [50_000])
        _ = Update.apply(&state, .key(.char("e")))
        #expect(state.logs.viewer?.top == 70_000)
        let frame = Render.frame(state)
        #expect(frame.lines[2].contains("70001") && frame.lines[2].contains("failed - connection reset"))
        #expect(frame.text.contains("lines 70001-70020 of 100000"))
        _ = Update.apply(&state, .key(.char("n")))
        #expect(state.logs.viewer?.top == 50_000)
        _ = Update.apply(&state, .key(.escape))
        #expect(state.logs.viewer == nil)
    }

    @Test func theWallboardRefusesEveryActionKey() {
        var state = ConsoleFixture.state(wallboard: true)
        let actionKeys: [Key] = ["r", "f", "b", "l", "d", "/", "e", "n", "F", "g", "G", "j", "k", " "].map { .char(Character($0)) }
            + [.enter, .tab, .backTab, .up, .down, .pageUp, .pageDown, .home, .end, .left, .right, .backspace]
        for key in actionKeys {
            let before = (state.screen, state.refreshing, state.logs.viewer == nil)
            #expect(Update.apply(&state, .key(key)).isEmpty, "\(key) started something")
            #expect(state.flash?.text.contains("read-only wallboard") == true)
            #expect((state.screen, state.refreshing, state.logs.viewer == nil) == before)
        }
        #expect(Update.apply(&state, .key(.char("?"))).isEmpty)
        #expect(state.screen == .help)
        #expect(Update.apply(&state, .key(.char("q"))) == [.quit])
    }

    @Test func theSelectionFollowsItsTaskWhenTheListResorts() {
        var state = ConsoleFixture.state(ConsoleFixture.pair(syncStatuses: ["OK", "OK", "OK"]))
        state.screen = .logs
        state.logs.selected = 1
        let chosen = state.tasks[1].upid
        var pair = ConsoleFixture.pair(syncStatuses: ["OK", "OK", "OK"])
        pair.secondary.syncTasks?.insert(ConsoleFixture.task("syncjob", "primary-hub:main:mirror::primary-mirror",
                                                             start: ConsoleFixture.now - 30, status: nil), at: 0)
        _ = Update.apply(&state, .observed(pair, HealthReport.evaluate(pair, policy: ConsoleFixture.policy)))
        #expect(state.tasks[state.logs.selected].upid == chosen)
        #expect(state.logs.selected == 2)
    }

    @Test func aStaleFollowPageIsNotAppendedAfterAReload() {
        var state = ConsoleFixture.state()
        state.screen = .logs
        _ = Update.apply(&state, .key(.enter))
        let upid = try! #require(state.logs.viewer?.task.upid)
        _ = Update.apply(&state, .logLoaded(upid: upid, from: 1, lines: ["1", "2", "3", "4", "5"], active: true))
        // A reload starts over; a follow page asked for earlier (from line 6) arrives late.
        _ = Update.apply(&state, .logLoaded(upid: upid, from: 1, lines: ["1", "2", "3"], active: true))
        _ = Update.apply(&state, .logLoaded(upid: upid, from: 6, lines: ["6"], active: true))
        #expect(state.logs.viewer?.lines == ["1", "2", "3"])
        _ = Update.apply(&state, .logLoaded(upid: upid, from: 4, lines: ["4"], active: false))
        #expect(state.logs.viewer?.lines == ["1", "2", "3", "4"])
    }

    @Test func theWallboardShowsTheVerdictLarge() {
        let pair = ConsoleFixture.pair(syncStatuses: ["x", "x", "x", "OK"])
        let frame = Render.frame(ConsoleFixture.state(pair, wallboard: true))
        #expect(frame.lines[0].contains("READ-ONLY"))
        #expect(frame.lines[3].contains("CRITICAL"))
        #expect(frame.text.contains("LAST SUCCESSFUL SYNC (RPO 4h)"))
        #expect(frame.text.contains("SYNC FAILURES IN A ROW"))
        #expect(frame.text.contains("PRIMARY ● UP"))
        #expect(frame.text.contains("sync failing for 3 runs in a row"))
    }

    @Test func theWallboardsTransportSendsOnlyGET() async throws {
        struct Recorder: HTTPTransport {
            func send(_ request: HTTPRequest, to endpoint: Endpoint) async throws(APIError) -> HTTPResponse { HTTPResponse(status: 200, body: []) }
        }
        let endpoint = Endpoint(host: "h", port: 1, fingerprint: Fingerprint(String(repeating: "00", count: 32))!)
        let transport = ReadOnlyTransport(Recorder())
        await #expect(throws: APIError.self) { try await transport.send(HTTPRequest(method: "POST", path: "/x"), to: endpoint) }
        #expect(try await transport.send(HTTPRequest(method: "GET", path: "/x"), to: endpoint).status == 200)
    }
}
