import Foundation
import ProxmoxAPI
import Testing

/// A transport that answers from a table, recording what it was asked.
final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    var answers: [String: HTTPResponse] = [:]
    var requests: [HTTPRequest] = []

    func send(_ request: HTTPRequest, to endpoint: Endpoint) async throws(APIError) -> HTTPResponse {
        requests.append(request)
        guard let answer = answers[request.path] else { return HTTPResponse(status: 404, body: Array("Path '\(request.path)' not found.".utf8)) }
        return answer
    }
}

@Suite struct APIConnectionTests {
    let endpoint = Endpoint(host: "pbs1", port: 8007, fingerprint: Fingerprint(String(repeating: "01:", count: 31) + "01")!)
    let token = APIToken(authID: "monitor@pbs!console", secret: "secret")

    @Test func sendsTheTokenAndPercentEncodesUPIDs() async throws {
        let transport = ScriptedTransport()
        let upid = "UPID:pbs-b:00002F1A:0001C9E3:00000012:684A26B8:syncjob:a\\x3ab:root@pam:"
        let path = "/api2/json/nodes/localhost/tasks/UPID%3Apbs-b%3A00002F1A%3A0001C9E3%3A00000012%3A684A26B8%3Asyncjob%3Aa%5Cx3ab%3Aroot%40pam%3A/status"
        transport.answers[path] = HTTPResponse(status: 200, body: Array(#"{"data":{"upid":"u","node":"pbs-b","pid":1,"starttime":5,"type":"syncjob","user":"root@pam","status":"running"}}"#.utf8))
        let client = PBSClient(transport: transport, endpoint: endpoint, token: token)
        let status = try await client.taskStatus(upid)
        #expect(status.status == "running")
        #expect(transport.requests.first?.headers.contains { $0.0 == "Authorization" && $0.1 == "PBSAPIToken=monitor@pbs!console:secret" } == true)
    }

    @Test func decodingErrorsNameTheField() async {
        let transport = ScriptedTransport()
        transport.answers["/api2/json/version"] = HTTPResponse(status: 200, body: Array(#"{"data":{"version":"3.4","release":1}}"#.utf8))
        let client = PBSClient(transport: transport, endpoint: endpoint, token: token)
        await #expect {
            try await client.version()
        } throws: { error in
            guard case let .decoding(_, path, detail)? = error as? APIError else { return false }
            return path == "/version" && detail.contains("release")
        }
    }

    @Test func errorBodiesAreReadAsText() async {
        let transport = ScriptedTransport()
        transport.answers["/api2/json/admin/sync"] = HTTPResponse(status: 403, body: Array("permission check failed".utf8))
        let client = PBSClient(transport: transport, endpoint: endpoint, token: token)
        await #expect(throws: APIError.forbidden(host: "pbs1", path: "/admin/sync", message: "permission check failed")) {
            try await client.syncJobs()
        }
    }

    @Test func decodesSyncJobRowsWithFlattenedStatus() throws {
        let row = #"{"id":"pull","store":"s1","remote":"a","remote-store":"s0","schedule":"*:0/15","next-run":100,"last-run-upid":"U","last-run-state":"WARNINGS: 2","last-run-endtime":90}"#
        let job = try JSONDecoder().decode(ScheduledJob<SyncJob>.self, from: Data(row.utf8))
        #expect(job.status == JobScheduleStatus(nextRun: 100, lastRunUPID: "U", lastRunState: "WARNINGS: 2", lastRunEndtime: 90))
        #expect(TaskOutcome(job.status.lastRunState!) == .warnings(2))
        #expect(TaskOutcome("sync failed with some errors.") == .error("sync failed with some errors."))
    }
}
