import Foundation
import TestSupport
import Testing

/// Drives the real console in tmux against a running lab, the way an operator would.
struct Tmux {
    let socket = "pbsha-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let directory: String
    /// The session that `screen`, `keys` and `waitFor` address.
    var target = "t"

    /// The same tmux server, addressing another session.
    func on(_ session: String) -> Tmux {
        var other = self
        other.target = session
        return other
    }

    @discardableResult
    func run(_ arguments: [String]) async -> (code: Int32, out: String, err: String) {
        await Spawned.run(["-L", socket] + arguments, directory: directory, environment: ["TERM": "xterm-256color"], executable: "/usr/bin/tmux", timeout: 20)
    }

    func screen() async -> String { await run(["capture-pane", "-p", "-t", target]).out }

    /// Polls the pane until `text` shows up; records an issue showing the last screen when it
    /// does not. Polls without holding a thread of the cooperative pool, which tests running
    /// beside this one need.
    @discardableResult
    func waitFor(_ text: String, timeout: Double = 20, sourceLocation: SourceLocation = #_sourceLocation) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = await screen()
            if last.contains(text) { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("'\(text)' did not show within \(timeout) s; the screen:\n\(last)", sourceLocation: sourceLocation)
        return false
    }

    func keys(_ keys: String...) async { await run(["send-keys", "-t", target] + keys) }

    /// Types text literally (no key names).
    func type(_ text: String) async { await run(["send-keys", "-t", target, "-l", text]) }

    /// Starts `command` in a new detached 80x24 session.
    func start(_ session: String, _ command: String) async { await run(["new-session", "-d", "-s", session, "-x", "80", "-y", "24", command]) }

    func kill() async { await run(["kill-server"]) }
}

@Suite(.serialized) struct TmuxConsoleTests {
    /// Starts a lab and returns its config path, plus the lab process to stop.
    func startLab(_ directory: String) async throws -> (config: String, lab: Spawned) {
        let state = "\(directory)/lab"
        let lab = Spawned.start(["lab", "serve", "--state-dir", state], directory: directory)
        guard await lab.waitForOutput("ready") else { throw LabDidNotStart(stderr: lab.stderr) }
        return ("\(state)/pbsha.toml", lab)
    }

    struct LabDidNotStart: Error { let stderr: String }

    /// Starts a lab and, in a detached 80x24 tmux session, `command` (with `CONFIG` replaced
    /// by the lab's config path); runs `body`, then stops both.
    func withConsole(_ command: String, _ body: (Tmux, String) async throws -> Void) async throws {
        let dir = Spawned.temporaryDirectory()
        let (config, lab) = try await startLab(dir)
        defer { stopProcess(lab.pid) }
        let tmux = Tmux(directory: dir)
        let line = command.replacingOccurrences(of: "PBSHA", with: Spawned.binary).replacingOccurrences(of: "CONFIG", with: config)
        await tmux.run(["new-session", "-d", "-s", "t", "-x", "80", "-y", "24", line])
        do {
            try await body(tmux, dir)
        } catch {
            await tmux.kill()
            throw error
        }
        await tmux.kill()
    }

    @Test func theConsoleShowsThePairOpensALogSurvivesResizeAndQuitsCleanly() async throws {
        try await withConsole("PBSHA --config CONFIG; echo EXIT=$?; sleep 120") { tmux, _ in
            await tmux.waitFor("LAST SUCCESS")
            let dashboard = await tmux.screen()
            #expect(dashboard.contains("PRIMARY 127.0.0.1"))
            #expect(dashboard.contains("SECONDARY 127.0.0.1"))
            #expect(dashboard.contains("● UP"))
            #expect(dashboard.contains("VERIFY OK mirror: last ok"))
            #expect(dashboard.contains("RPO 4h"))

            await tmux.keys("l")
            await tmux.waitFor("LOGS  sync and verify tasks of both nodes")
            // Rows start on line 4 (index 3); a verify may be newest, so go to the first sync row.
            let logs = await tmux.screen()
            let rows = logs.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(3)
            let sync = try #require(rows.firstIndex { $0.contains("secondary  sync") }, "\(logs)") - 3
            for _ in 0..<sync { await tmux.keys("j") }
            await tmux.keys("Enter")
            await tmux.waitFor("Starting datastore sync job 'primary-hub:main")
            await tmux.keys("/", "S", "u", "m", "m", "a", "r", "y", "Enter")
            await tmux.waitFor("search 'Summary': 1 match")

            await tmux.run(["resize-window", "-t", "t", "-x", "60", "-y", "20"])
            await tmux.waitFor("terminal too small (need 80x24, have 60x20)")
            await tmux.run(["resize-window", "-t", "t", "-x", "80", "-y", "24"])
            await tmux.waitFor("search 'Summary'")
            await tmux.keys("Escape")
            await tmux.keys("d")
            await tmux.waitFor("LAST SUCCESS")

            await tmux.keys("q")
            await tmux.waitFor("EXIT=0")
            // The alternate screen is gone: the shell line is back and no frame is left.
            let after = await tmux.screen()
            #expect(!after.contains("LAST SUCCESS"))
        }
    }

    @Test func theWallboardRefusesActionsAndQuitsOnQ() async throws {
        try await withConsole("NO_COLOR=1 PBSHA wallboard --config CONFIG; echo EXIT=$?; sleep 120") { tmux, _ in
            await tmux.waitFor("LAST SUCCESSFUL SYNC")
            #expect(await tmux.screen().contains("READ-ONLY"))
            await tmux.keys("f")
            await tmux.waitFor("read-only wallboard: only q (quit) and ? (help) work here")
            await tmux.keys("q")
            await tmux.waitFor("EXIT=0")
        }
    }

    @Test func anUnknownTermFallsBackAndSIGTERMRestoresTheTerminal() async throws {
        try await withConsole("TERM=xterm-ghostty PBSHA --config CONFIG; echo EXIT=$?; sleep 120") { tmux, dir in
            await tmux.waitFor("TERM=xterm-ghostty unknown here; using xterm-256color")
            // The pane runs a shell; its only child is pbsha.
            let shell = await tmux.run(["display-message", "-p", "-t", "t", "#{pane_pid}"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            let child = await Spawned.run(["-P", shell], directory: dir, executable: "/usr/bin/pgrep").out
            let pid = try #require(pid_t(child.trimmingCharacters(in: .whitespacesAndNewlines)))
            kill(pid, SIGTERM)
            await tmux.waitFor("EXIT=0")
            #expect(await !tmux.screen().contains("LAST SUCCESS"))
        }
    }

    /// `pbsha --lab` makes a throw-away lab directory; every exit it can catch removes it.
    @Test(arguments: ["q", "INT", "TERM", "HUP"])
    func theThrowAwayLabIsRemovedOnEveryExit(exit: String) async throws {
        let dir = Spawned.temporaryDirectory()
        let scratch = "\(dir)/tmp"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let tmux = Tmux(directory: dir)
        await tmux.run(["new-session", "-d", "-s", "t", "-x", "80", "-y", "24", "TMPDIR=\(scratch) \(Spawned.binary) --lab; echo EXIT=$?; sleep 120"])
        await tmux.waitFor("LAST SUCCESS", timeout: 40)
        let labs = { (try? FileManager.default.contentsOfDirectory(atPath: scratch))?.filter { $0.hasPrefix("pbsha-lab-") } ?? [] }
        #expect(labs().count == 1, "the lab lives in TMPDIR while the console runs")
        if exit == "q" {
            await tmux.keys("q")
        } else {
            let shell = await tmux.run(["display-message", "-p", "-t", "t", "#{pane_pid}"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            let child = await Spawned.run(["-P", shell], directory: dir, executable: "/usr/bin/pgrep").out
            let pid = try #require(pid_t(child.trimmingCharacters(in: .whitespacesAndNewlines)))
            kill(pid, ["INT": SIGINT, "TERM": SIGTERM, "HUP": SIGHUP][exit]!)
        }
        await tmux.waitFor("EXIT=0")
        #expect(labs().isEmpty, "left behind: \(labs())")
        await tmux.kill()
    }

    @Test func withoutATerminalTheConsolePrintsTheStatus() async throws {
        let dir = Spawned.temporaryDirectory()
        let (config, lab) = try await startLab(dir)
        defer { stopProcess(lab.pid) }
        let result = await Spawned.run(["--config", config], directory: dir)
        #expect(result.code == 0)
        #expect(result.err.contains("no interactive terminal"))
        #expect(result.out.contains("SYNC       primary-mirror"))
    }
}

/// Stops a lab process and reaps it.
func stopProcess(_ pid: pid_t) {
    kill(pid, SIGTERM)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
}
