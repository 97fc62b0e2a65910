import Foundation
import PairEngine
import ProxmoxAPI

/// A PBS pair of any size held in memory, answering the reads a console makes the way PBS
/// does (`/groups`, `/snapshots` filtered by `backup-type`/`backup-id`, tasks, jobs, a task
/// log), from bodies encoded ahead so that timing pbsha does not time a server.
/// Port 1 is the primary, port 2 the secondary. It counts requests and answered bytes.
final class SyntheticPair: HTTPTransport, @unchecked Sendable {
    static let now: Int64 = 1_796_000_000
    static let store = ["main", "mirror"]
    static let syncUPID = UPID.pbs(node: "pbs2", pid: 1, pstart: 1, taskID: 1, startTime: now - 600,
                                   workerType: "syncjob", workerID: "primary-hub:main:mirror::primary-mirror", authID: "root@pam")

    private let lock = NSLock()
    /// Per node, per group (`type/id`): the snapshot objects, encoded.
    private var groups: [[String: [String]]]
    private var logLines: [String]
    /// Answers encoded once: `/groups` and whole lists per node (until a backup), log pages by query.
    private var encodedGroups: [[UInt8]?] = [nil, nil]
    private var encodedWholeLists: [[UInt8]?] = [nil, nil]
    private var encodedLogPages: [String: [UInt8]] = [:]
    private(set) var requests = 0
    private(set) var bytes = 0

    /// `groups` groups of `perGroup` hourly snapshots on each node; the secondary lacks each
    /// group's newest. `logLines`: the sync task's log.
    init(groups count: Int, perGroup: Int, logLines: Int) {
        var primary: [String: [String]] = [:]
        for g in 0..<count {
            let id = String(100 + g)
            primary["vm/\(id)"] = (0..<perGroup).map { Self.snapshot(id: id, time: Self.now - Int64(perGroup - $0) * 3600) }
        }
        groups = [primary, primary.mapValues { Array($0.dropLast()) }]
        self.logLines = (1...max(1, logLines)).map { "2026-12-02T03:00:00+00:00: sync snapshot vm/\(100 + $0 % 1000)/\($0) - done (\($0 * 37 % 9000) KiB)" }
    }

    /// One snapshot as PBS lists it (verified, two files).
    static func snapshot(id: String, time: Int64) -> String {
        let upid = "UPID:pbs1:00000001:00000001:00000007:\(String(time, radix: 16, uppercase: true)):verificationjob:main\\\\x3av:root@pam:"
        return #"{"backup-type":"vm","backup-id":"\#(id)","backup-time":\#(time),"files":[{"filename":"index.json.blob","crypt-mode":"none","size":517},{"filename":"drive-scsi0.img.fidx","crypt-mode":"none","size":34603008}],"size":34603525,"owner":"root@pam","protected":false,"verification":{"state":"ok","upid":"\#(upid)"}}"#
    }

    /// A new backup in one group of the primary (its row changes).
    func backUp(group: Int) {
        lock.withLock {
            let id = String(100 + group)
            groups[0]["vm/\(id)", default: []].append(Self.snapshot(id: id, time: Self.now + Int64(groups[0]["vm/\(id)"]?.count ?? 0) * 60))
            encodedGroups[0] = nil
            encodedWholeLists[0] = nil
        }
    }

    /// Makes the answer to a whole-datastore `/snapshots` read ahead (kept until a backup),
    /// so that timing the read times decoding.
    func prepareWholeList(node: Int) {
        lock.withLock { _ = wholeList(node) }
    }

    private func wholeList(_ node: Int) -> [UInt8] {
        if let body = encodedWholeLists[node] { return body }
        let body = Self.envelope(groups[node].keys.sorted().flatMap { groups[node][$0]! })
        encodedWholeLists[node] = body
        return body
    }

    static func envelope(_ objects: [String]) -> [UInt8] {
        var body = #"{"data":["#
        body.reserveCapacity(objects.reduce(16) { $0 + $1.utf8.count + 1 })
        for (index, object) in objects.enumerated() {
            if index > 0 { body += "," }
            body += object
        }
        body += "]}"
        return Array(body.utf8)
    }

    func send(_ request: HTTPRequest, to endpoint: Endpoint) async throws(APIError) -> HTTPResponse {
        let node = endpoint.port == 1 ? 0 : 1
        let body = lock.withLock { answer(node: node, request.path) }
        lock.withLock {
            requests += 1
            bytes += body?.count ?? 0
        }
        guard let body else { return HTTPResponse(status: 404, body: Array(#"{"data":null,"message":"no such path"}"#.utf8)) }
        return HTTPResponse(status: 200, body: body)
    }

    private func answer(node: Int, _ target: String) -> [UInt8]? {
        let parts = target.split(separator: "?", maxSplits: 1)
        let path = String(parts[0])
        var query: [String: String] = [:]
        for pair in parts.count > 1 ? parts[1].split(separator: "&") : [] {
            let kv = pair.split(separator: "=", maxSplits: 1)
            query[String(kv[0])] = kv.count > 1 ? String(kv[1]).removingPercentEncoding : ""
        }
        let store = "/api2/json/admin/datastore/\(Self.store[node])"
        func encoded<T: Encodable>(_ value: T) -> [UInt8] { Array(try! JSONEncoder().encode(["data": value])) }
        switch path {
        case "/api2/json/version": return encoded(VersionInfo(version: "3.4.1", release: "3.4", repoid: "bench"))
        case "/api2/json/nodes/localhost/time": return encoded(NodeTime(timezone: "UTC", time: Self.now, localtime: Self.now))
        case "/api2/json/admin/datastore": return encoded([DatastoreListItem(store: Self.store[node])])
        case "\(store)/status":
            let count = groups[node].values.reduce(0) { $0 + $1.count }
            return encoded(DatastoreStatus(total: 1 << 44, used: 1 << 42, avail: 3 << 42,
                                           counts: .init(vm: .init(groups: groups[node].count, snapshots: count))))
        case "\(store)/namespace": return encoded([NamespaceListItem(ns: "")])
        case "\(store)/groups":
            if let body = encodedGroups[node] { return body }
            let body = encoded(groups[node].keys.sorted().map { key in
                let id = String(key.dropFirst(3)), list = groups[node][key]!
                return GroupListItem(backupType: "vm", backupID: id, lastBackup: Self.now - 3600 + Int64(list.count) * 60 - 60_000_000,
                                     backupCount: list.count, files: ["index.json.blob", "drive-scsi0.img.fidx"], owner: "root@pam")
            })
            encodedGroups[node] = body
            return body
        case "\(store)/snapshots":
            if let type = query["backup-type"], let id = query["backup-id"] { return Self.envelope(groups[node]["\(type)/\(id)"] ?? []) }
            return wholeList(node)
        case "/api2/json/nodes/localhost/tasks":
            let sync = TaskListItem(upid: Self.syncUPID, endtime: Self.now - 500, status: "OK")
            return encoded(node == 1 && query["typefilter"] == "syncjob" && query["since"] == nil ? [sync] : [])
        case "/api2/json/admin/sync":
            guard node == 1 else { return encoded([ScheduledJob<SyncJob>]()) }
            let job = SyncJob(id: "primary-mirror", store: "mirror", remote: "primary-hub", remoteStore: "main", schedule: "hourly")
            return encoded([ScheduledJob(job, status: .init(nextRun: Self.now + 3000, lastRunUPID: Self.syncUPID.raw, lastRunState: "ok", lastRunEndtime: Self.now - 500))])
        case "/api2/json/admin/verify": return encoded([ScheduledJob<VerifyJob>]())
        case "/api2/json/config/remote":
            return encoded(node == 1 ? [RemoteConfig(name: "primary-hub", host: "pbs1", port: nil, authID: "sync@pbs!s", fingerprint: nil)] : [])
        case "/api2/json/nodes/localhost/tasks/\(APIPath.encode(Self.syncUPID.raw))/log":
            if let body = encodedLogPages[target] { return body }
            let start = Int(query["start"] ?? "1") ?? 1, limit = Int(query["limit"] ?? "500") ?? 500
            let lines = logLines.indices.dropFirst(start - 1).prefix(limit).map { TaskLogLine(n: $0 + 1, t: logLines[$0]) }
            let body = Array(try! JSONEncoder().encode(TaskLogPage(data: lines, total: logLines.count, active: false)))
            encodedLogPages[target] = body
            return body
        default: return nil
        }
    }
}
