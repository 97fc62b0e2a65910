import Foundation
import TestSupport
import Testing

/// The executable's commands, run as a user would.
@Suite(.serialized) struct CommandLineTests {
    @Test func calendarPrintsTheNextRuns() async {
        let dir = Spawned.temporaryDirectory()
        let result = await Spawned.run(["calendar", "mon..fri 02:00", "--from", "2026-11-27T06:00:00Z", "--count", "3"], directory: dir,
                                 environment: ["TZ": "UTC"])
        #expect(result.code == 0)
        #expect(result.out == "2026-11-30T02:00:00Z\n2026-12-01T02:00:00Z\n2026-12-02T02:00:00Z\n")
    }

    @Test func calendarRunsCarryTheirOwnOffsetAcrossDaylightSaving() async {
        let result = await Spawned.run(["calendar", "daily", "--from", "2026-03-28T12:00:00+01:00", "--count", "2"],
                                 directory: Spawned.temporaryDirectory(), environment: ["TZ": "Europe/Berlin"])
        #expect(result.code == 0, "\(result.err)")
        #expect(result.out == "2026-03-29T00:00:00+01:00\n2026-03-30T00:00:00+02:00\n")
    }

    @Test func aBadCalendarExpressionPointsAtTheProblem() async {
        let result = await Spawned.run(["calendar", "mon..fry 02:00"], directory: Spawned.temporaryDirectory())
        #expect(result.code == 2)
        #expect(result.err.contains("unknown weekday 'fry'"))
        #expect(result.err.contains("       ^^^"))
    }

    @Test func noConfigListsThePathsAndTheLabHint() async {
        let dir = Spawned.temporaryDirectory()
        let result = await Spawned.run(["status"], directory: dir, environment: ["HOME": dir, "XDG_CONFIG_HOME": "\(dir)/cfg"])
        #expect(result.code == 2)
        #expect(result.err.contains("\(dir)/cfg/pbsha/config.toml"))
        #expect(result.err.contains("pbsha --lab"))
    }

    @Test func usageAndConfigErrorsExitTwoWithOneClearMessage() async throws {
        let dir = Spawned.temporaryDirectory()
        try "[pair]\nname = \n".write(toFile: "\(dir)/bad.toml", atomically: true, encoding: .utf8)
        let bad = await Spawned.run(["status", "--config", "\(dir)/bad.toml"], directory: dir)
        #expect(bad.code == 2)
        #expect(bad.err == "pbsha: \(dir)/bad.toml: not valid TOML at line 2, column 8: Error while parsing key-value pair: expected value, saw '\\n'\n")
        let refresh = await Spawned.run(["--refresh", "1"], directory: dir)
        #expect(refresh.code == 2)
        #expect(refresh.err.contains("--refresh takes seconds from 2 to 3600, got 1.0"))
        #expect(await Spawned.run(["status", "--bogus"], directory: dir).code == 2)
    }

    @Test(arguments: [("inf", "inf"), ("nan", "nan"), ("0", "0"), ("-1", "-1"), ("1e300", "1e300"), ("601", "3601")])
    func absurdTimeoutsAndRefreshesAreRefusedWithTheRange(timeout: String, refresh: String) async {
        let dir = Spawned.temporaryDirectory()
        let result = await Spawned.run(["status", "--lab", "--timeout=\(timeout)"], directory: dir, timeout: 30)
        #expect(result.code == 2, "\(result.err)")
        #expect(result.err.contains("--timeout takes seconds from 0.5 to 600"), "\(result.err)")
        let screen = await Spawned.run(["wallboard", "--refresh=\(refresh)"], directory: dir, timeout: 30)
        #expect(screen.code == 2)
        #expect(screen.err.contains("--refresh takes seconds from 2 to 3600"), "\(screen.err)")
    }

    @Test func labSizesAreCheckedAndApplyToANewLabOnly() async throws {
        let dir = Spawned.temporaryDirectory()
        let huge = await Spawned.run(["lab", "serve", "--state-dir", "\(dir)/lab", "--groups", "2000", "--snapshots-per-group", "2000"], directory: dir)
        #expect(huge.code == 2 && huge.err.contains("at most 2000000 snapshots a node"), "\(huge.err)")
        try FileManager.default.createDirectory(atPath: "\(dir)/old", withIntermediateDirectories: true)
        try "{}".write(toFile: "\(dir)/old/lab-state.json", atomically: true, encoding: .utf8)
        let existing = await Spawned.run(["lab", "serve", "--state-dir", "\(dir)/old", "--groups", "2", "--snapshots-per-group", "3"], directory: dir)
        #expect(existing.code == 2 && existing.err.contains("holds a lab already; --groups and --snapshots-per-group size a new one"), "\(existing.err)")
    }

    @Test func aPBSHAConfigNamingAMissingFileIsAnError() async throws {
        let dir = Spawned.temporaryDirectory()
        // A config in the working directory must not be used instead.
        try "[pair]\n".write(toFile: "\(dir)/pbsha.toml", atomically: true, encoding: .utf8)
        let result = await Spawned.run(["status"], directory: dir, environment: ["PBSHA_CONFIG": "\(dir)/gone.toml"])
        #expect(result.code == 2)
        #expect(result.err.contains("\(dir)/gone.toml: no such file; $PBSHA_CONFIG names it"), "\(result.err)")
    }

    @Test func storageCfgRetargetPrintsTheFileWithOnlyTheEntryChanged() async throws {
        let dir = Spawned.temporaryDirectory()
        let pin = String(repeating: "ab:", count: 31) + "ab"
        let original = "dir: local\n\tpath /var/lib/vz\n\npbs: backup-primary\n\tdatastore main\n\tserver 10.0.0.5\n\tcontent backup\n\n"
        try original.write(toFile: "\(dir)/storage.cfg", atomically: true, encoding: .utf8)
        let result = await Spawned.run(["storage-cfg", "retarget", "\(dir)/storage.cfg", "--storage", "backup-primary", "--server", "10.0.0.6",
                                  "--datastore", "mirror", "--fingerprint", pin, "--username", "pve@pbs!backup"], directory: dir)
        #expect(result.code == 0, "\(result.err)")
        #expect(result.out == "dir: local\n\tpath /var/lib/vz\n\npbs: backup-primary\n\tdatastore mirror\n\tserver 10.0.0.6\n\tcontent backup\n"
                + "\tfingerprint \(pin)\n\tusername pve@pbs!backup\n\n")
        try "pbs: a\r\n\tserver x\r\n".write(toFile: "\(dir)/crlf.cfg", atomically: true, encoding: .utf8)
        let refused = await Spawned.run(["storage-cfg", "retarget", "\(dir)/crlf.cfg", "--storage", "a", "--server", "y",
                                   "--datastore", "z", "--fingerprint", pin], directory: dir)
        #expect(refused.code == 2)
        #expect(refused.err.contains("crlf.cfg: line 1: ends with CR (CRLF line endings)"), "\(refused.err)")
        #expect(refused.out.isEmpty)
        let missing = await Spawned.run(["storage-cfg", "retarget", "\(dir)/storage.cfg", "--storage", "backup", "--server", "y",
                                   "--datastore", "z", "--fingerprint", pin], directory: dir)
        #expect(missing.code == 2)
        #expect(missing.err.contains("no storage 'backup' in this file (it has: local, backup-primary)"), "\(missing.err)")
    }

    @Test func checkWithoutConfigIsUnknown() async {
        let dir = Spawned.temporaryDirectory()
        let result = await Spawned.run(["check", "--config", "\(dir)/missing.toml"], directory: dir)
        #expect(result.code == 3)
        #expect(result.out.hasPrefix("PBSHA UNKNOWN"))
    }
}

/// `lab serve`, `lab ctl`, `status` and `check` together, as the acceptance criteria describe.
@Suite(.serialized) struct LabEndToEndTests {
    @Test func statusAndCheckFollowTheLabsFaults() async throws {
        let dir = Spawned.temporaryDirectory()
        let state = "\(dir)/lab"
        let lab = Spawned.start(["lab", "serve", "--state-dir", state], directory: dir)
        defer { kill(lab.pid, SIGKILL) }
        #expect(await lab.waitForOutput("ready \(state)/pbsha.toml"), "lab did not start: \(lab.stderr)")
        let config = ["--config", "\(state)/pbsha.toml"]
        func ctl(_ words: String) async {
            let result = await Spawned.run(["lab", "ctl", "--state-dir", state] + words.split(separator: " ").map(String.init), directory: dir)
            #expect(result.code == 0, "lab ctl \(words): \(result.err)")
        }
        func json(_ text: String) throws -> [String: Any] {
            try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        }

        let healthy = await Spawned.run(["status", "--json"] + config, directory: dir)
        #expect(healthy.code == 0, "\(healthy.err)")
        let document = try json(healthy.out)
        let nodes = try #require(document["nodes"] as? [String: [String: Any]])
        #expect(nodes["primary"]?["reachable"] as? Bool == true)
        #expect(nodes["secondary"]?["reachable"] as? Bool == true)
        #expect(((nodes["primary"]?["datastore"] as? [String: Any])?["snapshots"] as? Int ?? 0) > 600)
        #expect((document["sync"] as? [String: Any])?["age-seconds"] is Int)
        #expect((document["verify"] as? [String: Any])?["snapshots-failed"] as? Int == 0)
        // The lab's primary verifies too, and sync copies its verify states: they are counted apart.
        #expect(((document["verify"] as? [String: Any])?["snapshots-verified-upstream-only"] as? Int ?? 0) > 0)
        #expect(((document["verify"] as? [String: Any])?["snapshots-ok"] as? Int ?? 0) > 0)
        let text = await Spawned.run(["status"] + config, directory: dir)
        #expect(text.out.contains("verified upstream only: "), "\(text.out)")
        #expect(document["drift"] is [String: Any])
        #expect((document["pve"] as? [Any])?.count == 2)

        await ctl("node primary down")
        let down = await Spawned.run(["status", "--json"] + config, directory: dir)
        #expect(down.code == 3)
        let downNodes = try #require(try json(down.out)["nodes"] as? [String: [String: Any]])
        #expect(downNodes["primary"]?["reachable"] as? Bool == false)
        #expect(downNodes["secondary"]?["reachable"] as? Bool == true)
        await ctl("node primary up")

        await ctl("node secondary hang")
        let started = Date()
        let hung = await Spawned.run(["status", "--timeout", "2"] + config, directory: dir)
        #expect(hung.code == 3)
        #expect(Date().timeIntervalSince(started) < 15, "the 2 s timeout was not kept (generous bound: loaded CI machines start processes slowly)")
        #expect(hung.out.split(whereSeparator: \.isWhitespace).joined(separator: " ").contains("did not answer within 2 s"))
        await ctl("node secondary up")

        await ctl("sync fail")
        await ctl("advance 3h")
        let failing = await Spawned.run(["check"] + config, directory: dir)
        #expect(failing.code == 2)
        #expect(failing.out.hasPrefix("PBSHA CRITICAL - sync-failing: sync failing for 3 runs in a row"))
        #expect(failing.out.contains("consecutive_failures=3;0;2;0"))
        await ctl("sync heal")
        await ctl("advance 1h")
        let healed = await Spawned.run(["check"] + config, directory: dir)
        #expect(healed.code == 0, "\(healed.out)")
        #expect(healed.out.contains("consecutive_failures=0;0;2;0"))

        // status and check read through the read-only transport: not one write reached the lab.
        let report = await Spawned.run(["lab", "ctl", "--state-dir", state, "status"], directory: dir)
        #expect(report.out.contains("writes received: 0"), "\(report.out)")

        kill(lab.pid, SIGTERM)
        #expect(await lab.wait(timeout: 10) == 0)
        #expect(FileManager.default.fileExists(atPath: "\(state)/lab-state.json"))
    }

    @Test func aWrongFingerprintFailsClosedShowingBoth() async throws {
        let dir = Spawned.temporaryDirectory()
        let state = "\(dir)/lab"
        let lab = Spawned.start(["lab", "serve", "--state-dir", state], directory: dir)
        defer { kill(lab.pid, SIGKILL) }
        #expect(await lab.waitForOutput("ready"))
        let original = try String(contentsOfFile: "\(state)/pbsha.toml", encoding: .utf8)
        let line = try #require(original.split(separator: "\n").first { $0.hasPrefix("fingerprint") })
        let real = String(line.split(separator: "\"")[1])
        let wrong = String(repeating: "00:", count: 31) + "00"
        try original.replacingOccurrences(of: real, with: wrong).write(toFile: "\(state)/wrong.toml", atomically: true, encoding: .utf8)
        let result = await Spawned.run(["status", "--config", "\(state)/wrong.toml"], directory: dir)
        #expect(result.code == 3)
        let flat = result.out.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "  ", with: "")
        #expect(result.out.contains("fingerprint-mismatch"))
        #expect(flat.contains(wrong) || result.out.contains(String(wrong.prefix(40))))
        #expect(flat.contains(String(real.prefix(40))))
        kill(lab.pid, SIGTERM)
        _ = await lab.wait(timeout: 10)
    }
}
