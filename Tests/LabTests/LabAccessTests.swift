import Foundation
@testable import Lab
import PairEngine
import ProxmoxAPI
import Testing

/// The lab's permission rules, checked against PBS's (`AclTree::roles`, `check_task_access`,
/// the datastore handlers), through pbsha's own client.
@Suite struct LabAccessTests {
    @Test func theMostSpecificEntryReplacesInheritedOnes() {
        let acl = [LabACL(path: "/", role: "Admin"), LabACL(path: "/datastore", role: "NoAccess"),
                   LabACL(path: "/datastore/main", role: "DatastoreBackup")]
        #expect(LabAccess.privileges(acl, on: "/datastore/main") == ["Datastore.Backup"])
        #expect(LabAccess.privileges(acl, on: "/datastore/other").isEmpty)
        #expect(LabAccess.privileges(acl, on: "/system/tasks").contains("Sys.Modify"))
        // An entry that does not propagate counts on its own path only.
        let exact = [LabACL(path: "/", role: "Admin"), LabACL(path: "/datastore", role: "NoAccess", propagate: false)]
        #expect(LabAccess.privileges(exact, on: "/datastore").isEmpty)
        #expect(LabAccess.privileges(exact, on: "/datastore/main").contains("Datastore.Modify"))
        // Two roles at the same level add up.
        let two = [LabACL(path: "/datastore/main", role: "DatastoreAudit"), LabACL(path: "/datastore/main", role: "DatastoreBackup")]
        #expect(LabAccess.privileges(two, on: "/datastore/main") == ["Datastore.Audit", "Datastore.Backup"])
    }

    @Test func everyRoleOfPBSIsKnown() {
        for role in ["Admin", "Audit", "NoAccess", "DatastoreAdmin", "DatastoreReader", "DatastoreBackup", "DatastorePowerUser",
                     "DatastoreAudit", "RemoteAdmin", "RemoteAudit", "RemoteSyncOperator"] {
            #expect(LabAccess.roles[role] != nil, "\(role)")
        }
        #expect(LabAccess.roles["Audit"] == ["Sys.Audit", "Datastore.Audit"], "Audit has no Remote.Audit on PBS")
    }

    @Test func aTokenHasAtMostWhatItsUserHas() async throws {
        var world = LabWorld.sample()
        world.grant(.secondary, token: "ops@pbs!wide", [LabACL(path: "/", role: "Admin")], user: [LabACL(path: "/", role: "Audit")])
        let transport = WorldTransport(world)
        let client = transport.client(.secondary, as: "ops@pbs!wide")
        #expect(try await client.permissions()["/"] == ["Sys.Audit": true, "Datastore.Audit": true])
        // A token whose user does not exist does not authenticate.
        transport.world { $0.secondary.users.removeAll { $0.userid == "ops@pbs" } }
        await #expect { try await client.version() } throws: { error in
            if case .unauthorized? = error as? APIError { return true } else { return false }
        }
    }

    @Test func refusedTaskReadsAre400AndJobTasksAreVisibleToWhoeverMayRunTheJob() async throws {
        let transport = WorldTransport(LabWorld.sample())
        // The sync token on the primary holds DatastoreReader (Datastore.Verify), no Sys.Audit.
        let reader = transport.client(.primary, as: LabWorld.syncToken)
        let tasks = try await reader.tasks(limit: 0)
        #expect(!tasks.isEmpty && tasks.allSatisfy { $0.workerType == "verificationjob" }, "\(Set(tasks.map(\.workerType)))")
        #expect(try await reader.taskStatus(tasks[0].upid).exitstatus == "OK")
        // A backup task of PVE's token is not the sync token's to read.
        let backup = try await transport.client(.primary, as: LabWorld.monitorToken).tasks(typeFilter: "backup", limit: 1)[0]
        await #expect(throws: APIError.badRequest(host: "primary", path: "/nodes/localhost/tasks/\(APIPath.encode(backup.upid))/status",
                                                  message: "task access not allowed")) {
            try await reader.taskStatus(backup.upid)
        }
    }

    @Test func taskAccessFollowsCheckTaskAccess() throws {
        func upid(_ type: String, _ id: String, by user: String) -> UPID {
            UPID.pbs(node: "pbs", pid: 1, pstart: 1, taskID: 1, startTime: 1, workerType: type, workerID: id, authID: user)
        }
        let user = LabCaller(authID: "ops@pbs", acl: [], ownerACL: nil)
        let token = LabCaller(authID: "ops@pbs!console", acl: [], ownerACL: [])
        #expect(user.mayRead(task: upid("backup", "main:vm/100", by: "ops@pbs!console")), "a user reads its own tokens' tasks")
        #expect(!token.mayRead(task: upid("backup", "main:vm/100", by: "ops@pbs")), "a token does not read its user's")
        #expect(!token.mayRead(task: upid("backup", "main:vm/100", by: "ops@pbs!other")))
        // A scheduled sync run (root@pam) is visible to whoever may run the job.
        let runner = LabCaller(authID: "ops@pbs!sync", acl: [LabACL(path: "/datastore/mirror", role: "DatastoreBackup"),
                                                            LabACL(path: "/remote/primary-hub", role: "RemoteSyncOperator")], ownerACL: nil)
        let sync = upid("syncjob", "primary-hub:main:mirror::primary-mirror", by: "root@pam")
        #expect(runner.mayRead(task: sync))
        let half = LabCaller(authID: "ops@pbs!half", acl: [LabACL(path: "/datastore/mirror", role: "DatastoreBackup")], ownerACL: nil)
        #expect(!half.mayRead(task: sync), "without Remote.Read on the remote store")
    }

    @Test func anUnknownUPIDIsStoppedWithAnUnknownResult() async throws {
        let transport = WorldTransport(LabWorld.sample())
        let client = transport.client(.secondary, as: LabWorld.monitorToken)
        let ghost = UPID.pbs(node: "pbs-secondary", pid: 1, pstart: 1, taskID: 99_999, startTime: 1_700_000_000,
                             workerType: "syncjob", workerID: "x:y:z::gone", authID: "root@pam").raw
        let status = try await client.taskStatus(ghost)
        #expect(status.status == "stopped" && status.exitstatus == "unknown")
    }

    @Test func anUnknownDatastoreIsCheckedForPrivilegesFirst() async throws {
        let transport = WorldTransport(LabWorld.sample())
        let monitor = transport.client(.primary, as: LabWorld.monitorToken)
        await #expect(throws: APIError.badRequest(host: "primary", path: "/admin/datastore/nope/status?verbose=1", message: "no such datastore 'nope'")) {
            try await monitor.datastoreStatus("nope")
        }
        let backup = transport.client(.primary, as: "pve@pbs!backup")
        await #expect { try await backup.datastoreStatus("nope") } throws: { error in
            (error as? APIError)?.missingPrivilege == "Datastore.Audit|Datastore.Backup"
        }
        // A router-level refusal does not say which privilege was missing.
        await #expect(throws: APIError.forbidden(host: "primary", path: "/nodes/localhost/status", message: "permission check failed")) {
            try await backup.nodeStatus()
        }
    }

    @Test func aBackupOnlyTokenSeesOnlyTheGroupsItOwns() async throws {
        var world = LabWorld.sample()
        world.grant(.primary, token: "other@pbs!backup", [LabACL(path: "/datastore/main", role: "DatastoreBackup")],
                    user: [LabACL(path: "/datastore/main", role: "DatastoreBackup")])
        let first = world.primary.snapshots[0].group
        for index in world.primary.snapshots.indices where world.primary.snapshots[index].group == first {
            world.primary.snapshots[index].owner = "other@pbs!backup"
        }
        let transport = WorldTransport(world)
        let other = transport.client(.primary, as: "other@pbs!backup")
        let groups = try await other.groups("main")
        #expect(groups.map { "\($0.backupType)/\($0.backupID)" } == [first])
        let snapshots = try await other.snapshots("main")
        #expect(!snapshots.isEmpty && snapshots.allSatisfy { "\($0.backupType)/\($0.backupID)" == first })
        #expect(try await other.datastoreStatus("main").counts?.snapshots == snapshots.count)
        let all = try await transport.client(.primary, as: LabWorld.monitorToken).snapshots("main")
        #expect(all.count > snapshots.count)
    }

    @Test func taskLogLinesCarryANumericOffset() async throws {
        let transport = WorldTransport(LabWorld.sample())
        let client = transport.client(.secondary, as: LabWorld.monitorToken)
        let task = try await client.tasks(typeFilter: "syncjob", limit: 1)[0]
        let line = try await client.taskLog(task.upid, start: 1, limit: 1).data[0].t
        #expect(line.dropFirst(19).hasPrefix("+00:00: "), "\(line)")
    }
}

/// `GET /access/acl`, so pbsha can tell what a token may do before it tries.
@Suite struct LabACLListTests {
    @Test func theACLListShowsAllWithSysAuditAndOwnTokensOtherwise() async throws {
        let transport = WorldTransport(LabWorld.sample())
        let monitor = transport.client(.secondary, as: LabWorld.monitorToken)
        let mirror = try await monitor.acl(path: "/datastore/mirror", exact: true)
        #expect(mirror.contains(ACLEntry(path: "/datastore/mirror", ugid: LabWorld.operatorToken, roleid: "DatastoreAdmin")))
        #expect(mirror.allSatisfy { $0.path == "/datastore/mirror" && $0.ugidType == "user" })
        let below = try await monitor.acl(path: "/datastore")
        #expect(below.count == mirror.count, "every datastore entry lies below /datastore")
        #expect(try await monitor.acl().contains { $0.path == "/" && $0.ugid == LabWorld.monitorToken && $0.roleid == "Audit" })
        // Without Sys.Audit on /access/acl: only the entries of the caller's user's tokens.
        let backup = try await transport.client(.secondary, as: "pve@pbs!backup").acl()
        #expect(backup == [ACLEntry(path: "/datastore/mirror", ugid: "pve@pbs!backup", roleid: "DatastoreBackup")])
    }

    @Test func anACLEntryReadsAsPBSWritesIt() throws {
        let json = #"[{"path":"/datastore/store1","ugid":"ops@pbs!console","ugid_type":"user","propagate":true,"roleid":"DatastoreAdmin"}]"#
        let entries = try JSONDecoder().decode([ACLEntry].self, from: Data(json.utf8))
        #expect(entries == [ACLEntry(path: "/datastore/store1", ugid: "ops@pbs!console", roleid: "DatastoreAdmin")])
    }
}
