import Foundation
@testable import Lab
@testable import PairEngine
import ProxmoxAPI
import Testing

/// Namespaces in the lab as PBS keeps them: made with Datastore.Modify on the parent, listed
/// per namespace, filled by pull jobs with `ns`, `max-depth` and `group-filter`, and removed
/// by a remove-vanished run that reaches them.
@Suite struct LabNamespaceTests {
    private func run(_ job: String, on client: PBSClient, _ transport: WorldTransport) async throws -> LabTask {
        let upid = try await client.runSyncJob(job)
        return try #require(transport.world { world -> LabTask? in
            guard let task = world.secondary.tasks.first(where: { $0.upid == upid }) else { return nil }
            world.advance(to: max(world.now, task.end))
            return task
        })
    }

    @Test func namespacesAreMadeWithModifyOnTheParentAndListedApart() async throws {
        let transport = WorldTransport(LabWorld.sample())
        let store = LabWorld.secondaryStore
        let monitor = transport.client(.secondary, as: LabWorld.monitorToken)
        let operatorClient = transport.client(.secondary, as: LabWorld.operatorToken)
        await #expect { try await monitor.createNamespace(store: store, name: "copies") } throws: {
            refusal($0) == ("403", "permission check failed - missing Datastore.Modify on /datastore/\(store)")
        }
        await #expect { try await operatorClient.createNamespace(store: store, name: "b", parent: "a") } throws: {
            refusal($0) == ("400", "cannot create new namespace, parent a doesn't already exists")
        }
        await #expect { try await operatorClient.createNamespace(store: store, name: "no/slash") } throws: { refusal($0).kind == "400" }
        #expect(try await operatorClient.createNamespace(store: store, name: "copies") == "copies")
        #expect(try await operatorClient.createNamespace(store: store, name: "copies") == "copies", "making one that exists is no error")
        #expect(try await operatorClient.createNamespace(store: store, name: "deep", parent: "copies") == "copies/deep")
        #expect(try await monitor.namespaces(store).map(\.ns) == ["", "copies", "copies/deep"])
        #expect(try await monitor.snapshots(store, namespace: "copies").isEmpty, "a new namespace is empty; the root's snapshots stay in the root")
        #expect(try await !monitor.snapshots(store).isEmpty)
        await #expect { try await monitor.snapshots(store, namespace: "nope") } throws: { refusal($0) == ("404", "namespace 'nope' does not exist") }
    }

    @Test func aPullIntoANamespaceCopiesOnlyTheFilteredGroupsWholeAndRemoveVanishedReachesIt() async throws {
        let transport = WorldTransport(LabWorld.sample())
        let store = LabWorld.secondaryStore
        let operatorClient = transport.client(.secondary, as: LabWorld.operatorToken)
        try await operatorClient.createNamespace(store: store, name: "copies")
        var job = SyncJob(id: "one-shot", store: store, remote: LabWorld.remoteName, remoteStore: LabWorld.primaryStore, schedule: nil,
                          removeVanished: false, owner: "root@pam")
        job.ns = "copies"
        job.maxDepth = 0
        job.groupFilter = ["group:vm/100"]
        try await operatorClient.createSyncJob(job)
        #expect(try await operatorClient.syncJobConfigs().first { $0.id == "one-shot" }?.groupFilter == ["group:vm/100"])
        let task = try await run("one-shot", on: operatorClient, transport)
        #expect(task.status == "OK", "\(task.lines)")
        #expect(task.lines.contains("Syncing datastore '\(LabWorld.primaryStore)', root namespace into datastore '\(store)', namespace 'copies'"))
        let (primaryGroup, copied, root) = transport.world { world in
            (Set(world.primary.snapshots.filter { $0.group == "vm/100" && $0.finished <= task.start }.map(\.name)),
             world.secondary.snapshots.filter { $0.ns == "copies" }, world.secondary.snapshots.filter { $0.ns.isEmpty }.count)
        }
        #expect(Set(copied.map(\.name)) == primaryGroup, "the whole group, older snapshots included, and nothing else")
        #expect(root > 0)

        // The forward job (root, no max-depth) with remove-vanished removes what the primary lacks: the namespace too.
        try await operatorClient.updateSyncJob(LabWorld.syncJobID, set: [("remove-vanished", "true")])
        let forward = try await run(LabWorld.syncJobID, on: operatorClient, transport)
        #expect(forward.lines.contains("Removed namespace copies"), "\(forward.lines)")
        #expect(transport.world { $0.secondary.namespaces } == [""])
        #expect(transport.world { world in world.secondary.snapshots.filter { $0.ns.isEmpty }.count } >= root, "the root's snapshots stay")
    }

    @Test func maxDepthZeroKeepsTheForwardJobOutOfOtherNamespaces() async throws {
        let transport = WorldTransport(LabWorld.sample())
        let store = LabWorld.secondaryStore
        let operatorClient = transport.client(.secondary, as: LabWorld.operatorToken)
        try await operatorClient.createNamespace(store: store, name: "copies")
        try await operatorClient.updateSyncJob(LabWorld.syncJobID, set: [("remove-vanished", "true"), ("max-depth", "0")])
        await #expect { try await operatorClient.updateSyncJob(LabWorld.syncJobID, set: [("max-depth", "8")]) } throws: {
            refusal($0) == ("400", "parameter verification failed - 'max-depth': value must be an integer from 0 to 7")
        }
        let forward = try await run(LabWorld.syncJobID, on: operatorClient, transport)
        #expect(forward.status == "OK", "\(forward.lines)")
        #expect(transport.world { $0.secondary.namespaces } == ["", "copies"])
    }
}
