import ProxmoxAPI

/// Which of the secondary's verify states were copied from the primary by sync. A state is
/// copied when its UPID is the one the primary's copy of the same snapshot carries, or, where
/// the primary no longer has the snapshot, when the UPID names another node than the
/// secondary. Nodes may share a name, so the name decides only when there is no primary copy;
/// a secondary whose name is unknown counts every such state as copied (the cautious side).
struct CopiedVerifyStates {
    private let primaryUPIDs: [SnapshotKey: String?]
    private let secondaryNode: String?

    /// `primary`: the primary's snapshots of the family (or families) to be asked about.
    init(primary: [NamespacedSnapshot], secondaryNode: String?) {
        var upids: [SnapshotKey: String?] = Dictionary(minimumCapacity: primary.count)
        for index in primary.indices { upids[primary[index].key] = primary[index].item.verification?.upid }
        primaryUPIDs = upids
        self.secondaryNode = secondaryNode
    }

    /// The secondary's node name, from the UPIDs of its own tasks; nil when none is known.
    static func secondaryNode(_ secondary: NodeReading) -> String? {
        let ownUPIDs = (secondary.syncTasks ?? []).map(\.upid) + (secondary.verifyTasks ?? []).map(\.upid)
            + [secondary.syncJob?.status.lastRunUPID].compactMap { $0 }
        return ownUPIDs.lazy.compactMap { try? UPID($0).node }.first
    }

    func contains(_ snapshot: NamespacedSnapshot) -> Bool {
        guard let upid = snapshot.item.verification?.upid else { return false }
        if let primaryUPID = primaryUPIDs[snapshot.key] { return primaryUPID == upid }
        guard let secondaryNode, let node = try? UPID(upid).node else { return true }
        return node != secondaryNode
    }
}
