import Foundation
import TestSupport
import Testing

/// `pbsha drill` from the console, end to end, for a pair whose every host is a sentinel
/// that reports any connection: the drill runs its failover on the lab, journals into the
/// pair's journal with the pair's own runbook, is scored, and never touches the pair.
@Suite(.serialized) struct DrillConsoleTests {
    @Test func aDrillRunsFromTheConsoleOnTheLabOnlyAndIsScoredInThePairsJournal() async throws {
        let dir = Spawned.temporaryDirectory()
        let sentinel = Spawned.start([ForeignServer.script("sentinel.py"), "--count", "4"], directory: dir, executable: "python3")
        defer { sentinel.killAndReap() }
        #expect(await sentinel.waitForOutput("ports "), "\(sentinel.stderr)")
        let ports = sentinel.stdout.split(separator: "\n")[0].split(separator: " ").dropFirst().map(String.init)
        try #require(ports.count == 4)
        let config = try Self.writePairConfig(dir, ports: ports)

        let tmux = Tmux(directory: dir)
        // Started elsewhere, so the pair is found through --config, not ./pbsha.toml.
        await tmux.start("t", "cd \(Spawned.temporaryDirectory()) && USER=alice \(Spawned.binary) drill 1-primary-power-loss --config \(config) --speed 20; echo EXIT=$?; sleep 120")
        defer { Task { await tmux.kill() } }
        #expect(await tmux.waitFor("Press Enter to start the clock", timeout: 60))
        let briefing = await tmux.screen()
        #expect(briefing.contains("DRILL 1-primary-power-loss") && briefing.contains("pair acme"), "\(briefing)")
        await tmux.keys("Enter")
        #expect(await tmux.waitFor("DRILL", timeout: 20))
        #expect(await tmux.waitFor("LAST SUCCESS", timeout: 40))
        await tmux.keys("f")
        // The pair's own failover runbook, not the built-in one.
        #expect(await tmux.waitFor("ACME failover", timeout: 10))
        await tmux.keys("Enter")
        let (done, answered, screen) = await FailoverPrompts(tmux: tmux, ticket: "DRILL-7").drive()
        #expect(done && answered.contains("FAILOVER"), "\(screen)")
        #expect(screen.contains(" DRILL "), "the banner stays on the runbook screen: \(screen)")

        // Leaving prints the scorecard.
        await tmux.keys("q")
        #expect(await tmux.waitFor("EXIT=0", timeout: 20))
        let after = await tmux.screen()
        #expect(after.contains("Drill PASS: failover-") && after.contains("pbsha report failover-"), "\(after)")

        // Nothing reached the pair: no connection to any of its hosts or its webhook, no shell.
        #expect(!sentinel.stdout.contains("connection"), "a drill reached the pair: \(sentinel.stdout)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/remote-shell-ran"))

        // The pair's journal knows the drill, marked and scored.
        let runs = await Spawned.run(["runs", "--json", "--config", config], directory: dir)
        let list = try #require(try JSONSerialization.jsonObject(with: Data(runs.out.utf8)) as? [[String: Any]], "\(runs.out)\(runs.err)")
        #expect(list.count == 1 && list[0]["drill"] as? String == "1-primary-power-loss" && list[0]["state"] as? String == "done", "\(list)")
        let id = try #require(list[0]["id"] as? String)
        let report = await Spawned.run(["report", id, "--config", config], directory: dir)
        #expect(report.out.contains("## Drill scorecard: Primary power loss") && report.out.contains("| 1 | Readiness of the secondary |"), "\(report.out)")
        let json = await Spawned.run(["report", id, "--format", "json", "--config", config], directory: dir)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
        let drill = try #require(document["drill"] as? [String: Any])
        #expect((drill["scorecard"] as? [String: Any])?["passed"] as? Bool == true)

        // The pair's own status now knows the failover was rehearsed (its hosts are sentinels,
        // so it is read last: it is the first command here that reaches for them).
        let status = await Spawned.run(["status", "--config", config, "--timeout", "2"], directory: dir)
        #expect(status.out.contains("the failback runbook was never rehearsed") && !status.out.contains("the failover runbook was never"), "\(status.out)")
    }

    /// A pair whose primary, secondary, PVE host and webhook are the sentinel's ports, with
    /// operator tokens, a remote shell that would leave a file, and its own failover runbook.
    static func writePairConfig(_ dir: String, ports: [String]) throws -> String {
        for name in ["monitor", "operator", "pve", "pve-operator"] {
            _ = FileManager.default.createFile(atPath: "\(dir)/\(name).token", contents: Data("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0".utf8),
                                               attributes: [.posixPermissions: 0o600])
        }
        _ = FileManager.default.createFile(atPath: "\(dir)/webhook.url", contents: Data("https://127.0.0.1:\(ports[3])/hook\n".utf8),
                                           attributes: [.posixPermissions: 0o600])
        let builtIn = try String(contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Resources/runbooks/failover.toml").standardizedFileURL.path, encoding: .utf8)
        let own = builtIn.replacingOccurrences(of: #"(?m)^title = .*$"#, with: "title = \"ACME failover: PVE backs up to the secondary\"",
                                               options: .regularExpression, range: builtIn.range(of: "title = ")!.lowerBound..<builtIn.range(of: "[[step]]")!.lowerBound)
        try own.write(toFile: "\(dir)/failover.toml", atomically: true, encoding: .utf8)
        let pin = (0..<32).map { _ in "ab" }.joined(separator: ":")
        func node(_ port: String, _ datastore: String) -> String {
            """
            host = "127.0.0.1"
            port = \(port)
            fingerprint = "\(pin)"
            auth-id = "monitor@pbs!console"
            secret-file = "monitor.token"
            operator-auth-id = "pbsha@pbs!operator"
            operator-secret-file = "operator.token"
            datastore = "\(datastore)"
            """
        }
        try """
            [pair]
            name = "acme"
            rpo = "4h"
            state-dir = "\(dir)/state"

            [primary]
            \(node(ports[0], "main"))

            [secondary]
            \(node(ports[1], "mirror"))
            sync-job = "primary-mirror"
            remote = "primary-hub"

            [[pve]]
            name = "pve-a"
            host = "127.0.0.1"
            port = \(ports[2])
            fingerprint = "\(pin)"
            auth-id = "pbsha@pve!monitor"
            secret-file = "pve.token"
            operator-auth-id = "pbsha@pve!operator"
            operator-secret-file = "pve-operator.token"
            remote-shell = "touch \(dir)/remote-shell-ran"
            storage = "backup-primary"
            node = "pve1"

            [notify]
            webhook-file = "webhook.url"
            webhook-fingerprint = "\(pin)"

            [runbooks]
            failover = "failover.toml"
            """.write(toFile: "\(dir)/pbsha.toml", atomically: true, encoding: .utf8)
        return "\(dir)/pbsha.toml"
    }
}
