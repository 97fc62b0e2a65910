import Foundation
@testable import PairEngine
import ProxmoxAPI
import TestSupport
import Testing

/// Step 4 posts to a webhook that is an ordinary web service: verified against certificate
/// authorities when no fingerprint is pinned, and its URL (its secret) never journaled.
@Suite(.serialized) struct NotifyWebhookTests {
    struct Nowhere: HTTPTransport {
        func send(_ request: HTTPRequest, to endpoint: Endpoint) async throws(APIError) -> HTTPResponse {
            throw .connectionRefused(host: endpoint.host, port: endpoint.port, detail: "only the webhook may be called")
        }
    }

    private func context(_ port: Int, webhooks: any HTTPTransport) -> RunContext {
        let node = NodeConfig(host: "pbs2.example.com", port: 8007, fingerprint: Fingerprint(String(repeating: "00", count: 32))!,
                              token: APIToken(authID: "a@pbs!b", secret: "s"), datastore: "main")
        let config = PairConfig(file: "memory", name: "pair", rpoSeconds: 3600, verifyMaxAgeSeconds: 86_400, stateDir: "/nonexistent",
                                primary: node, secondary: node, syncJob: "s", remote: "r", pve: [],
                                notify: NotifyConfig(webhookURL: "https://localhost:\(port)/hooks/T0K3N-SECRET", webhookFingerprint: nil))
        return RunContext(config: config, reads: Nowhere(), writes: Nowhere(), webhooks: webhooks, clock: ManualClock(1_800_000_000))
    }

    private let run = RunState(id: "failover-1", runbook: "failover", startedBy: "oncall", started: 1_800_000_000, finished: nil,
                               state: .active, drill: nil, steps: [])

    @Test func anUnpinnedWebhookIsPostedWhenItsAuthorityIsTrustedAndNothingIsJournaled() async throws {
        let certificates = try await ForeignCertificates.shared()
        let server = try await ForeignServer(.webhook, certificate: "hooks", certificates: certificates)
        defer { server.stop() }
        let trusted = try PinnedHTTPSClient(limits: .init(connectTimeout: 30, requestTimeout: 30),
                                            trust: .authorities(pemFile: certificates.certificate("hooks-ca")))
        let written = Recorded()
        let context = context(server.port, webhooks: trusted).recording { written.add($0) }
        let change = try #require(try await Notify().plan(context, run, Decisions()).first)
        #expect(change.target == "webhook" && change.diff?.contains("FAILOVER by oncall") == true)
        #expect(await Notify().apply(change, context, run) == .applied("posted to the webhook (200)"))
        #expect(server.requests.contains { $0.hasPrefix("POST /hooks/T0K3N-SECRET ") })
        #expect(server.requests.contains { $0.hasPrefix("body {\"text\":") && $0.contains("FAILOVER by oncall") })
        #expect(written.all.isEmpty, "the webhook's URL is its secret: \(written.all)")
    }

    @Test func anUntrustedWebhookFailsWithTheReasonAndTheMessageStaysShown() async throws {
        let certificates = try await ForeignCertificates.shared()
        let server = try await ForeignServer(.webhook, certificate: "hooks", certificates: certificates)
        defer { server.stop() }
        let system = try PinnedHTTPSClient(limits: .init(connectTimeout: 30, requestTimeout: 30), trust: .authorities(pemFile: nil))
        let context = context(server.port, webhooks: system)
        let change = try #require(try await Notify().plan(context, run, Decisions()).first)
        let outcome = await Notify().apply(change, context, run)
        guard case .failed(let reason) = outcome else { Issue.record("expected a failure, got \(outcome)"); return }
        #expect(reason.contains("certificate was refused") && reason.hasSuffix("the message is shown for copying"))
        #expect(!reason.contains("T0K3N"), "the URL never reaches a message: \(reason)")
        #expect(server.requests.isEmpty)
    }
}

/// Collects write records from any thread.
final class Recorded: @unchecked Sendable {
    private let lock = NSLock()
    private var records: [WriteRecord] = []
    func add(_ record: WriteRecord) { lock.withLock { records.append(record) } }
    var all: [WriteRecord] { lock.withLock { records } }
}
