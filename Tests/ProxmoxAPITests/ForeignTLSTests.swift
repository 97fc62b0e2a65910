import Foundation
import ProxmoxAPI
import TestSupport
import Testing

/// The pinned client against HTTPS servers it did not meet before: python3's `ssl`
/// (OpenSSL) with certificates made by the openssl command line.
@Suite(.serialized) struct ForeignTLSTests {
    let certificates: ForeignCertificates
    let token = APIToken(authID: "monitor@pbs!console", secret: "0b5c7a0e-7c2d-4f0e-9d41-5a8c3e2f1b6d")

    init() async throws { certificates = try await ForeignCertificates.shared() }

    /// Generous timeouts: no test here is about time, and a loaded two-core CI machine is slow.
    private func client(_ server: ForeignServer, host: String = "127.0.0.1", pin: String) throws -> PBSClient {
        let transport = try PinnedHTTPSClient(limits: .init(connectTimeout: 30, requestTimeout: 30))
        return PBSClient(transport: transport, endpoint: Endpoint(host: host, port: server.port, fingerprint: Fingerprint(pin)!), token: token)
    }

    /// (a) no subjectAltName, (b) names that are not the address connected to, (c) expired.
    @Test(arguments: ["no-san", "elsewhere", "expired"])
    func aMatchingPinIsTheWholeOfTrust(certificate: String) async throws {
        let server = try await ForeignServer(.pbsPrimary, certificate: certificate, certificates: certificates, token: (token.authID, token.secret))
        defer { server.stop() }
        let client = try client(server, pin: try certificates.fingerprint(certificate))
        #expect(try await client.version() == VersionInfo(version: "4.1", release: "2", repoid: "4b8bd4c5e0bb1b3c"))
        #expect(try await client.datastoreStatus("main").total == 4_000_787_030_016)
    }

    /// (d) the certificate names the address exactly, but it is not the pinned one.
    @Test func aMatchingNameWithTheWrongPinIsRefusedShowingBoth() async throws {
        let server = try await ForeignServer(.pbsPrimary, certificate: "loopback", certificates: certificates, token: (token.authID, token.secret))
        defer { server.stop() }
        let expected = Fingerprint(try certificates.fingerprint("elsewhere"))!
        let presented = Fingerprint(try certificates.fingerprint("loopback"))!
        let client = try client(server, pin: expected.description)
        await #expect(throws: APIError.fingerprintMismatch(host: "127.0.0.1", expected: expected, presented: presented)) {
            try await client.version()
        }
        let message = APIError.fingerprintMismatch(host: "127.0.0.1", expected: expected, presented: presented).description
        #expect(message.contains(expected.description) && message.contains(presented.description))
        #expect(server.requests.isEmpty, "nothing may be sent to a server whose certificate was refused")
        #expect(await server.loggedError(containing: "ALERT_CERTIFICATE_UNKNOWN"), "the refusal is told to the server as a TLS alert")
    }

    /// (e) an IPv6 literal: the connection works and `Host` carries brackets.
    @Test func ipv6LiteralsConnectAndSendABracketedHostHeader() async throws {
        let server = try await ForeignServer(.pbsPrimary, certificate: "primary", certificates: certificates, bind: "::1",
                                       token: (token.authID, token.secret))
        defer { server.stop() }
        let client = try client(server, host: "::1", pin: try certificates.fingerprint("primary"))
        #expect(try await client.version().version == "4.1")
        #expect(server.requests == ["GET /api2/json/version host=[::1]:\(server.port)"])
    }

    /// Against OpenSSL's side of keep-alive: requests share one connection while the server
    /// keeps it; a connection the server closed for idleness is not used again; a server
    /// that answers `Connection: close` gets a new connection each time.
    @Test func keptConnectionsFollowWhatTheServerSays() async throws {
        let kept = try await ForeignServer(.pbsPrimary, certificate: "primary", certificates: certificates, token: (token.authID, token.secret),
                                           extra: ["--keep-alive", "4"])
        defer { kept.stop() }
        let client = try client(kept, pin: try certificates.fingerprint("primary"))
        // The server closes a connection idle for 4 s: on a loaded machine 1 s between two
        // requests was seen (the server rightly closed, the client rightly reconnected).
        for _ in 0..<5 { #expect(try await client.version().version == "4.1") }
        #expect(kept.connections == 1 && kept.requests.count == 5, "\(kept.connections) connections for \(kept.requests.count) requests")
        let deadline = Date().addingTimeInterval(15)
        while kept.idleCloses == 0, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(kept.idleCloses == 1)
        #expect(try await client.version().version == "4.1", "the closed connection is not used again")
        #expect(kept.connections == 2)

        let closing = try await ForeignServer(.pbsPrimary, certificate: "primary", certificates: certificates, token: (token.authID, token.secret))
        defer { closing.stop() }
        let other = try self.client(closing, pin: try certificates.fingerprint("primary"))
        for _ in 0..<3 { _ = try await other.version() }
        #expect(closing.connections == 3)
    }

    @Test func aServerThatReallyClosesEarlySaysSo() async throws {
        let server = try await ForeignServer(.closeBeforeAnswer, certificate: "elsewhere", certificates: certificates)
        defer { server.stop() }
        let client = try client(server, pin: try certificates.fingerprint("elsewhere"))
        await #expect(throws: APIError.truncated(host: "127.0.0.1", path: "/api2/json/version")) { try await client.version() }
    }

    /// Each TLS-level failure is named for what it is, never as "closed the connection".
    @Test(arguments: [
        (ForeignServer.Mode.uncleanMidBody, [String](), "unclean shutdown"),
        (.eofInHandshake, [], "closed the connection during the TLS handshake"),
        (.plainHTTP, [], "did not answer in TLS"),
        (.pbsPrimary, ["--max-tls", "1.1"], "alert protocol_version"),
        (.pbsPrimary, ["--max-tls", "1.2", "--ciphers", "ARIA128-GCM-SHA256"], "alert handshake_failure"),
        (.pbsPrimary, ["--require-client-cert"], "demands a client certificate"),
    ])
    func tlsFailuresNameTheirCause(mode: ForeignServer.Mode, options: [String], cause: String) async throws {
        let server = try await ForeignServer(mode, certificate: "elsewhere", certificates: certificates, token: (token.authID, token.secret), extra: options)
        defer { server.stop() }
        let client = try client(server, pin: try certificates.fingerprint("elsewhere"))
        await #expect {
            try await client.version()
        } throws: { error in
            guard case let .tls(host, detail)? = error as? APIError else { return false }
            let message = (error as! APIError).description
            return host == "127.0.0.1" && detail.contains(cause) && !message.contains("closed the connection before")
        }
    }

    @Test func pvesReasonPhraseIsReadFromTheStatusLine() async throws {
        let server = try await ForeignServer(.pve, certificate: "pve", certificates: certificates, token: ("pbsha@pve!failover", "right"))
        defer { server.stop() }
        let transport = try PinnedHTTPSClient(limits: .init(connectTimeout: 30, requestTimeout: 30))
        let endpoint = Endpoint(host: "127.0.0.1", port: server.port, fingerprint: Fingerprint(try certificates.fingerprint("pve"))!)
        let client = PVEClient(transport: transport, endpoint: endpoint, token: APIToken(authID: "pbsha@pve!failover", secret: "wrong"))
        await #expect(throws: APIError.unauthorized(host: "127.0.0.1", message: "authentication failure")) { try await client.version() }
    }

    @Test func pvesPrivilegesAreReadWithTheirZeroOrOneFlags() async throws {
        let server = try await ForeignServer(.pve, certificate: "pve", certificates: certificates, token: ("pbsha@pve!failover", "right"))
        defer { server.stop() }
        let transport = try PinnedHTTPSClient(limits: .init(connectTimeout: 30, requestTimeout: 30))
        let endpoint = Endpoint(host: "127.0.0.1", port: server.port, fingerprint: Fingerprint(try certificates.fingerprint("pve"))!)
        let client = PVEClient(transport: transport, endpoint: endpoint, token: APIToken(authID: "pbsha@pve!failover", secret: "right"))
        #expect(try await client.privileges(on: "/storage") == ["Datastore.Allocate", "Datastore.Audit", "Datastore.AllocateSpace"])
        #expect(try await client.privileges(on: "/vms/100").isEmpty)
    }

    @Test func anAnswerThatIsNotHTTPIsNamed() async throws {
        let server = try await ForeignServer(.notHTTP, certificate: "elsewhere", certificates: certificates)
        defer { server.stop() }
        let client = try client(server, pin: try certificates.fingerprint("elsewhere"))
        await #expect {
            try await client.version()
        } throws: { error in
            if case .notHTTP? = error as? APIError { return true } else { return false }
        }
    }
}

/// The same client trusting certificate authorities instead of a pin, as it posts to webhooks.
/// Nested, so it runs after the pinned tests rather than beside them: python servers starved
/// of CPU on a loaded two-core machine are not what these tests are about.
extension ForeignTLSTests {
    @Suite struct AuthorityTrustTests {
        let certificates: ForeignCertificates
        init() async throws { certificates = try await ForeignCertificates.shared() }

        private func post(_ server: ForeignServer, host: String = "localhost", trust: PinnedHTTPSClient.Trust) async throws(APIError) -> HTTPResponse {
            let client = try! PinnedHTTPSClient(limits: .init(connectTimeout: 30, requestTimeout: 30), trust: trust)
            // The endpoint's fingerprint is not consulted with authorities: any value will do.
            return try await client.send(HTTPRequest(method: "POST", path: "/hooks/T0K3N", body: Array(#"{"text":"hi"}"#.utf8)),
                                         to: Endpoint(host: host, port: server.port, fingerprint: Fingerprint(String(repeating: "ab", count: 32))!))
        }

        @Test func aCertificateSignedByATrustedAuthorityForTheNameIsAccepted() async throws {
            let server = try await ForeignServer(.webhook, certificate: "hooks", certificates: certificates)
            defer { server.stop() }
            let trust = PinnedHTTPSClient.Trust.authorities(pemFile: certificates.certificate("hooks-ca"))
            #expect(try await post(server, trust: trust).status == 200)
            #expect(try await post(server, host: "127.0.0.1", trust: trust).status == 200)
            #expect(server.requests.contains("body {\"text\":\"hi\"}"))
        }

        @Test func anUnknownAuthorityOrAnotherNameIsRefusedAndNothingIsSent() async throws {
            let unknown = try await ForeignServer(.webhook, certificate: "hooks", certificates: certificates)
            defer { unknown.stop() }
            // The system's store does not know the test CA; a self-signed PBS-like certificate neither.
            await #expect(throws: APIError.tls(host: "localhost", detail: "handshake failed: the server's certificate was refused")) {
                try await post(unknown, trust: .authorities(pemFile: nil))
            }
            let elsewhere = try await ForeignServer(.webhook, certificate: "hooks-elsewhere", certificates: certificates)
            defer { elsewhere.stop() }
            await #expect(throws: APIError.tls(host: "localhost", detail: "the server's certificate does not name the host connected to")) {
                try await post(elsewhere, trust: .authorities(pemFile: certificates.certificate("hooks-ca")))
            }
            #expect(unknown.requests.isEmpty && elsewhere.requests.isEmpty)
        }
    }
}
