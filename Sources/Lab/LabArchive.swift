import PairEngine
import ProxmoxAPI

/// The size of a lab's history beyond its live guests: `lab serve --groups N
/// --snapshots-per-group M` adds N groups of retired guests (`vm/5000` on), M hourly
/// snapshots each, older than the simulated history, on the primary and synced to the
/// secondary, each verified on the primary (its state copied by the sync, as PBS's pull
/// does). Built directly rather than simulated, so that a large datastore starts in seconds.
public struct LabArchive: Sendable, Equatable {
    public static let firstID = 5000
    /// The most snapshots an archive may add to each node.
    public static let maxSnapshots = 2_000_000

    public let groups: Int
    public let perGroup: Int

    /// Nil (with the reason) when the sizes are out of range.
    public static func sized(groups: Int, perGroup: Int) -> Result<LabArchive?, LabError> {
        guard (0...100_000).contains(groups), (0...100_000).contains(perGroup) else {
            return .failure(LabError("--groups and --snapshots-per-group take 0 to 100000"))
        }
        guard groups * perGroup <= maxSnapshots else {
            return .failure(LabError("--groups × --snapshots-per-group is \(groups * perGroup); at most \(maxSnapshots) snapshots a node"))
        }
        return .success(groups == 0 || perGroup == 0 ? nil : LabArchive(groups: groups, perGroup: perGroup))
    }
}

extension LabWorld {
    /// Adds the archive's snapshots, ending an hour before the oldest one the world has.
    mutating func add(_ archive: LabArchive) {
        let oldest = (primary.snapshots + secondary.snapshots).map(\.time).min() ?? now
        let verifier = primary.tasks.first { $0.parsed.workerType == "verificationjob" }?.upid
            ?? "UPID:\(LabWorld.nodeNames[.primary]!):00000001:00000001:00000001:00000000:verificationjob:\(LabWorld.primaryStore)\\x3averify\\x2dmain:root@pam:"
        let syncOwner = secondary.syncJobs.first?.owner ?? "root@pam"
        // A quarter of the primary's datastore in new chunks, whatever the archive's size.
        let newBytes = primary.totalBytes / 4 / Int64(archive.groups * archive.perGroup)
        primary.snapshots.reserveCapacity(primary.snapshots.count + archive.groups * archive.perGroup)
        secondary.snapshots.reserveCapacity(secondary.snapshots.count + archive.groups * archive.perGroup)
        for group in 0..<archive.groups {
            let id = String(LabArchive.firstID + group)
            for index in 0..<archive.perGroup {
                let time = oldest - 3600 * Int64(archive.perGroup - index) - Int64(group % 3600)
                let size = Int64(8 + group % 56) << 30
                let snapshot = LabSnapshot(type: "vm", id: id, time: time, finished: time + 120, size: size, newBytes: newBytes,
                                           owner: LabWorld.backupToken, verification: .init(state: "ok", upid: verifier))
                primary.snapshots.append(snapshot)
                var copy = snapshot
                copy.owner = syncOwner
                copy.finished = time + 240
                secondary.snapshots.append(copy)
            }
        }
    }
}
