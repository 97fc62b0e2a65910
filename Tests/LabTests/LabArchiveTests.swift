import Foundation
@testable import Lab
@testable import PairEngine
import ProxmoxAPI
import Testing

/// `lab serve --groups N --snapshots-per-group M`: a large history built at once.
@Suite struct LabArchiveTests {
    @Test func sizesOutOfRangeAreRefusedWithTheRange() throws {
        #expect(try LabArchive.sized(groups: 0, perGroup: 5).get() == nil, "no groups: no archive")
        #expect(try LabArchive.sized(groups: 2, perGroup: 3).get() == LabArchive(groups: 2, perGroup: 3))
        for (groups, perGroup) in [(-1, 3), (100_001, 1), (2000, 2000)] {
            guard case .failure(let error) = LabArchive.sized(groups: groups, perGroup: perGroup) else {
                Issue.record("\(groups)×\(perGroup) accepted"); continue
            }
            #expect(error.description.contains("--groups"), "\(error)")
        }
    }

    @Test func anArchiveIsSyncedVerifiedAndOlderThanTheHistory() async throws {
        var world = LabWorld.sample()
        let before = (world.primary.snapshots.count, world.secondary.snapshots.count, world.primary.snapshots.map(\.time).min()!)
        world.add(LabArchive(groups: 3, perGroup: 4))
        let added = world.primary.snapshots.filter { Int($0.id)! >= LabArchive.firstID }
        #expect(world.primary.snapshots.count == before.0 + 12 && world.secondary.snapshots.count == before.1 + 12)
        #expect(Set(added.map(\.group)) == ["vm/5000", "vm/5001", "vm/5002"])
        #expect(added.allSatisfy { $0.time < before.2 && $0.verification?.state == "ok" })
        #expect(world.primary.usedBytes < world.primary.totalBytes, "the archive fits the datastore")

        // The pair reads it as synced: no drift, every archived group in both lists.
        let transport = WorldTransport(world)
        let config = try #require(transport.pairConfig())
        let state = await PairObserver(config: config, transport: transport).observe()
        let report = HealthReport.evaluate(state, policy: HealthPolicy(config))
        #expect(report.drift?.missedBySync == 0, "\(report.findings.map(\.message))")
        #expect(state.secondary.snapshots?.filter { $0.item.backupID == "5001" }.count == 4)
    }
}
