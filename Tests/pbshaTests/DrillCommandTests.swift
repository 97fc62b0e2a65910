import Foundation
import TestSupport
import Testing

/// `pbsha drill list` and a lab staged with a scenario, as an operator uses them.
@Suite(.serialized) struct DrillCommandTests {
    @Test func drillListNamesEveryScenarioWithItsRunbookAndRTO() async {
        let result = await Spawned.run(["drill", "list"], directory: Spawned.temporaryDirectory())
        #expect(result.code == 0)
        let lines = result.out.split(separator: "\n")
        #expect(lines.count == 7, "\(result.out)")
        #expect(lines.contains { $0.hasPrefix("2-silent-sync-failure ") && $0.contains(" failover ") && $0.contains("RTO 40m") })
        #expect(lines.contains { $0.hasPrefix("5-failback-primary-only-snapshot ") && $0.contains(" failback ") })
    }

    /// The silent sync failure is staged as history: three days of failed hourly syncs, then
    /// the primary down; the story is printed before `ready`.
    @Test func aStagedLabTellsTheStoryAndHasTheHistory() async {
        let dir = Spawned.temporaryDirectory()
        let state = "\(dir)/lab"
        let lab = Spawned.start(["lab", "serve", "--state-dir", state, "--scenario", "2-silent-sync-failure"], directory: dir)
        defer { kill(lab.pid, SIGKILL) }
        #expect(await lab.waitForOutput("ready \(state)/pbsha.toml"), "\(lab.stderr)")
        #expect(lab.stdout.contains("Nobody read the sync job's mails") && lab.stdout.contains("lab: 3d before: sync fail"), "\(lab.stdout)")
        let status = await Spawned.run(["status", "--config", "\(state)/pbsha.toml", "--timeout", "5"], directory: dir)
        #expect(status.out.contains("PRIMARY    DOWN"), "\(status.out)")
        let failures = status.out.range(of: #"failures (\d+)"#, options: .regularExpression).map { status.out[$0].dropFirst(9) }.flatMap { Int($0) } ?? 0
        #expect(failures >= 70, "three days of hourly syncs failed: \(status.out)")
    }

    /// Scenario 5 begins after a failover: the lab has pbsha run it in the lab's past,
    /// journaled as the drill's setup; an unknown scenario is refused with the known names.
    @Test func aScenarioThatNeedsARunFirstGetsItAndAnUnknownOneIsRefused() async {
        let dir = Spawned.temporaryDirectory()
        let state = "\(dir)/a"
        let lab = Spawned.start(["lab", "serve", "--state-dir", state, "--scenario", "5-failback-primary-only-snapshot"], directory: dir)
        defer { kill(lab.pid, SIGKILL) }
        #expect(await lab.waitForOutput("ready \(state)/pbsha.toml", timeout: 120), "\(lab.stdout)\(lab.stderr)")
        #expect(lab.stdout.contains("lab: 1d before: pbsha runs the failover"), "\(lab.stdout)")
        let runs = await Spawned.run(["runs", "--config", "\(state)/pbsha.toml"], directory: dir)
        #expect(runs.out.contains("  failover  done  ") && runs.out.contains("DRILL 5-failback-primary-only-snapshot (its story's setup)"), "\(runs.out)")
        let unknown = await Spawned.run(["lab", "serve", "--state-dir", "\(dir)/b", "--scenario", "meteor"], directory: dir)
        #expect(unknown.code == 2 && unknown.err.contains("no scenario 'meteor'") && unknown.err.contains("1-primary-power-loss"), "\(unknown.err)")
    }
}
