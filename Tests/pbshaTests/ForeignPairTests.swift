import Foundation
import TestSupport
import Testing

/// `pbsha status` against a pair it did not build: python3/OpenSSL servers answering like
/// PBS and PVE, reached by addresses their certificates do not name (as a real PBS is
/// reached by IP while its self-signed certificate names only its host names).
@Suite(.serialized) struct ForeignPairTests {
    @Test func statusReadsEveryFieldFromNodesReachedByAddressesTheirCertificatesDoNotName() async throws {
        let certificates = try await ForeignCertificates.shared()
        let monitor = (authID: "monitor@pbs!console", secret: "5f0d3c9e-2b7a-4e61-8c1d-0a9b8e7f6d5c")
        let pveToken = (authID: "pbsha@pve!failover", secret: "c4a1e2b3-9d8f-4a7b-b6c5-d4e3f2a1b0c9")
        let now = ["--now", String(Int(Date().timeIntervalSince1970))]
        let primary = try await ForeignServer(.pbsPrimary, certificate: "primary", certificates: certificates, bind: "127.0.0.1",
                                        token: monitor, extra: now)
        let secondary = try await ForeignServer(.pbsSecondary, certificate: "secondary", certificates: certificates, bind: "127.0.0.2",
                                          token: monitor, peerCertificate: "primary", extra: now)
        let pve = try await ForeignServer(.pve, certificate: "pve", certificates: certificates, bind: "127.0.0.3",
                                    token: pveToken, peerCertificate: "primary", extra: ["--peer-port", String(primary.port)])
        defer { [primary, secondary, pve].forEach { $0.stop() } }

        let dir = Spawned.temporaryDirectory()
        for (name, secret) in [("monitor", monitor.secret), ("pve", pveToken.secret)] {
            _ = FileManager.default.createFile(atPath: "\(dir)/\(name).token", contents: Data(secret.utf8), attributes: [.posixPermissions: 0o600])
        }
        try """
            [pair]
            name = "foreign"
            rpo = "4h"
            state-dir = "\(dir)/state"

            [primary]
            host = "127.0.0.1"
            port = \(primary.port)
            fingerprint = "\(try certificates.fingerprint("primary"))"
            auth-id = "\(monitor.authID)"
            secret-file = "monitor.token"
            datastore = "main"

            [secondary]
            host = "127.0.0.2"
            port = \(secondary.port)
            fingerprint = "\(try certificates.fingerprint("secondary"))"
            auth-id = "\(monitor.authID)"
            secret-file = "monitor.token"
            datastore = "mirror"
            sync-job = "primary-mirror"
            remote = "primary-hub"

            [[pve]]
            name = "pve-a"
            host = "127.0.0.3"
            port = \(pve.port)
            fingerprint = "\(try certificates.fingerprint("pve"))"
            auth-id = "\(pveToken.authID)"
            secret-file = "pve.token"
            storage = "backup-primary"
            node = "pve1"
            """.write(toFile: "\(dir)/pbsha.toml", atomically: true, encoding: .utf8)

        let result = await Spawned.run(["status", "--json", "--timeout", "30", "--config", "\(dir)/pbsha.toml"], directory: dir)
        #expect(result.code == 0, "\(result.out)\n\(result.err)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        let nodes = try #require(document["nodes"] as? [String: [String: Any]])
        for (role, host, snapshots, total, used) in [("primary", "127.0.0.1", 6, 4_000_787_030_016, 1_234_567_890_123),
                                                     ("secondary", "127.0.0.2", 5, 6_001_175_126_016, 987_654_321_098)] {
            let node = try #require(nodes[role])
            #expect(node["host"] as? String == host)
            #expect(node["reachable"] as? Bool == true, "\(role): \(node["error"] ?? "")")
            #expect(node["version"] as? String == "4.1.2")
            #expect(node["error"] is NSNull)
            let store = try #require(node["datastore"] as? [String: Any])
            #expect(store["total"] as? Int == total)
            #expect(store["used"] as? Int == used)
            #expect(store["avail"] as? Int == total - used)
            #expect(store["groups"] as? Int == 3)
            #expect(store["snapshots"] as? Int == snapshots)
        }
        let sync = try #require(document["sync"] as? [String: Any])
        #expect(sync["job"] as? String == "primary-mirror")
        #expect(sync["schedule"] as? String == "hourly")
        #expect(sync["last-run-state"] as? String == "ok")
        #expect(sync["consecutive-failures"] as? Int == 0)
        #expect((1190...1260).contains(sync["age-seconds"] as? Int ?? -1), "age \(sync["age-seconds"] ?? "none")")
        #expect(sync["status"] as? String == "ok")
        let verify = try #require(document["verify"] as? [String: Any])
        #expect(verify["last-run-state"] as? String == "ok")
        // Four states came with the primary's manifests (its verify task's UPID); one the secondary made itself.
        #expect(verify["snapshots-ok"] as? Int == 1)
        #expect(verify["snapshots-verified-upstream-only"] as? Int == 4)
        #expect(verify["snapshots-failed"] as? Int == 0)
        #expect(verify["snapshots-unverified"] as? Int == 0)
        #expect(verify["status"] as? String == "ok")
        let drift = try #require(document["drift"] as? [String: Any])
        #expect(drift["missing-on-secondary"] as? Int == 1)
        #expect(drift["only-on-secondary"] as? Int == 0)
        let hosts = try #require(document["pve"] as? [[String: Any]])
        #expect(hosts.count == 1)
        #expect(hosts.first?["reachable"] as? Bool == true)
        #expect(hosts.first?["server"] as? String == "127.0.0.1")
        #expect(hosts.first?["points-at"] as? String == "primary")
        let findings = try #require(document["findings"] as? [[String: Any]])
        #expect(!findings.contains { ($0["code"] as? String)?.contains("fingerprint") == true }, "\(findings)")
        // The pair has no journal yet: neither runbook was ever rehearsed (INFO).
        #expect(findings.map { $0["code"] as? String } == ["verify-upstream-only", "drift-pending", "drill-due", "drill-due"], "\(findings)")
        #expect(document["overall"] as? String == "ok")
    }
}
