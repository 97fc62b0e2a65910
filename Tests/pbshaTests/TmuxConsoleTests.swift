import Foundation
import TestSupport
import Testing

/// Drives the real console in tmux against a running lab, the way an operator would.
struct Tmux {
    let socket = "pbsha-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let directory: String

    @discardableResult
    func run(_ arguments: [String]) -> (code: Int32, out: String, err: String) {
        Spawned.run(["-L", socket] + arguments, directory: directory, environment: ["TERM": "xterm-256color"], executable: "/usr/bin/tmux", timeout: 20)
    }

    func screen() -> String { run(["capture-pane", "-p", "-t", "t"]).out }

    /// Polls the pane until `text` shows up.
    func waitFor(_ text: String, timeout: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if screen().contains(text) { return true }
            usleep(100_000)
        }
        return false
    }

    func keys(_ keys: String...) { run(["send-keys", "-t", "t"] + keys) }

    func kill() { run(["kill-server"]) }
}

@Suite(.serialized) struct TmuxConsoleTests {
    /// Starts a lab and returns its config path, plus the lab process to stop.
    func startLab(_ directory: String) throws -> (config: String, lab: Spawned) {
        let state = "\(directory)/lab"
        let lab = Spawned.start(["lab", "serve", "--state-dir", state], directory: directory)
        guard lab.waitForOutput("ready") else { throw LabDidNotStart(stderr: lab.stderr) }
        return ("\(state)/pbsha.toml", lab)
    }

    struct LabDidNotStart: Error { let stderr: String }

    /// Starts a lab and, in a detached 80x24 tmux session, `command` (with `CONFIG` replaced
    /// by the lab's config path); runs `body`, then stops both.
    func withConsole(_ command: String, _ body: (Tmux, String) throws -> Void) throws {
        let dir = Spawned.temporaryDirectory()
        let (config, lab) = try startLab(dir)
        defer { stopProcess(lab.pid) }
        let tmux = Tmux(directory: dir)
        defer { tmux.kill() }
        let line = command.replacingOccurrences(of: "PBSHA", with: Spawned.binary).replacingOccurrences(of: "CONFIG", with: config)
        tmux.run(["new-session", "-d", "-s", "t", "-x", "80", "-y", "24", line])
        try body(tmux, dir)
    }

    @Test func theConsoleShowsThePairOpensALogSurvivesResizeAndQuitsCleanly() throws {
        try withConsole("PBSHA --config CONFIG; echo EXIT=$?; sleep 120") { tmux, _ in
            #expect(tmux.waitFor("LAST SUCCESS"), "\(tmux.screen())")
            let dashboard = tmux.screen()
            #expect(dashboard.contains("PRIMARY 127.0.0.1"))
            #expect(dashboard.contains("SECONDARY 127.0.0.1"))
            #expect(dashboard.contains("● UP"))
            #expect(dashboard.contains("VERIFY OK mirror: last ok"))
            #expect(dashboard.contains("RPO 4h"))

            tmux.keys("l")
            #expect(tmux.waitFor("LOGS  sync and verify tasks of both nodes"))
            // Rows start on line 4 (index 3); a verify may be newest, so go to the first sync row.
            let rows = tmux.screen().split(separator: "\n", omittingEmptySubsequences: false).dropFirst(3)
            let sync = try #require(rows.firstIndex { $0.contains("secondary  sync") }, "\(tmux.screen())") - 3
            for _ in 0..<sync { tmux.keys("j") }
            tmux.keys("Enter")
            #expect(tmux.waitFor("Starting datastore sync job 'primary-hub:main"), "\(tmux.screen())")
            tmux.keys("/", "S", "u", "m", "m", "a", "r", "y", "Enter")
            #expect(tmux.waitFor("search 'Summary': 1 match"), "\(tmux.screen())")

            tmux.run(["resize-window", "-t", "t", "-x", "60", "-y", "20"])
            #expect(tmux.waitFor("terminal too small (need 80x24, have 60x20)"), "\(tmux.screen())")
            tmux.run(["resize-window", "-t", "t", "-x", "80", "-y", "24"])
            #expect(tmux.waitFor("search 'Summary'"), "\(tmux.screen())")
            tmux.keys("Escape")
            tmux.keys("d")
            #expect(tmux.waitFor("LAST SUCCESS"))

            tmux.keys("q")
            #expect(tmux.waitFor("EXIT=0"), "\(tmux.screen())")
            // The alternate screen is gone: the shell line is back and no frame is left.
            let after = tmux.screen()
            #expect(!after.contains("LAST SUCCESS"))
        }
    }

    @Test func theWallboardRefusesActionsAndQuitsOnQ() throws {
        try withConsole("NO_COLOR=1 PBSHA wallboard --config CONFIG; echo EXIT=$?; sleep 120") { tmux, _ in
            #expect(tmux.waitFor("LAST SUCCESSFUL SYNC"), "\(tmux.screen())")
            #expect(tmux.screen().contains("READ-ONLY"))
            tmux.keys("f")
            #expect(tmux.waitFor("read-only wallboard: only q (quit) and ? (help) work here"))
            tmux.keys("q")
            #expect(tmux.waitFor("EXIT=0"))
        }
    }

    @Test func anUnknownTermFallsBackAndSIGTERMRestoresTheTerminal() throws {
        try withConsole("TERM=xterm-ghostty PBSHA --config CONFIG; echo EXIT=$?; sleep 120") { tmux, dir in
            #expect(tmux.waitFor("TERM=xterm-ghostty unknown here; using xterm-256color"), "\(tmux.screen())")
            // The pane runs a shell; its only child is pbsha.
            let shell = tmux.run(["display-message", "-p", "-t", "t", "#{pane_pid}"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            let child = Spawned.run(["-P", shell], directory: dir, executable: "/usr/bin/pgrep").out
            let pid = try #require(pid_t(child.trimmingCharacters(in: .whitespacesAndNewlines)))
            kill(pid, SIGTERM)
            #expect(tmux.waitFor("EXIT=0"), "\(tmux.screen())")
            #expect(!tmux.screen().contains("LAST SUCCESS"))
        }
    }

    /// `pbsha --lab` makes a throw-away lab directory; every exit it can catch removes it.
    @Test(arguments: ["q", "INT", "TERM", "HUP"])
    func theThrowAwayLabIsRemovedOnEveryExit(exit: String) throws {
        let dir = Spawned.temporaryDirectory()
        let scratch = "\(dir)/tmp"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let tmux = Tmux(directory: dir)
        defer { tmux.kill() }
        tmux.run(["new-session", "-d", "-s", "t", "-x", "80", "-y", "24", "TMPDIR=\(scratch) \(Spawned.binary) --lab; echo EXIT=$?; sleep 120"])
        #expect(tmux.waitFor("LAST SUCCESS", timeout: 40), "\(tmux.screen())")
        let labs = { (try? FileManager.default.contentsOfDirectory(atPath: scratch))?.filter { $0.hasPrefix("pbsha-lab-") } ?? [] }
        #expect(labs().count == 1, "the lab lives in TMPDIR while the console runs")
        if exit == "q" {
            tmux.keys("q")
        } else {
            let shell = tmux.run(["display-message", "-p", "-t", "t", "#{pane_pid}"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            let child = Spawned.run(["-P", shell], directory: dir, executable: "/usr/bin/pgrep").out
            let pid = try #require(pid_t(child.trimmingCharacters(in: .whitespacesAndNewlines)))
            kill(pid, ["INT": SIGINT, "TERM": SIGTERM, "HUP": SIGHUP][exit]!)
        }
        #expect(tmux.waitFor("EXIT=0"), "\(tmux.screen())")
        #expect(labs().isEmpty, "left behind: \(labs())")
    }

    @Test func withoutATerminalTheConsolePrintsTheStatus() throws {
        let dir = Spawned.temporaryDirectory()
        let (config, lab) = try startLab(dir)
        defer { stopProcess(lab.pid) }
        let result = Spawned.run(["--config", config], directory: dir)
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
