/// A long task a step started on a node (a sync, a verify, a test backup), journaled when it
/// starts so that every console on the journal can follow its log while the step waits.
public struct TaskRef: Sendable, Equatable {
    /// Where the task runs, which decides whose API serves its log.
    public enum Node: Sendable, Equatable {
        case pbs(NodeRole)
        /// A PVE host of the config by name, and the cluster node the task runs on.
        case pve(host: String, node: String)
    }

    public var node: Node
    public var upid: String
    /// What the task does, in words (`reverse sync`, `vzdump 110 on pve-a`).
    public var label: String

    public init(_ node: Node, upid: String, label: String) {
        self.node = node
        self.upid = upid
        self.label = label
    }

    /// The journal's `task-started` detail.
    var detail: [String: String] {
        var detail = ["upid": upid, "task": label]
        switch node {
        case .pbs(let role): detail["on"] = role.rawValue
        case let .pve(host, node): (detail["on"], detail["pve-host"], detail["pve-node"]) = ("pve", host, node)
        }
        return detail
    }

    init?(detail: [String: String]) {
        guard let upid = detail["upid"], let on = detail["on"] else { return nil }
        if let role = NodeRole(rawValue: on) {
            node = .pbs(role)
        } else if on == "pve", let host = detail["pve-host"], let name = detail["pve-node"] {
            node = .pve(host: host, node: name)
        } else {
            return nil
        }
        self.upid = upid
        label = detail["task"] ?? upid
    }
}
