import Foundation
@testable import Lab
@testable import PairEngine
import ProxmoxAPI
import Testing

/// Remotes and sync jobs written through pbsha's client, with PBS's rules; and the failback
/// shape: a pull job on the primary from the secondary.
@Suite struct LabConfigWritesTests {
    /// The reverse-sync remote on the primary: the secondary's port, certificate and read-only token.
    private func reverseRemote(_ transport: WorldTransport) -> (RemoteConfig, String) {
        transport.world { world in
            let token = world.secondary.tokens.first { $0.authID == LabWorld.reverseSyncToken }!
            return (RemoteConfig(name: "secondary-hub", host: "127.0.0.1", port: 2, authID: token.authID, fingerprint: world.secondary.fingerprint),
                    token.secret)
        }
    }

    @Test func remotesAreWrittenWithPBSsPrivilegesAndNeverShowTheirPassword() async throws {
        let transport = WorldTransport(LabWorld.sample())
        let monitor = transport.client(.primary, as: LabWorld.monitorToken)
        let operatorClient = transport.client(.primary, as: LabWorld.operatorToken)
        let (remote, secret) = reverseRemote(transport)
        await #expect { try await monitor.createRemote(remote, password: secret) } throws: { refusal($0) == ("403", "permission check failed") }
        try await operatorClient.createRemote(remote, password: secret)
        await #expect { try await operatorClient.createRemote(remote, password: secret) } throws: {
            refusal($0) == ("400", "parameter verification failed - 'name': remote 'secondary-hub' already exists.")
        }
        let shown = try await monitor.remote("secondary-hub")
        #expect(shown == remote)
        let raw = try await transport.send(HTTPRequest(method: "GET", path: "/api2/json/config/remote", headers: [
            ("Authorization", "PBSAPIToken=\(LabWorld.operatorToken):\(transport.world { $0.primary.tokens.first { $0.authID == LabWorld.operatorToken }!.secret })"),
        ], body: nil), to: Endpoint(host: "primary", port: 1, fingerprint: Fingerprint(String(repeating: "00", count: 32))!))
        #expect(!String(decoding: raw.body, as: UTF8.self).contains(secret), "the password is write-only")

        try await operatorClient.updateRemote("secondary-hub", set: [("comment", "failback")], delete: ["fingerprint"])
        #expect(try await monitor.remote("secondary-hub").fingerprint == nil)
        await #expect { try await operatorClient.updateRemote("nope", set: [("comment", "x")]) } throws: { refusal($0) == ("400", "no such remote 'nope'") }
        await #expect { try await operatorClient.deleteRemote("nope") } throws: { refusal($0) == ("404", "remote 'nope' does not exist.") }

        // The secondary's remote is used by its sync job: PBS refuses to remove it.
        let secondaryOperator = transport.client(.secondary, as: LabWorld.operatorToken)
        await #expect { try await secondaryOperator.deleteRemote(LabWorld.remoteName) } throws: {
            refusal($0) == ("400", "parameter verification failed - 'name': remote '\(LabWorld.remoteName)' is used by sync job '\(LabWorld.syncJobID)' (datastore 'mirror')")
        }
        try await operatorClient.deleteRemote("secondary-hub")
        #expect(try await monitor.remotes().isEmpty)
    }

    @Test func syncJobsAreCreatedAndRemovedWithTheJobsPrivileges() async throws {
        let transport = WorldTransport(LabWorld.sample())
        let operatorClient = transport.client(.primary, as: LabWorld.operatorToken)
        let (remote, secret) = reverseRemote(transport)
        try await operatorClient.createRemote(remote, password: secret)
        let job = SyncJob(id: "failback-pull", store: "main", remote: "secondary-hub", remoteStore: "mirror", schedule: nil,
                          removeVanished: false, owner: LabWorld.backupToken, rateIn: nil)
        // The backup token has Datastore.Backup only: not Audit, so PBS refuses it the job.
        let backupClient = transport.client(.primary, as: LabWorld.backupToken)
        await #expect { try await backupClient.createSyncJob(job) } throws: { refusal($0).text == "permission check failed" }
        try await operatorClient.createSyncJob(job)
        await #expect { try await operatorClient.createSyncJob(job) } throws: {
            refusal($0) == ("400", "parameter verification failed - 'id': job 'failback-pull' already exists.")
        }
        var bad = job
        bad.id = "x"
        await #expect { try await operatorClient.createSyncJob(bad) } throws: {
            refusal($0) == ("400", "parameter verification failed - 'id': value does not match the regex pattern")
        }
        #expect(try await operatorClient.syncJobs(store: "main").map(\.config.id) == ["failback-pull"])
        await #expect { try await operatorClient.deleteRemote("secondary-hub") } throws: { refusal($0).kind == "400" }
        try await operatorClient.deleteSyncJob("failback-pull")
        await #expect { try await operatorClient.deleteSyncJob("failback-pull") } throws: {
            refusal($0) == ("404", "job 'failback-pull' does not exist.")
        }
        #expect(try await operatorClient.syncJobs(store: "main").isEmpty)
        try await operatorClient.deleteRemote("secondary-hub")
    }

    /// Failback's reverse sync: while the primary was down, PVE backed up to the secondary
    /// into groups given to its token; a pull job on the primary, owned by that token, copies
    /// the newer snapshots back and deletes nothing.
    @Test func aPullJobOnThePrimaryCopiesTheSecondarysNewerSnapshotsBackAndDeletesNothing() async throws {
        let transport = WorldTransport(LabWorld.sample())
        let groups = transport.world { world -> [String] in
            _ = world.setMode("primary", .down)
            for index in world.pve.indices { world.retarget(host: index, "backup-primary", to: .secondary) }
            let groups = Set(world.secondary.snapshots.map(\.group)).sorted()
            for group in groups { _ = world.setOwner(.secondary, group: group, to: LabWorld.backupToken) }
            world.advance(to: world.now + 2 * 86_400)
            _ = world.setMode("primary", .up)
            return groups
        }
        let before = transport.world { Set($0.primary.snapshots.map(\.name)) }
        let failoverEra = transport.world { world in
            world.secondary.snapshots.filter { snapshot in
                snapshot.time > (world.primary.snapshots.filter { $0.group == snapshot.group }.map(\.time).max() ?? .min)
            }.map(\.name)
        }
        #expect(failoverEra.count >= groups.count, "every group was backed up to the secondary during the outage")

        let operatorClient = transport.client(.primary, as: LabWorld.operatorToken)
        let (remote, secret) = reverseRemote(transport)
        try await operatorClient.createRemote(remote, password: secret)
        // Owned by root@pam (the default), the job fails on every group: the primary's groups
        // belong to PVE's token, and pull compares owners strictly.
        var job = SyncJob(id: "failback-pull", store: "main", remote: "secondary-hub", remoteStore: "mirror", schedule: nil,
                          removeVanished: false, owner: nil, rateIn: nil)
        try await operatorClient.createSyncJob(job)
        var task = try await waitFor(try await operatorClient.runSyncJob("failback-pull"), transport)
        #expect(task.status == "sync failed with some errors.")
        #expect(task.lines.contains("sync group vm/100 failed - owner check failed (root@pam != \(LabWorld.backupToken))"))
        try await operatorClient.deleteSyncJob("failback-pull")

        job.owner = LabWorld.backupToken
        try await operatorClient.createSyncJob(job)
        task = try await waitFor(try await operatorClient.runSyncJob("failback-pull"), transport)
        #expect(task.status == "OK", "\(task.lines)")
        let after = transport.world { Set($0.primary.snapshots.map(\.name)) }
        #expect(before.isSubset(of: after), "nothing on the primary was deleted")
        #expect(Set(failoverEra).isSubset(of: after), "every failover-era snapshot is back on the primary")
        #expect(!task.lines.contains { $0.contains("delete vanished") })
    }

    /// The other failback shape: the secondary pushes to the primary with PVE's token there,
    /// so the pushed groups belong to the token that owns the primary's groups.
    @Test func aPushJobOnTheSecondaryNeedsRemoteDatastorePrivilegesAndKeepsPVEsOwnership() async throws {
        let transport = WorldTransport(LabWorld.sample())
        transport.world { world in
            _ = world.setMode("primary", .down)
            for index in world.pve.indices { world.retarget(host: index, "backup-primary", to: .secondary) }
            for group in Set(world.secondary.snapshots.map(\.group)) { _ = world.setOwner(.secondary, group: group, to: LabWorld.backupToken) }
            world.advance(to: world.now + 86_400)
            _ = world.setMode("primary", .up)
        }
        let before = transport.world { Set($0.primary.snapshots.map(\.name)) }
        let operatorClient = transport.client(.secondary, as: LabWorld.operatorToken)
        let (port, fingerprint, secret) = transport.world { world in
            (world.primary.port, world.primary.fingerprint, world.primary.tokens.first { $0.authID == LabWorld.backupToken }!.secret)
        }
        try await operatorClient.createRemote(RemoteConfig(name: "primary-push", host: "127.0.0.1", port: port, authID: LabWorld.backupToken,
                                                           fingerprint: fingerprint), password: secret)
        var job = SyncJob(id: "failback-push", store: "mirror", remote: "primary-push", remoteStore: "main", schedule: nil,
                          removeVanished: false, owner: nil, rateIn: nil)
        job.syncDirection = "push"
        // RemoteAdmin has no Remote.DatastoreBackup: PBS refuses the push job.
        await #expect { try await operatorClient.createSyncJob(job) } throws: { refusal($0).text == "permission check failed" }
        _ = transport.world { $0.setACL(.secondary, authID: LabWorld.operatorToken, path: "/remote/primary-push", to: "RemoteDatastoreAdmin") }
        _ = transport.world { $0.setACL(.secondary, authID: "pbsha@pbs", path: "/remote/primary-push", to: "RemoteDatastoreAdmin") }
        try await operatorClient.createSyncJob(job)
        #expect(try await operatorClient.syncJobs(store: "mirror").map(\.config.id) == [LabWorld.syncJobID], "push jobs are listed only when asked")
        #expect(try await operatorClient.syncJobs(store: "mirror", direction: "all").count == 2)
        let task = try await waitFor(try await operatorClient.runSyncJob("failback-push"), transport)
        #expect(task.status == "OK", "\(task.lines.suffix(4))")
        let after = transport.world { $0.primary.snapshots }
        #expect(before.isSubset(of: Set(after.map(\.name))) && after.count > before.count)
        #expect(Set(after.map(\.owner)) == [LabWorld.backupToken], "pushed groups belong to the remote's auth-id, as PVE's own do")
    }

    @Test func aRenewedCertificateOrARevokedTokenFailsThePull() async throws {
        let transport = WorldTransport(LabWorld.sample())
        let operatorClient = transport.client(.secondary, as: LabWorld.operatorToken)
        transport.world { $0.bind(.primary, port: 1, fingerprint: Fingerprint(String(repeating: "33", count: 32))!) }
        var task = try await waitFor(try await operatorClient.runSyncJob(LabWorld.syncJobID), transport)
        #expect(task.status.hasPrefix("error trying to connect: error:0A000086:SSL routines:tls_post_process_server_certificate:certificate verify failed"))
        try await operatorClient.updateSyncJob(LabWorld.syncJobID, set: [("comment", "x")])
        // The operator re-pins the remote: PBS's remote update takes the new fingerprint.
        try await operatorClient.updateRemote(LabWorld.remoteName, set: [("fingerprint", String(repeating: "33:", count: 31) + "33")])
        transport.world { world in world.primary.tokens.removeAll { $0.authID == LabWorld.syncToken } }
        task = try await waitFor(try await operatorClient.runSyncJob(LabWorld.syncJobID), transport)
        #expect(task.status == "authentication failed - invalid credentials")
    }

    /// The failover hazard: remove-vanished on the forward job deletes the secondary's copies
    /// of whatever the primary lost: per group after a clean pull, and whole vanished groups,
    /// but only groups the job's owner owns.
    @Test func removeVanishedDeletesWhatThePrimaryLostAndOnlyTheOwnersGroups() async throws {
        let transport = WorldTransport(LabWorld.sample())
        let operatorClient = transport.client(.secondary, as: LabWorld.operatorToken)
        try await operatorClient.updateSyncJob(LabWorld.syncJobID, set: [("remove-vanished", "true")])
        let (lostSnapshot, foreign) = transport.world { world -> (String, LabSnapshot) in
            world.primary.snapshots.removeAll { $0.group == "vm/100" }
            let oldest = world.primary.snapshots.filter { $0.group == "vm/101" }.min { $0.time < $1.time }!
            world.primary.snapshots.removeAll { $0.group == "vm/101" && $0.time == oldest.time }
            var foreign = world.secondary.snapshots[0]
            (foreign.id, foreign.owner) = ("999", LabWorld.backupToken)
            world.secondary.snapshots.append(foreign)
            return (oldest.name, foreign)
        }
        let task = try await waitFor(try await operatorClient.runSyncJob(LabWorld.syncJobID), transport)
        #expect(task.status == "OK", "\(task.lines.suffix(3))")
        #expect(task.lines.contains("delete vanished group 'vm/100'") && task.lines.contains("delete vanished snapshot \(lostSnapshot)"))
        let left = transport.world { Set($0.secondary.snapshots.map(\.name)) }
        #expect(!left.contains { $0.hasPrefix("vm/100/") } && !left.contains(lostSnapshot))
        #expect(left.contains(foreign.name), "a group of another owner is not the job's to delete")
    }

    /// The task a UPID names, once the world has run past its end.
    private func waitFor(_ upid: String, _ transport: WorldTransport) async throws -> LabTask {
        try #require(transport.world { world -> LabTask? in
            guard let task = (world.primary.tasks + world.secondary.tasks).first(where: { $0.upid == upid }) else { return nil }
            world.advance(to: max(world.now, task.end))
            return task
        })
    }
}
