import Foundation
import ProxmoxAPI
import Testing

/// A transport that answers by method and path with PVE-shaped bodies, recording requests.
final class PVEScript: HTTPTransport, @unchecked Sendable {
    var answers: [String: HTTPResponse] = [:]
    var requests: [HTTPRequest] = []

    func answer(_ method: String, _ path: String, _ json: String, status: Int = 200, reason: String = "OK") {
        answers["\(method) /api2/json\(path)"] = HTTPResponse(status: status, reason: reason, body: Array(json.utf8))
    }

    func send(_ request: HTTPRequest, to endpoint: Endpoint) async throws(APIError) -> HTTPResponse {
        requests.append(request)
        return answers["\(request.method) \(request.path)"]
            ?? HTTPResponse(status: 501, reason: "Method '\(request.method) \(request.path)' not implemented", body: Array(#"{"data":null}"#.utf8))
    }
}

@Suite struct PVEClientTests {
    let script = PVEScript()
    var client: PVEClient {
        PVEClient(transport: script, endpoint: Endpoint(host: "pve1", port: 8006, fingerprint: Fingerprint(String(repeating: "01", count: 32))!),
                  token: APIToken(authID: "pbsha@pve!failover", secret: "c0ffee"))
    }

    @Test func readsStorageNodesClusterGuestsJobsAndStatusAsPVEWritesThem() async throws {
        script.answer("GET", "/storage", #"{"data":[{"storage":"local","type":"dir","content":"iso,backup,vztmpl","path":"/var/lib/vz","digest":"3f1c0e5a2b6d4c8e9f0a1b2c3d4e5f6a7b8c9d0e"},{"storage":"backup-primary","type":"pbs","content":"backup","datastore":"main","server":"192.0.2.10","username":"pve@pbs!backup","fingerprint":"0b:30:55:7a:9f:c4:e9:0e:33:58:7d:a2:c7:ec:11:36:5b:80:a5:ca:ef:14:39:5e:83:a8:cd:f2:17:3c:61:86","shared":1,"prune-backups":"keep-last=3","digest":"3f1c0e5a2b6d4c8e9f0a1b2c3d4e5f6a7b8c9d0e"}]}"#)
        script.answer("GET", "/nodes", #"{"data":[{"node":"pve1","status":"online","cpu":0.02,"maxcpu":16,"mem":1,"maxmem":2,"uptime":9,"level":"","ssl_fingerprint":"AB:CD"},{"node":"pve2","status":"offline"}]}"#)
        script.answer("GET", "/cluster/status", #"{"data":[{"type":"cluster","id":"cluster","name":"prod","nodes":2,"quorate":1,"version":4},{"type":"node","id":"node/pve1","name":"pve1","nodeid":1,"online":1,"local":1,"ip":"10.0.0.1","level":""}]}"#)
        script.answer("GET", "/cluster/resources?type=vm", #"{"data":[{"id":"qemu/100","type":"qemu","vmid":100,"node":"pve1","name":"web-1","status":"running","template":0,"maxdisk":34359738368},{"id":"lxc/200","type":"lxc","vmid":200,"node":"pve2","name":"dns","status":"stopped"}]}"#)
        script.answer("GET", "/cluster/backup", #"{"data":[{"id":"backup-3f1c0e5a-2b6d","type":"vzdump","schedule":"0/4:00","storage":"backup-primary","vmid":"100,101","enabled":1,"mode":"snapshot","notes-template":"{{guestname}}"}]}"#)
        script.answer("GET", "/nodes/pve1/storage/backup-primary/status", #"{"data":{"type":"pbs","content":"backup","shared":1,"enabled":1,"active":1,"total":4000787030016,"used":1234567890123,"avail":2766219139893}}"#)
        let client = self.client
        let storages = try await client.storages()
        #expect(storages.map(\.storage) == ["local", "backup-primary"])
        #expect(storages[1].server == "192.0.2.10" && storages[1].username == "pve@pbs!backup")
        #expect(try await client.nodes() == [PVENode(node: "pve1", status: "online", sslFingerprint: "AB:CD"), PVENode(node: "pve2", status: "offline", sslFingerprint: nil)])
        let status = try await client.clusterStatus()
        #expect(status.first?.type == "cluster" && status.first?.quorate == 1 && status.last?.local == 1)
        #expect(try await client.guests().map { "\($0.id)@\($0.node)" } == ["qemu/100@pve1", "lxc/200@pve2"])
        #expect(try await client.backupJobs().first?.storage == "backup-primary")
        #expect(try await client.storageStatus(node: "pve1", storage: "backup-primary").active == 1)
    }

    /// Fixed fields refused by the handler (500) or by the schema (400, with `errors`).
    @Test func refusalsCarryPVEsMessageAndTheRefusedParameter() async throws {
        script.answer("PUT", "/storage/backup-primary", #"{"data":null,"message":"update storage failed: can't change value of fixed parameter 'server'\n"}"#,
                      status: 500, reason: "update storage failed: can't change value of fixed parameter 'server'")
        let client = self.client
        await #expect(throws: APIError.server(host: "pve1", path: "/storage/backup-primary", status: 500,
                                               message: "update storage failed: can't change value of fixed parameter 'server'")) {
            try await client.updateStorage("backup-primary", set: [("server", "192.0.2.20")])
        }
        script.answer("PUT", "/storage/backup-primary", #"{"data":null,"errors":{"datastore":"property is not defined in schema and the schema does not allow additional properties"},"message":"Parameter verification failed.\n"}"#,
                      status: 400, reason: "Parameter verification failed.")
        await #expect(throws: APIError.badRequest(host: "pve1", path: "/storage/backup-primary",
                                                   message: "Parameter verification failed. (datastore: property is not defined in schema and the schema does not allow additional properties)")) {
            try await client.updateStorage("backup-primary", set: [("datastore", "mirror")])
        }
    }

    @Test func writesAreFormEncodedWithTheirParameters() async throws {
        script.answer("PUT", "/storage/backup-primary", #"{"data":{"storage":"backup-primary","type":"pbs"}}"#)
        script.answer("PUT", "/cluster/backup/backup-3f1c", #"{"data":null}"#)
        let client = self.client
        try await client.setStoragePassword("backup-primary", secret: "s3cr=t&x")
        try await client.updateStorage("backup-primary", set: [("fingerprint", "aa:bb")], delete: ["namespace"], digest: "3f1c")
        try await client.moveBackupJob("backup-3f1c", to: "backup-secondary")
        let bodies = script.requests.map { String(decoding: $0.body ?? [], as: UTF8.self) }
        #expect(bodies == ["password=s3cr%3Dt%26x", "fingerprint=aa%3Abb&delete=namespace&digest=3f1c", "storage=backup-secondary"])
        #expect(script.requests.allSatisfy { $0.headers.contains { $0 == ("Content-Type", "application/x-www-form-urlencoded") } })
    }

    @Test func vzdumpStartsATaskOrSaysNoGuestIsOnThatNode() async throws {
        let upid = "UPID:pve1:0003A1B2:01C2D3E4:66F1A2B3:vzdump:100:pbsha@pve!failover:"
        script.answer("POST", "/nodes/pve1/vzdump", #"{"data":"\#(upid)"}"#)
        script.answer("POST", "/nodes/pve2/vzdump", #"{"data":"OK"}"#)
        let client = self.client
        #expect(try await client.vzdump(node: "pve1", vmids: [100], storage: "backup-secondary") == .task(upid))
        #expect(try await client.vzdump(node: "pve2", vmids: [100], storage: "backup-secondary") == .noGuestOnThisNode)
        #expect(String(decoding: script.requests[0].body ?? [], as: UTF8.self) == "vmid=100&storage=backup-secondary&mode=snapshot&remove=0")
    }

    /// PVE's `start` skips lines: the next page starts at the last `n`, not after it.
    @Test func pveTaskLogsPageBySkipCount() async throws {
        let upid = "UPID:pve1:0003A1B2:01C2D3E4:66F1A2B3:vzdump:100:pbsha@pve!failover:"
        let path = "/nodes/pve1/tasks/\(APIPath.encode(upid))/log"
        func page(_ numbers: ClosedRange<Int>) -> String {
            #"{"data":["# + numbers.map { #"{"n":\#($0),"t":"INFO: line \#($0)"}"# }.joined(separator: ",") + #"],"total":7}"#
        }
        script.answer("GET", "\(path)?start=0&limit=3", page(1...3))
        script.answer("GET", "\(path)?start=3&limit=3", page(4...6))
        script.answer("GET", "\(path)?start=6&limit=3", page(7...7))
        let lines = try await client.taskLogLines(node: "pve1", upid: upid, pageSize: 3)
        #expect(lines.map(\.n) == Array(1...7))
        script.answer("GET", "/nodes/pve1/tasks/\(APIPath.encode(upid))/status",
                      #"{"data":{"upid":"\#(upid)","node":"pve1","pid":237994,"pstart":29545444,"starttime":1727111859,"type":"vzdump","id":"100","user":"pbsha@pve","tokenid":"failover","status":"stopped","exitstatus":"OK"}}"#)
        let status = try await client.taskStatus(node: "pve1", upid: upid)
        #expect(status.status == "stopped" && status.exitstatus == "OK" && status.tokenid == "failover")
    }
}
