import Foundation
@testable import Lab
@testable import PairEngine
import ProxmoxAPI
import Testing

/// The writes the lab accepts, with PBS's privilege rules (`set_backup_owner`,
/// `check_sync_job_modify_access`) and PBS's answers when they are not met.
@Suite struct LabWritesTests {
    @Test func pausingTheSyncJobDeletesItsScheduleAndNeedsTheJobsPrivileges() async throws {
        let transport = WorldTransport(LabWorld.sample())
        let monitor = transport.client(.secondary, as: LabWorld.monitorToken)
        await #expect { try await monitor.updateSyncJob(LabWorld.syncJobID, delete: ["schedule"]) } throws: {
            // PBS answers 400 here; pbsha's client reads any "permission check failed" as a refusal.
            refusal($0) == ("403", "permission check failed")
        }
        #expect(transport.world { $0.secondary.syncJobs.first?.schedule } == "hourly", "a refused write changes nothing")

        let operatorClient = transport.client(.secondary, as: LabWorld.operatorToken)
        try await operatorClient.updateSyncJob(LabWorld.syncJobID, delete: ["schedule"])
        #expect(try await monitor.syncJobs(store: "mirror")[0].config.schedule == nil)
        func syncRuns() -> Int { transport.world { $0.secondary.tasks.filter { $0.parsed.workerType == "syncjob" }.count } }
        let before = syncRuns()
        transport.world { _ = $0.advance(to: $0.now + 6 * 3600) }
        #expect(syncRuns() == before, "a job without a schedule does not run")

        await #expect { try await operatorClient.updateSyncJob(LabWorld.syncJobID, set: [("schedule", "every tuesday")]) } throws: {
            let (kind, text) = refusal($0)
            return kind == "400" && text.hasPrefix("parameter verification failed - 'schedule':")
        }
        await #expect { try await operatorClient.updateSyncJob(LabWorld.syncJobID, delete: ["store"]) } throws: {
            refusal($0) == ("400", "parameter verification failed - 'delete': value 'store' is not defined in the enumeration.")
        }
        await #expect { try await operatorClient.updateSyncJob("nope", delete: ["schedule"]) } throws: {
            refusal($0) == ("400", "no such sync 'nope'")
        }
        // A new schedule counts from now: the next run is the next slot, not a catch-up burst.
        try await operatorClient.updateSyncJob(LabWorld.syncJobID, set: [("schedule", "hourly"), ("remove-vanished", "false")])
        let now = transport.world { $0.now }
        let row = try await monitor.syncJobs(store: "mirror")[0]
        #expect(row.config.schedule == "hourly" && row.status.nextRun ?? 0 > now && row.status.nextRun ?? .max <= now + 3600)
        // PBS's quirk: an update that sends no schedule to a scheduled job resets it too.
        transport.world { _ = $0.advance(to: $0.now + 1800); $0.secondary.lastRun[LabWorld.syncJobID] = 0 }
        try await operatorClient.updateSyncJob(LabWorld.syncJobID, set: [("comment", "  ")])
        #expect(transport.world { $0.secondary.lastRun[LabWorld.syncJobID] == $0.now && $0.secondary.syncJobs.first?.comment == nil })
    }

    @Test func aManualRunIsTheCallersTask() async throws {
        let transport = WorldTransport(LabWorld.sample())
        let operatorClient = transport.client(.secondary, as: LabWorld.operatorToken)
        let upid = try await operatorClient.runSyncJob(LabWorld.syncJobID)
        let parsed = try UPID(upid)
        #expect(parsed.workerType == "syncjob" && parsed.authID == LabWorld.operatorToken)
        #expect(try await operatorClient.taskStatus(upid).upid == upid, "the caller may read its own task")
        await #expect { try await transport.client(.primary, as: LabWorld.operatorToken).runSyncJob(LabWorld.syncJobID) } throws: {
            refusal($0) == ("400", "no such sync 'primary-mirror'")
        }
    }

    @Test func changingAnOwnerFollowsPBSsRules() async throws {
        var world = LabWorld.sample()
        world.grant(.secondary, token: "ops@pbs!own", [LabACL(path: "/datastore/mirror", role: "DatastoreBackup")],
                    user: [LabACL(path: "/datastore/mirror", role: "DatastoreBackup")])
        let transport = WorldTransport(world)
        let group = try #require(transport.world { $0.secondary.snapshots.first?.group })
        let parts = group.split(separator: "/").map(String.init)
        func owner() -> String? { transport.world { w in w.secondary.snapshots.first { $0.group == group }?.owner } }

        await #expect { try await transport.client(.secondary, as: LabWorld.monitorToken).changeOwner(store: "mirror", type: parts[0], id: parts[1], to: "pve@pbs!backup") } throws: {
            refusal($0).kind == "403"
        }
        // Datastore.Backup alone: a token may not give away a group, even one its user could.
        await #expect { try await transport.client(.secondary, as: "ops@pbs!own").changeOwner(store: "mirror", type: parts[0], id: parts[1], to: "ops@pbs!own") } throws: {
            refusal($0) == ("401", "ops@pbs!own does not have permission to change owner of backup group '\(group)' to ops@pbs!own")
        }
        let operatorClient = transport.client(.secondary, as: LabWorld.operatorToken)
        await #expect { try await operatorClient.changeOwner(store: "mirror", type: parts[0], id: parts[1], to: "ghost@pbs") } throws: {
            refusal($0) == ("400", "user 'ghost@pbs' is inactive or non-existent")
        }
        #expect(owner() == "root@pam")
        try await operatorClient.changeOwner(store: "mirror", type: parts[0], id: parts[1], to: "pve@pbs!backup")
        #expect(transport.world { w in w.secondary.snapshots.filter { $0.group == group }.allSatisfy { $0.owner == "pve@pbs!backup" } })

        // The pull job now meets a group it does not own: PBS fails that group, and the run.
        transport.world { $0.runSync(.secondary, job: $0.secondary.syncJobs[0], at: $0.now, trigger: "manual") }
        let task = try #require(transport.world { $0.secondary.tasks.last })
        #expect(task.status == "sync failed with some errors.")
        #expect(task.lines.contains { $0 == "sync group \(group) failed - owner check failed (root@pam != pve@pbs!backup)" })

        _ = transport.world { $0.setMaintenance(.secondary, "read-only") }
        await #expect { try await operatorClient.changeOwner(store: "mirror", type: parts[0], id: parts[1], to: "root@pam") } throws: {
            refusal($0) == ("400", "datastore 'mirror' is unavailable: read-only maintenance mode: set by lab ctl")
        }
    }

    @Test func aWriteBodyMayBeAFormOrJSON() {
        let form = LabRequest(method: "PUT", target: "/api2/json/config/sync/x?digest=1", authorization: nil,
                              contentType: "application/x-www-form-urlencoded", body: Array("delete=schedule&comment=night+pause%21".utf8))
        #expect(form.value("delete") == "schedule" && form.value("comment") == "night pause!" && form.value("digest") == "1")
        let json = LabRequest(method: "PUT", target: "/api2/json/config/sync/x", authorization: nil,
                              contentType: "application/json", body: Array(#"{"remove-vanished":false,"delete":["schedule","comment"]}"#.utf8))
        #expect(json.value("remove-vanished") == "0" && json.query["delete"] == ["schedule", "comment"] && json.malformed == nil)
        let broken = LabRequest(method: "PUT", target: "/api2/json/config/sync/x", authorization: nil, contentType: "application/json", body: Array("{".utf8))
        #expect(broken.malformed != nil)
    }
}

/// A write over HTTPS: the form body crosses the lab's NIO server as PBS's web client sends it.
@Suite(.serialized) struct LabWritesOverHTTPSTests {
    @Test func theOperatorTokenPausesAndResumesTheSyncJob() async throws {
        let lab = try await RunningLab.start()
        let node = lab.config.secondary
        let operatorClient = PBSClient(transport: try lab.transport(), endpoint: node.endpoint, token: try #require(node.operatorToken))
        let monitor = PBSClient(transport: try lab.transport(), endpoint: node.endpoint, token: node.token)
        try await operatorClient.updateSyncJob(LabWorld.syncJobID, set: [("comment", "paused for failover drill")], delete: ["schedule"])
        let paused = try await monitor.syncJobConfigs()[0]
        #expect(paused.schedule == nil && paused.comment == "paused for failover drill")
        try await operatorClient.updateSyncJob(LabWorld.syncJobID, set: [("schedule", "hourly")], delete: ["comment"])
        let resumed = try await monitor.syncJobConfigs()[0]
        #expect(resumed.schedule == "hourly" && resumed.comment == nil)
        #expect(try await lab.ctl("status").contains("writes received: 2"))
        await lab.stop()
    }
}

/// `lab ctl acl` and `lab ctl owner`, through the world they change.
@Suite struct LabGrantTests {
    @Test func aclAndOwnerChangeWhatPBSWouldCheck() async throws {
        var world = LabWorld.sample()
        #expect(world.setACL(.secondary, authID: LabWorld.operatorToken, path: "/datastore/mirror", to: "none").ok)
        let transport = WorldTransport(world)
        await #expect { try await transport.client(.secondary, as: LabWorld.operatorToken).runSyncJob(LabWorld.syncJobID) } throws: {
            "\($0)".contains("permission check failed")
        }
        #expect(transport.world { $0.setACL(.secondary, authID: "nobody@pbs!x", path: "/", to: "Audit") }.message.hasPrefix("no API token"))
        #expect(transport.world { $0.setACL(.secondary, authID: "pbsha@pbs", path: "/datastore/", to: "Audit") }.ok == false)
        #expect(transport.world { $0.setACL(.secondary, authID: "pbsha@pbs", path: "/", to: "Superuser") }.message.contains("unknown PBS role"))
        #expect(transport.world { $0.setACL(.secondary, authID: "pbsha@pbs", path: "/", to: "PVEAuditor") }.ok == false, "a PVE role is not PBS's")

        let group = try #require(transport.world { $0.secondary.snapshots.first?.group })
        #expect(transport.world { $0.setOwner(.secondary, group: group, to: "pve@pbs!backup") }.ok)
        #expect(transport.world { w in w.secondary.snapshots.filter { $0.group == group }.allSatisfy { $0.owner == "pve@pbs!backup" } })
        #expect(transport.world { $0.setOwner(.secondary, group: "vm/999999", to: "root@pam") }.message.contains("no backup group"))
    }
}

/// Backups authenticate on the PBS their storage entry names, with PBS's owner rule: the
/// failover hazard pve-side.md section 7 describes, and its fix.
@Suite struct LabBackupOwnerTests {
    @Test func aFailoverBackupMeetsTheSyncOwnerUntilChangeOwner() async throws {
        var world = LabWorld.sample()
        world.retarget(host: 0, "backup-primary", to: .secondary)
        let transport = WorldTransport(world)
        func snapshots(_ group: String) -> Int { transport.world { w in w.secondary.snapshots.filter { $0.group == group }.count } }
        func lastErrors() -> [String] {
            transport.world { w in w.pve[0].tasks.last { $0.parsed.workerType == "vzdump" }!.lines.filter { $0.hasPrefix("ERROR:") } }
        }
        let job = transport.world { $0.pve[0].jobs[0].config.id }
        let before = snapshots("vm/100")
        #expect(before > 0, "the sync copied vm/100 to the secondary, owned by the job's owner")

        transport.world { $0.runBackupJob(host: 0, job: job, at: $0.now) }
        #expect(snapshots("vm/100") == before, "a refused backup writes nothing")
        #expect(lastErrors().count == 4)
        #expect(lastErrors().first == "ERROR: Backup of VM 100 failed - backup owner check failed (pve@pbs!backup != root@pam)")
        #expect(transport.world { $0.pve[0].tasks.last!.status } == "job errors")

        try await transport.client(.secondary, as: LabWorld.operatorToken)
            .changeOwner(store: "mirror", type: "vm", id: "100", to: "pve@pbs!backup")
        transport.world { $0.runBackupJob(host: 0, job: job, at: $0.now + 60) }
        #expect(snapshots("vm/100") == before + 1)
        #expect(lastErrors().count == 3, "the other guests' groups still belong to root@pam")

        // Without Datastore.Backup, with a wrong secret, and with a token the node does not know.
        let secret = transport.world { $0.secondary.tokens.first { $0.authID == "pve@pbs!backup" }!.secret }
        _ = transport.world { $0.setACL(.secondary, authID: "pve@pbs!backup", path: "/datastore/mirror", to: "none") }
        #expect(transport.world { $0.backupRefusal(.secondary, authID: "pve@pbs!backup", secret: secret, group: "vm/100") }
                == "permission check failed - missing Datastore.Backup on /datastore/mirror")
        #expect(transport.world { $0.backupRefusal(.secondary, authID: "pve@pbs!backup", secret: "wrong", group: "vm/100") }
                == "authentication failed - invalid credentials")
        #expect(transport.world { $0.backupRefusal(.secondary, authID: "pve@pbs!gone", secret: secret, group: "vm/100") }
                == "authentication failed - invalid credentials")
        // Another token of the same user is refused too: only the user itself may write there.
        transport.world { $0.grant(.secondary, token: "pve@pbs!other", [LabACL(path: "/datastore/mirror", role: "DatastoreBackup")],
                                   user: [LabACL(path: "/datastore/mirror", role: "DatastoreBackup")]) }
        #expect(transport.world { $0.backupRefusal(.secondary, authID: "pve@pbs!other", secret: "secret-pve@pbs!other", group: "vm/100") }
                == "backup owner check failed (pve@pbs!other != pve@pbs!backup)")
    }
}

/// Verify on demand, as failover's first step asks of the secondary.
@Suite struct LabVerifyNowTests {
    @Test func aGroupVerifiesNowAndFindsDamage() async throws {
        var world = LabWorld.sample()
        let damaged = world.corrupt(.secondary, count: 1)
        let group = try #require(world.secondary.snapshots.first { $0.corrupt }?.group)
        let transport = WorldTransport(world)
        let parts = group.split(separator: "/").map(String.init)
        let operatorClient = transport.client(.secondary, as: LabWorld.operatorToken)
        let upid = try await operatorClient.verify(store: "mirror", type: parts[0], id: parts[1], ignoreVerified: false)
        let parsed = try UPID(upid)
        #expect(parsed.workerType == "verify_group" && parsed.workerID == "mirror:/\(group)" && parsed.authID == LabWorld.operatorToken)
        let states = transport.world { w in w.secondary.snapshots.filter { $0.group == group }.map { $0.verification } }
        #expect(states.allSatisfy { $0?.upid == upid }, "every snapshot of the group was read again")
        #expect(states.compactMap { $0?.state }.filter { $0 == "failed" }.count == damaged.count)
        let task = try #require(transport.world { $0.secondary.tasks.last })
        #expect(task.status == "verification failed - please check the log for details")

        await #expect { try await transport.client(.secondary, as: LabWorld.monitorToken).verify(store: "mirror") } throws: {
            "\($0)".contains("missing Datastore.Verify|Datastore.Backup on /datastore/mirror")
        }
        await #expect { try await transport.client(.secondary, as: "pve@pbs!backup").verify(store: "mirror", type: parts[0], id: parts[1]) } throws: {
            "\($0)".contains("backup owner check failed (pve@pbs!backup != root@pam)")
        }
        await #expect { try await operatorClient.verify(store: "mirror", type: "vm") } throws: {
            "\($0)".contains("parameters do not specify a backup group or snapshot")
        }
        // The store, skipping what is verified: a second run right after has nothing to read.
        let store = try await operatorClient.verify(store: "mirror")
        #expect(try UPID(store).workerType == "verify")
        #expect(transport.world { $0.secondary.tasks.last?.lines.contains("found 0 groups") } == false, "synced since the last verify job")
        _ = try await operatorClient.verify(store: "mirror")
        #expect(transport.world { $0.secondary.tasks.last?.lines.contains("found 0 groups") } == true)
    }
}
