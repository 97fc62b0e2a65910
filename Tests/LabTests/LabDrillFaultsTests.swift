import Foundation
@testable import Lab
@testable import PairEngine
import ProxmoxAPI
import Testing

/// The faults drills need beyond a node's mode, through a running lab.
@Suite(.serialized) struct LabDrillFaultsTests {
    /// `node secondary latency 200ms`: a new connection's request waits three round trips
    /// (TCP, TLS, the request), every answer still whole; `0ms` brings it near again.
    @Test func aDistantNodeAnswersAfterItsRoundTrips() async throws {
        let lab = try await RunningLab.start()
        defer { Task { await lab.stop() } }
        #expect(try await lab.ctl("node secondary latency 200ms").contains("200 ms later per round trip"))
        await #expect(throws: LabError.self) { try await lab.ctl("node secondary latency soon") }
        let secondary = PBSClient(transport: try lab.transport(), endpoint: lab.config.secondary.endpoint, token: lab.config.secondary.token)
        let clock = ContinuousClock()
        let started = clock.now
        let version = try await secondary.version()
        #expect(clock.now - started >= .milliseconds(600), "three round trips of 200 ms")
        #expect(!version.version.isEmpty)
        // A long answer (every snapshot) arrives whole through the delay.
        #expect(try await secondary.snapshots("mirror").count > 500)
        #expect(try await lab.ctl("node secondary latency 0ms").contains("near again"))
    }

    @Test func aRenewedCertificateBreaksEveryPinOfTheOldOne() async throws {
        let lab = try await RunningLab.start()
        let old = lab.config.primary.fingerprint
        let message = try await lab.ctl("cert primary renew")
        #expect(message.contains("serves a new certificate") && message.contains(old.description))
        // pbsha's own pin fails, naming both fingerprints.
        let client = PBSClient(transport: try lab.transport(), endpoint: lab.config.primary.endpoint, token: lab.config.primary.token)
        await #expect { try await client.version() } throws: { error in
            if case .fingerprintMismatch(_, let expected, let presented)? = error as? APIError { return expected == old && presented != old }
            return false
        }
        // The secondary's remote still pins the old certificate: the next sync fails.
        let secondary = PBSClient(transport: try lab.transport(), endpoint: lab.config.secondary.endpoint, token: try #require(lab.config.secondary.operatorToken))
        _ = try await secondary.runSyncJob(LabWorld.syncJobID)
        _ = try await lab.ctl("advance 2m")
        let state = try await secondary.syncJobs(store: "mirror")[0].status.lastRunState
        #expect(state?.contains("certificate verify failed") == true, "\(state ?? "nil")")
        // So does PVE's storage entry.
        let host = lab.config.pve[0]
        let pve = PVEClient(transport: try lab.transport(), endpoint: host.endpoint, token: host.token)
        #expect(try await pve.storageStatus(node: host.node, storage: host.storage).active == 0)
        await lab.stop()
    }

    @Test func theFirewallCanForgetThePVEHostsAndATokenCanBeRevoked() async throws {
        let lab = try await RunningLab.start()
        let host = lab.config.pve[0]
        let pve = PVEClient(transport: try lab.transport(), endpoint: host.endpoint, token: host.token)
        #expect(try await pve.storageStatus(node: host.node, storage: "backup-secondary").active == 1)
        _ = try await lab.ctl("firewall secondary block-pve")
        #expect(try await pve.storageStatus(node: host.node, storage: "backup-secondary").active == 0)
        let monitor = PBSClient(transport: try lab.transport(), endpoint: lab.config.secondary.endpoint, token: lab.config.secondary.token)
        #expect(try await monitor.version().version == "3.4", "pbsha still reaches the secondary")
        _ = try await lab.ctl("firewall secondary open")
        #expect(try await pve.storageStatus(node: host.node, storage: "backup-secondary").active == 1)

        #expect(try await lab.ctl("pve pve-a backup-token revoke") == "revoked pve@pbs!backup on primary and secondary")
        _ = try await lab.ctl("advance 4h")
        let shown = try await lab.ctl("show pve")
        #expect(shown.contains("could not activate storage 'backup-primary': backup-primary: error fetching datastores - 401 Unauthorized"), "\(shown)")
        await lab.stop()
    }

    @Test func theWebhookSinkKeepsWhatItReceives() async throws {
        let lab = try await RunningLab.start()
        let notify = try #require(lab.config.notify)
        let url = try #require(URL(string: notify.webhookURL))
        let endpoint = Endpoint(host: "127.0.0.1", port: try #require(url.port), fingerprint: try #require(notify.webhookFingerprint))
        let transport = try lab.transport()
        #expect(try await lab.ctl("show notifications") == "no notifications received")
        let body = Array(#"{"text":"failover started by alice: primary down"}"#.utf8)
        let sent = try await transport.send(HTTPRequest(method: "POST", path: url.path, headers: [("Content-Type", "application/json")], body: body), to: endpoint)
        #expect(sent.status == 200)
        let wrong = try await transport.send(HTTPRequest(method: "POST", path: "/hook/guess", headers: [("Content-Type", "application/json")], body: body), to: endpoint)
        #expect(wrong.status == 404)
        #expect(try await lab.ctl("show notifications").hasSuffix("  failover started by alice: primary down"))
        await lab.stop()
    }
}
