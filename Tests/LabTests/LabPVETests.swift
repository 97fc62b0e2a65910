import Foundation
@testable import Lab
@testable import PairEngine
import ProxmoxAPI
import Testing

/// The lab's PVE hosts answer pbsha's PVE client the way PVE does: storage entries read from
/// a real storage.cfg, PVE's fixed-field rule, backup jobs, one-shot backups and their tasks.
@Suite struct LabPVETests {
    @Test func aStandaloneHostAndATwoNodeClusterEachKeepAStorageCfg() async throws {
        let transport = WorldTransport(LabWorld.sample())
        let standalone = transport.pveClient(0, as: LabWorld.pveToken)
        let cluster = transport.pveClient(1, as: LabWorld.pveToken)
        #expect(try await standalone.clusterStatus().map(\.type) == ["node"])
        #expect(try await cluster.clusterStatus().map(\.type) == ["cluster", "node", "node"])
        #expect(try await cluster.nodes().map(\.node) == ["pve2", "pve3"])
        #expect(Set(try await cluster.guests().map(\.node)) == ["pve2", "pve3"])
        let entries = try await standalone.pbsStorages()
        #expect(entries.map(\.storage) == ["backup-primary", "backup-secondary"])
        let text = transport.world { $0.pve[0].storageCfg }
        #expect(entries[0].digest == transport.world { $0.pve[0].digest } && entries[0].digest?.count == 40)
        #expect(text.contains("pbs: backup-primary\n\tdatastore main\n\tserver 127.0.0.1\n\tcontent backup\n\tfingerprint "), "written as PVE writes it")
        #expect(!text.contains(transport.world { $0.pve[0].passwords["backup-primary"]! }), "the secret is in <ID>.pw, never in storage.cfg")
        // The monitor token reads entries (Datastore.Audit) but not one entry's config (Datastore.Allocate).
        await #expect { try await standalone.storage("backup-primary") } throws: {
            refusal($0) == ("403", "Permission check failed (/storage/backup-primary, Datastore.Allocate)")
        }
        #expect(try await standalone.backupJobs().map(\.storage) == ["backup-primary"], "PVEAuditor has Sys.Audit on /")
    }

    @Test func pveRefusesToMoveAPBSEntryThroughItsAPI() async throws {
        let transport = WorldTransport(LabWorld.sample())
        let operatorClient = transport.pveClient(0, as: LabWorld.pveOperatorToken)
        let before = transport.world { $0.pve[0].storageCfg }
        await #expect { try await operatorClient.updateStorage("backup-primary", set: [("server", "10.0.0.2")]) } throws: {
            refusal($0) == ("500", "update storage failed: can't change value of fixed parameter 'server'")
        }
        await #expect { try await operatorClient.updateStorage("backup-primary", set: [("datastore", "mirror")]) } throws: {
            refusal($0) == ("400", "Parameter verification failed. (datastore: property is not defined in schema and the schema does not allow additional properties)")
        }
        await #expect { try await operatorClient.updateStorage("backup-primary", set: [], delete: ["server"]) } throws: {
            refusal($0) == ("500", "update storage failed: unable to delete fixed option 'server'")
        }
        await #expect { try await operatorClient.updateStorage("backup-primary", set: [("fingerprint", "aa:bb")]) } throws: {
            refusal($0).kind == "400"
        }
        await #expect { try await operatorClient.updateStorage("backup-primary", set: [("username", "x@pbs!y")], digest: String(repeating: "0", count: 40)) } throws: {
            refusal($0) == ("500", "update storage failed: detected modified configuration - file changed by other user? Try again.")
        }
        #expect(transport.world { $0.pve[0].storageCfg } == before, "a refused update changes nothing")

        // What PUT may change, it changes, and PVE rewrites the file its way.
        let monitor = transport.pveClient(0, as: LabWorld.pveToken)
        await #expect { try await monitor.updateStorage("backup-primary", set: [("username", "x@pbs!y")]) } throws: {
            refusal($0) == ("403", "Permission check failed (/storage, Datastore.Allocate)")
        }
        let digest = try await operatorClient.storage("backup-primary").digest
        try await operatorClient.updateStorage("backup-primary", set: [("username", "other@pbs!pve")], digest: digest)
        try await operatorClient.setStoragePassword("backup-primary", secret: "new-secret")
        #expect(try await operatorClient.storage("backup-primary").username == "other@pbs!pve")
        #expect(transport.world { $0.pve[0].passwords["backup-primary"] } == "new-secret")
    }

    @Test func backupJobsMoveBetweenEntriesWithPVEsPrivileges() async throws {
        let transport = WorldTransport(LabWorld.sample())
        let jobID = transport.world { $0.pve[1].jobs[0].config.id }
        let monitor = transport.pveClient(1, as: LabWorld.pveToken)
        #expect(try await monitor.backupJobs().map(\.storage) == ["backup-primary"])
        await #expect { try await monitor.moveBackupJob(jobID, to: "backup-secondary") } throws: {
            refusal($0) == ("403", "Permission check failed (/, Sys.Modify)")
        }
        let operatorClient = transport.pveClient(1, as: LabWorld.pveOperatorToken)
        // Datastore.Allocate on the new and the old storage: take it away on the old one.
        transport.world { $0.pve[1].tokens[1].acl.append(LabACL(path: "/storage/backup-primary", role: "PVEAuditor")) }
        await #expect { try await operatorClient.moveBackupJob(jobID, to: "backup-secondary") } throws: {
            refusal($0) == ("403", "Permission check failed (/storage/backup-primary, Datastore.Allocate)")
        }
        transport.world { $0.pve[1].tokens[1].acl.removeLast() }
        try await operatorClient.moveBackupJob(jobID, to: "backup-secondary")
        #expect(try await monitor.backupJob(jobID).storage == "backup-secondary")
        // The next scheduled run writes to the secondary, on both cluster nodes.
        func backupsOnSecondary() -> Int { transport.world { $0.secondary.tasks.filter { $0.parsed.workerType == "backup" }.count } }
        let before = backupsOnSecondary()
        transport.world { $0.advance(to: $0.now + 4 * 3600 + 60) }
        let tasks = transport.world { $0.pve[1].tasks.suffix(2) }
        #expect(Set(tasks.map(\.parsed.node)) == ["pve2", "pve3"] && tasks.allSatisfy { $0.parsed.authID == "root@pam" })
        // The secondary's synced groups belong to the sync job's owner: PBS refuses PVE's token.
        #expect(tasks.allSatisfy { $0.status == "job errors" })
        #expect(tasks.flatMap(\.lines).contains("ERROR: Backup of VM 110 failed - backup owner check failed (pve@pbs!backup != root@pam)"))
        #expect(backupsOnSecondary() == before, "no backup reached the secondary's datastore")
    }

    @Test func aOneShotBackupStartsATaskOnlyWhereTheGuestLives() async throws {
        let transport = WorldTransport(LabWorld.sample())
        let operatorClient = transport.pveClient(1, as: LabWorld.pveOperatorToken)
        // vm 111 lives on pve3: asking pve2 answers the plain string OK and starts nothing.
        #expect(try await operatorClient.vzdump(node: "pve2", vmids: [111], storage: "backup-primary") == .noGuestOnThisNode)
        let started = try await operatorClient.vzdump(node: "pve3", vmids: [111], storage: "backup-primary")
        guard case .task(let upid) = started else { Issue.record("no task: \(started)"); return }
        #expect(try UPID(upid).flavor == .pve && upid.hasSuffix(":vzdump:111:\(LabWorld.pveOperatorToken):"))
        var status = try await operatorClient.taskStatus(node: "pve3", upid: upid)
        #expect(status.status == "running")
        transport.world { $0.advance(to: $0.now + 600) }
        status = try await operatorClient.taskStatus(node: "pve3", upid: upid)
        #expect(status.status == "stopped" && status.exitstatus == "OK")
        let log = try await operatorClient.taskLogLines(node: "pve3", upid: upid, pageSize: 2)
        #expect(log.first?.t.hasPrefix("INFO: starting new backup job: vzdump 111 --storage backup-primary") == true)
        #expect(log.map(\.n) == Array(1...log.count), "PVE's start skips lines: pages join without a gap or a repeat")
        #expect(log.last?.t == "TASK OK")
        // The monitor token may not read the operator's task (not its own, no Sys.Audit on the node).
        transport.world { $0.pve[1].tokens[0].acl = [LabACL(path: "/storage", role: "PVEDatastoreUser")] }
        await #expect { try await transport.pveClient(1, as: LabWorld.pveToken).taskStatus(node: "pve3", upid: upid) } throws: {
            refusal($0) == ("403", "Permission check failed (/nodes/pve3, Sys.Audit)")
        }
        // AllocateSpace is checked before the task, VM.Backup inside it.
        transport.world { $0.pve[1].tokens[1].acl = [LabACL(path: "/", role: "PVEAuditor")] }
        await #expect { try await operatorClient.vzdump(node: "pve3", vmids: [111], storage: "backup-primary") } throws: {
            refusal($0) == ("403", "Permission check failed (/storage/backup-primary, Datastore.AllocateSpace)")
        }
        transport.world { $0.pve[1].tokens[1].acl = [LabACL(path: "/", role: "PVEAuditor"), LabACL(path: "/storage", role: "PVEDatastoreUser")] }
        guard case .task(let refused) = try await operatorClient.vzdump(node: "pve3", vmids: [111], storage: "backup-primary") else {
            Issue.record("expected a task"); return
        }
        transport.world { $0.advance(to: $0.now + 5) }
        #expect(try await operatorClient.taskStatus(node: "pve3", upid: refused).exitstatus == "Permission check failed (/vms/111, VM.Backup)")
    }

    @Test func theStorageStatusIsALiveCheckOfTheEntry() async throws {
        let transport = WorldTransport(LabWorld.sample())
        let client = transport.pveClient(0, as: LabWorld.pveToken)
        #expect(try await client.storageStatus(node: "pve1", storage: "backup-secondary").active == 1)
        // A renewed certificate on the secondary: the pinned entry can no longer reach it.
        transport.world { $0.bind(.secondary, port: 2, fingerprint: Fingerprint(String(repeating: "44", count: 32))!) }
        #expect(try await client.storageStatus(node: "pve1", storage: "backup-secondary").active == 0)
        _ = transport.world { $0.setMode("primary", .down) }
        #expect(try await client.storageStatus(node: "pve1", storage: "backup-primary").active == 0)
    }
}
