import Foundation
@testable import PairEngine
import ProxmoxAPI
import Testing

@Suite struct RecordingTransportTests {
    final class Answering: HTTPTransport, @unchecked Sendable {
        func send(_ request: HTTPRequest, to endpoint: Endpoint) async throws(APIError) -> HTTPResponse {
            request.method == "GET" ? HTTPResponse(status: 200, body: Array(#"{"data":{"version":"8.4.1","release":"8.4","repoid":"2a5fa54a"}}"#.utf8))
                // What PVE answers to PUT /storage/{id}.
                : HTTPResponse(status: 200, body: Array(#"{"data":{"storage":"backup-secondary","type":"pbs"}}"#.utf8))
        }
    }

    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var records: [WriteRecord] = []
        func add(_ record: WriteRecord) { lock.withLock { records.append(record) } }
        var all: [WriteRecord] { lock.withLock { records } }
    }

    @Test func writesAreRecordedWithoutTheirSecretsAndReadsAreNot() async throws {
        let log = Log()
        let transport = RecordingTransport(Answering()) { log.add($0) }
        let pve = PVEClient(transport: transport, endpoint: Endpoint(host: "pve1", port: 8006, fingerprint: Fingerprint(String(repeating: "02", count: 32))!),
                            token: APIToken(authID: "pbsha@pve!operator", secret: "the-token-secret"))
        _ = try await pve.version()
        try await pve.setStoragePassword("backup-secondary", secret: "very-secret")
        try await pve.updateStorage("backup-secondary", set: [("fingerprint", "aa:bb")])
        #expect(log.all == [
            WriteRecord(method: "PUT", host: "pve1:8006", path: "/api2/json/storage/backup-secondary", parameters: ["password": "(secret removed)"], status: 200),
            WriteRecord(method: "PUT", host: "pve1:8006", path: "/api2/json/storage/backup-secondary", parameters: ["fingerprint": "aa:bb"], status: 200),
        ])
        #expect(!"\(log.all)".contains("very-secret") && !"\(log.all)".contains("the-token-secret"))
    }
}
