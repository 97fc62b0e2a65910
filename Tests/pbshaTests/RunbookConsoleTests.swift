import Foundation
import TestSupport
import Testing

/// The failover run from the console, the way the on-call engineer does it at 3am: on the
/// lab, with the primary down, every step through the prompt line, watched by a second
/// console and the wallboard, then quit and started again.
@Suite(.serialized) struct RunbookConsoleTests {
    @Test func aFailoverRunsFromTheConsoleAndEveryConsoleFollowsIt() async throws {
        let dir = Spawned.temporaryDirectory()
        let state = "\(dir)/lab"
        let lab = Spawned.start(["lab", "serve", "--state-dir", state], directory: dir)
        defer { stopProcess(lab.pid) }
        guard await lab.waitForOutput("ready") else { throw TmuxConsoleTests.LabDidNotStart(stderr: lab.stderr) }
        let config = "\(state)/pbsha.toml"
        func ctl(_ words: String...) async -> String {
            await Spawned.run(["lab", "ctl", "--state-dir", state] + words, directory: dir).out
        }
        #expect(await ctl("node", "primary", "down").contains("primary is down"))

        let tmux = Tmux(directory: dir)
        let console = "USER=alice \(Spawned.binary) --config \(config); echo EXIT=$?; sleep 120"
        await tmux.start("t", console)
        defer { Task { await tmux.kill() } }
        #expect(await tmux.waitFor("LAST SUCCESS", timeout: 40))
        await tmux.keys("f")
        #expect(await tmux.waitFor("Enter starts a failover run"))
        await tmux.keys("Enter")

        // Answer each prompt as it comes; the lab's time is pushed while a test backup runs.
        let second = tmux.on("u")
        var secondStarted = false
        var wallboardSawProgress = false
        let (_, answered, _) = await FailoverPrompts(tmux: tmux).drive(whileRunning: { _ = await ctl("advance", "10m") }) { lines in
            if !secondStarted, lines.contains(where: { $0.hasPrefix(" 1 ") && $0.hasSuffix(" done") }) {
                // A second console and the wallboard on the same journal, once step 1 is done.
                await tmux.start("u", "\(Spawned.binary) --config \(config); sleep 120")
                await tmux.start("w", "\(Spawned.binary) wallboard --config \(config); sleep 120")
                secondStarted = true
                #expect(await second.waitFor("LAST SUCCESS", timeout: 40))
                await second.keys("f")
            }
            if secondStarted, !wallboardSawProgress {
                let board = await tmux.on("w").screen()
                wallboardSawProgress = board.contains("FAILOVER ") && board.contains("/5 ")
            }
        }
        let done = await tmux.screen()
        #expect(done.contains("DONE: pbsha report failover-"), "\(done)")
        #expect(answered.contains("FAILOVER") && answered.contains("INC-4242"), "\(answered)")
        let rows = done.split(separator: "\n").filter { $0.range(of: #"^.[1-5] "#, options: .regularExpression) != nil }
        #expect(rows.count == 5, "\(done)")
        for row in rows {
            #expect(row.contains(" alice ") && row.contains(" done"), "every step done, with its owner: \(row)")
            #expect(row.range(of: #"\d\d:\d\d \d\d:\d\d"#, options: .regularExpression) != nil, "started and done times: \(row)")
        }
        // The second console shows the same run, finished, within a second or so.
        #expect(await second.waitFor("DONE: pbsha report failover-", timeout: 3))
        #expect(wallboardSawProgress, "the wallboard's header showed the run's progress")
        #expect(await tmux.on("w").screen().contains("READ-ONLY"))

        // Quit (no step runs, so no question), start again: the finished run is there.
        await tmux.keys("q")
        #expect(await tmux.waitFor("EXIT=0"))
        await tmux.start("again", "\(Spawned.binary) --config \(config); sleep 120")
        let again = tmux.on("again")
        #expect(await again.waitFor("LAST SUCCESS", timeout: 40))
        await again.keys("f")
        #expect(await again.waitFor("DONE: pbsha report failover-"))
        #expect(await again.screen().contains(" done"))
        // Past runs: the finished run is listed, and Enter shows its report.
        await again.keys("p")
        #expect(await again.waitFor("PAST RUNS"))
        #expect(await again.screen().contains(" done "))
        await again.keys("Enter")
        #expect(await again.waitFor("# Failover run failover-"))
        #expect(await again.screen().contains("started by alice"))
    }
}
