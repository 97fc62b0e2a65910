import Foundation
import TestSupport
import Testing

/// A `lab serve` process for one test, and the arguments that point pbsha at it.
struct ServedLab {
    let dir: String
    let state: String
    let process: Spawned
    var config: [String] { ["--config", "\(state)/pbsha.toml", "--timeout", "3"] }

    static func start(speed: String) async -> ServedLab {
        let dir = Spawned.temporaryDirectory()
        let state = "\(dir)/lab"
        let process = Spawned.start(["lab", "serve", "--state-dir", state, "--speed", speed], directory: dir)
        #expect(await process.waitForOutput("ready \(state)/pbsha.toml"), "lab did not start: \(process.stderr)")
        return ServedLab(dir: dir, state: state, process: process)
    }

    func stop() { kill(process.pid, SIGKILL) }

    /// The lab's world time now, as RFC 3339.
    func worldTime() async -> String {
        let said = await Spawned.run(["lab", "ctl", "--state-dir", state, "advance", "0s"], directory: dir).out
        return said.components(separatedBy: "world time is now ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }

    /// What step 3 did per target, from `show vzdump`: pbsha's test backups (never two for a
    /// target), and the targets proven, by a test backup or by a scheduled backup that landed
    /// after `since` (with the primary down, on the secondary: step 3 accepts any snapshot of
    /// the test guest made since it began, so a schedule that fires meanwhile is proof too).
    func testBackups(since: String) async -> (tests: [String], proven: Set<String>) {
        let lines = await Spawned.run(["lab", "ctl", "--state-dir", state, "show", "vzdump"], directory: dir).out.split(separator: "\n").map(String.init)
        let tests = lines.filter { $0.contains("pbsha@pve!operator") }
        let scheduled = lines.filter { line in
            let fields = line.split(separator: " ")
            return !line.contains("pbsha@pve!operator") && fields.count >= 5 && fields[4] == "OK" && String(fields[2]) >= since
        }
        return (tests, Set((tests + scheduled).map { String($0.prefix { $0 != " " }) }))
    }
}

/// `pbsha failover`, `runs` and `report` as an operator runs them, against `lab serve`.
@Suite(.serialized) struct FailoverCommandTests {
    @Test func scriptedFailoverStopsAtGatesThenCompletesAndReports() async throws {
        // A fast world clock: the test backups and their verifies take world minutes.
        let lab = await ServedLab.start(speed: "60")
        defer { lab.stop() }
        let (dir, state, config) = (lab.dir, lab.state, lab.config)
        #expect(await Spawned.run(["lab", "ctl", "--state-dir", state, "node", "primary", "down"], directory: dir).code == 0)

        let dry = await Spawned.run(["failover", "--dry-run"] + config, directory: dir)
        #expect(dry.code == 0 && dry.out.contains("will: secondary: pause sync job primary-mirror") && dry.out.contains("confirmation: type FAILOVER"),
                "\(dry.out)\(dry.err)")
        #expect(await Spawned.run(["runs"] + config, directory: dir).out.contains("no runs"), "a dry run journals nothing")

        let waiting = await Spawned.run(["failover", "--operator", "oncall"] + config, directory: dir)
        #expect(waiting.code == 1 && waiting.out.contains("waiting for the operator at step 1: acknowledge:"), "\(waiting.out)\(waiting.err)")
        #expect(waiting.out.contains("planned at step 1:\n  secondary: pause sync job primary-mirror\n      sync job primary-mirror: schedule hourly -> none"),
                "the plan is shown before anything is confirmed: \(waiting.out)")
        // Without the right to change owners, --yes stops with exit 1 and the exact commands.
        let acl = ["lab", "ctl", "--state-dir", state, "acl", "secondary", "pbsha@pbs!operator", "/datastore/mirror"]
        #expect(await Spawned.run(acl + ["DatastorePowerUser"], directory: dir).code == 0)
        let refused = await Spawned.run(["failover", "--operator", "oncall", "--yes"] + config, directory: dir)
        #expect(refused.code == 1 && refused.out.contains("waiting for the operator at step 1: the operator token lacks Datastore.")
                    && refused.out.contains("proxmox-backup-"), "\(refused.out)\(refused.err)")
        #expect(await Spawned.run(acl + ["DatastoreAdmin"], directory: dir).code == 0)
        let done = await Spawned.run(["failover", "--operator", "oncall", "--yes", "--ticket", "OPS-1"] + config, directory: dir, timeout: 120)
        #expect(done.code == 0, "\(done.out)\(done.err)")
        #expect(done.out.contains("step 5/5 done"))

        let runs = await Spawned.run(["runs", "--json"] + config, directory: dir)
        let list = try #require(try JSONSerialization.jsonObject(with: Data(runs.out.utf8)) as? [[String: Any]])
        #expect(list.count == 1 && list[0]["state"] as? String == "done" && list[0]["operator"] as? String == "oncall")
        let id = try #require(list[0]["id"] as? String)
        let report = await Spawned.run(["report", id, "--format", "json"] + config, directory: dir)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(report.out.utf8)) as? [String: Any])
        let steps = try #require(document["steps"] as? [[String: Any]])
        #expect(steps.map { $0["owner"] as? String } == ["on-call", "on-call", "on-call", "comms or on-call", "ops lead"])
        #expect(steps.map { $0["estimate-seconds"] as? Int } == [120, 300, 300, 300, nil])
        #expect(steps.allSatisfy { $0["started"] is String && $0["done"] is String && $0["state"] as? String == "done" })
        #expect((steps[0]["acknowledged"] as? [String])?.contains("nothing-missed") == true)
        #expect(await Spawned.run(["report", id] + config, directory: dir).out.hasPrefix("# Failover run \(id)"))
        #expect(await Spawned.run(["report", "nope"] + config, directory: dir).code == 2)
        let notifications = await Spawned.run(["lab", "ctl", "--state-dir", state, "show", "notifications"], directory: dir)
        #expect(notifications.out.contains("FAILOVER by oncall"))
    }
}

/// A real SIGKILL while step 3's test backup runs, then the same command again.
@Suite(.serialized) struct FailoverKillTests {
    @Test func aKilledFailoverResumesAndBacksUpEachTargetOnce() async throws {
        // Four times real time: a test backup (30 s and more of lab time) runs for seconds, long enough
        // to see it and kill the run inside it even when a loaded CI machine is slow to spawn `lab ctl`.
        let lab = await ServedLab.start(speed: "4")
        defer { lab.stop() }
        let (dir, state, config) = (lab.dir, lab.state, lab.config)
        func vzdumps() async -> [String] {
            await Spawned.run(["lab", "ctl", "--state-dir", state, "show", "vzdump"], directory: dir).out
                .split(separator: "\n").map(String.init).filter { $0.contains("pbsha@pve!operator") }
        }
        #expect(await Spawned.run(["lab", "ctl", "--state-dir", state, "node", "primary", "down"], directory: dir).code == 0)
        let since = await lab.worldTime()

        let first = Spawned.start(["failover", "--operator", "oncall", "--yes", "--ticket", "OPS-1"] + config, directory: dir)
        var started = false
        for _ in 0..<600 where !started {
            started = await !vzdumps().isEmpty
            if !started { try await Task.sleep(for: .milliseconds(100)) }
        }
        kill(first.pid, SIGKILL)
        _ = await first.wait(timeout: 10)
        #expect(started, "the first test backup never started: \(first.stdout)\(first.stderr)")
        let killedDuring = await vzdumps()
        #expect(killedDuring.count == 1 && killedDuring[0].contains("running"), "killed while the first test backup ran: \(killedDuring)")

        let again = await Spawned.run(["failover", "--operator", "oncall", "--yes", "--ticket", "OPS-1"] + config, directory: dir, timeout: 300)
        #expect(again.code == 0, "\(again.out)\(again.err)")
        let (tests, proven) = await lab.testBackups(since: since)
        #expect(Set(tests.map { String($0.prefix(5)) }).count == tests.count && proven == ["pve-a", "pve-b"], "one test backup per target: \(tests)")
        #expect(tests.allSatisfy { $0.contains(" OK") }, "\(tests)")
    }
}

/// A real SIGKILL in every step, at the points a crash leaves behind (an intent journaled
/// but its call not made; a result journaled but the step not finished), each followed by
/// the same command; a second process follows the journal all along.
@Suite(.serialized) struct FailoverKilledInEveryStepTests {
    @Test func eachStepResumesAfterAKillAndASecondProcessFollowsWithinASecond() async throws {
        let lab = await ServedLab.start(speed: "60")
        defer { lab.stop() }
        let (dir, state, config) = (lab.dir, lab.state, lab.config)
        #expect(await Spawned.run(["lab", "ctl", "--state-dir", state, "node", "primary", "down"], directory: dir).code == 0)
        let since = await lab.worldTime()
        let follower = Spawned.start(["runs", "--follow"] + config, directory: dir)
        defer { kill(follower.pid, SIGKILL) }
        #expect(await follower.waitForOutput("following "), "\(follower.stderr)")

        let command = ["failover", "--operator", "oncall", "--yes", "--ticket", "OPS-7"] + config
        for point in ["intent@1", "change-applied@1", "intent@2", "change-applied@2", "intent@3", "change-applied@3",
                      "change-applied@4", "step-started@5"] {
            let killed = await Spawned.run(command, directory: dir, environment: ["PBSHA_KILL_AFTER": point], timeout: 300)
            #expect(killed.code == 128 + SIGKILL, "at \(point) the process should have died: \(killed.code) \(killed.out)\(killed.err)")
        }
        let last = await Spawned.run(command, directory: dir, timeout: 300)
        let ended = Date()
        #expect(last.code == 0, "\(last.out)\(last.err)")
        #expect(await follower.waitForOutput("run-finished"), "the follower never saw the end: \(follower.stdout)")
        let seenAfter = Date().timeIntervalSince(ended)
        // It polls once a second; the rest is process scheduling, which on a loaded two-core CI
        // machine took up to 3.9 s once: the bound proves live following, not the second.
        #expect(seenAfter < 10, "the follower saw the end \(seenAfter) s after the run ended")

        // One run, done; every event of it reached the follower, in order.
        let runs = await Spawned.run(["runs", "--json"] + config, directory: dir)
        let list = try #require(try JSONSerialization.jsonObject(with: Data(runs.out.utf8)) as? [[String: Any]])
        #expect(list.count == 1 && list[0]["state"] as? String == "done", "\(runs.out)")
        let id = try #require(list.first?["id"] as? String)
        let report = await Spawned.run(["report", id, "--format", "json"] + config, directory: dir)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(report.out.utf8)) as? [String: Any])
        let steps = try #require(document["steps"] as? [[String: Any]])
        #expect(steps.map { $0["state"] as? String } == Array(repeating: "done", count: 5), "\(report.out)")
        let followed = follower.stdout.split(separator: "\n").filter { $0.hasPrefix("#") }
        let sequences = followed.compactMap { Int($0.dropFirst().prefix { $0 != " " }) }
        #expect(sequences == Array(1...sequences.count) && followed.allSatisfy { $0.contains(id) }, "\(followed.suffix(5))")

        // No external change twice: every write the lab received is journaled, once.
        // Details print sorted by key: host, method, parameters, path, then status.
        let writes = followed.filter { $0.contains(" api-write ") }.compactMap { line in
            line.range(of: "host=").flatMap { start in line.range(of: " status=").map { String(line[start.lowerBound..<$0.lowerBound]) } }
        }
        #expect(Set(writes).count == writes.count, "a write was sent twice: \(writes)")
        let status = await Spawned.run(["lab", "ctl", "--state-dir", state, "status"], directory: dir).out
        #expect(status.contains("writes received: \(writes.count)"), "the lab received writes the journal does not hold: \(writes.count) journaled\n\(status)")
        let (tests, proven) = await lab.testBackups(since: since)
        #expect(Set(tests.map { String($0.prefix(5)) }).count == tests.count && proven == ["pve-a", "pve-b"], "one test backup per target: \(tests)")
        let notifications = await Spawned.run(["lab", "ctl", "--state-dir", state, "show", "notifications"], directory: dir).out
        #expect(notifications.components(separatedBy: "FAILOVER by oncall").count == 2, "one notification: \(notifications)")
    }
}

/// `pbsha failback` as an operator runs it after a failover: refused while the reverse sync
/// fails, then killed in every step and resumed to the end.
@Suite(.serialized) struct FailbackCommandTests {
    @Test func failbackRefusesOnAFailingReverseSyncThenResumesAfterAKillInEveryStep() async throws {
        let lab = await ServedLab.start(speed: "60")
        defer { lab.stop() }
        let (dir, state, config) = (lab.dir, lab.state, lab.config)
        func ctl(_ words: String) async -> String {
            await Spawned.run(["lab", "ctl", "--state-dir", state] + words.split(separator: " ").map(String.init), directory: dir).out
        }
        func counts() async -> [Int] {
            let status = await ctl("status")
            return ["primary:", "secondary:"].compactMap { node in
                status.split(separator: "\n").first { $0.hasPrefix(node) }?.split(separator: ",").first { $0.hasSuffix(" snapshots") }
                    .flatMap { Int($0.trimmingCharacters(in: .whitespaces).split(separator: " ")[0]) }
            }
        }
        _ = await ctl("node primary down")
        #expect(await Spawned.run(["failover", "--operator", "oncall", "--yes", "--ticket", "OPS-1"] + config, directory: dir, timeout: 120).code == 0)
        _ = await ctl("advance 1d")
        _ = await ctl("node primary up")
        let before = await counts()

        _ = await ctl("sync fail")
        let command = ["failback", "--operator", "oncall", "--yes"] + config
        let refused = await Spawned.run(command, directory: dir, timeout: 120)
        #expect(refused.code == 1 && refused.out.contains("refused at step 1") && refused.out.contains("the PVE targets stay on the secondary"),
                "\(refused.out)\(refused.err)")
        #expect(await ctl("show pve").components(separatedBy: "-> secondary").count == 3)
        _ = await ctl("sync heal")

        for point in ["intent@1", "change-applied@1", "intent@2", "change-applied@3", "intent@4", "change-applied@4", "intent@5", "change-applied@5"] {
            let killed = await Spawned.run(command, directory: dir, environment: ["PBSHA_KILL_AFTER": point], timeout: 300)
            #expect(killed.code == 128 + SIGKILL, "at \(point) the process should have died: \(killed.code) \(killed.out)\(killed.err)")
        }
        let last = await Spawned.run(command, directory: dir, timeout: 300)
        #expect(last.code == 0 && last.out.contains("step 5/5 done"), "\(last.out)\(last.err)")
        #expect(await ctl("show pve").components(separatedBy: "-> primary").count == 3)
        let after = await counts()
        #expect(before.count == 2 && after.count == 2 && after[0] >= before[0] && after[1] >= before[1], "nothing deleted: \(before) -> \(after)")

        // Every write the lab received is journaled; the changes that must happen once did.
        let runs = await Spawned.run(["runs", "--json"] + config, directory: dir)
        let ids = (try JSONSerialization.jsonObject(with: Data(runs.out.utf8)) as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(ids.count == 2, "\(runs.out)")
        var writes: [String] = []
        for id in ids {
            let report = await Spawned.run(["report", id] + config, directory: dir)
            let ofRun = report.out.split(separator: "\n").filter { $0.hasPrefix("- api: ") }.map(String.init)
            // Within a run, only running the reverse sync and verifying may repeat (by design).
            let once = ofRun.filter { !$0.contains("/run -> ") && !$0.contains("/verify -> ") }
            #expect(Set(once).count == once.count, "\(id) made a change twice: \(once)")
            writes += ofRun
        }
        #expect(await ctl("status").contains("writes received: \(writes.count)"), "\(writes.count) journaled writes")
    }
}
