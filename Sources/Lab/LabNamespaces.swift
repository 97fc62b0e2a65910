import PairEngine
import ProxmoxAPI

/// Namespace paths as PBS spells them: `""` is the root, `a/b` a namespace two levels down
/// (at most seven levels, each a safe id of at most 32 characters).
enum LabNamespaces {
    static let maxDepth = 7

    static func depth(_ ns: String) -> Int { ns.isEmpty ? 0 : ns.split(separator: "/").count }

    static func parent(_ ns: String) -> String { ns.split(separator: "/").dropLast().joined(separator: "/") }

    /// `ns` below `base` (itself included, as `""`), or nil when it is not under it.
    static func relative(_ ns: String, to base: String) -> String? {
        if base.isEmpty { return ns }
        if ns == base { return "" }
        return ns.hasPrefix(base + "/") ? String(ns.dropFirst(base.count + 1)) : nil
    }

    /// `ns` moved from below `source` to below `target` (`map_prefix`).
    static func map(_ ns: String, from source: String, to target: String) -> String? {
        relative(ns, to: source).map { rest in [target, rest].filter { !$0.isEmpty }.joined(separator: "/") }
    }

    /// The ACL path of a namespace of `store`.
    static func aclPath(_ store: String, _ ns: String) -> String { "/datastore/\(store)" + (ns.isEmpty ? "" : "/\(ns)") }

    /// Why PBS refuses `name` as a namespace component (`PROXMOX_SAFE_ID_FORMAT`, 1–32 characters).
    static func nameRefusal(_ name: String) -> String? {
        let allowed = name.unicodeScalars.allSatisfy(\.isASCII) && name.allSatisfy { $0.isLetter || $0.isNumber || "._-".contains($0) }
        guard let first = name.first, allowed, first != ".", first != "-", name.count <= 32 else {
            return "parameter verification failed - 'name': value does not match the regex pattern"
        }
        return nil
    }
}

extension LabWorld {
    /// `POST /admin/datastore/{store}/namespace` (`create_namespace`): Datastore.Modify on
    /// the parent, which must exist; making one that exists is no error. Answers its path.
    mutating func createNamespace(_ role: NodeRole, store: String, _ request: LabRequest, _ caller: LabCaller) -> LabResponse {
        guard let name = request.value("name") else {
            return .error(400, "parameter verification failed - 'name': parameter is missing and it is not optional.")
        }
        if let refusal = LabNamespaces.nameRefusal(name) { return .error(400, refusal) }
        let parent = request.value("parent") ?? ""
        let path = LabNamespaces.aclPath(store, parent)
        guard caller.has("Datastore.Modify", on: path) else { return .error(403, "permission check failed - missing Datastore.Modify on \(path)") }
        guard store == node(role).datastore else { return .error(400, "no such datastore '\(store)'") }
        if let refusal = node(role).maintenanceRefusal(writing: true) { return .error(400, refusal) }
        guard node(role).namespaces.contains(parent) else {
            return .error(400, "cannot create new namespace, parent \(parent) doesn't already exists")
        }
        let depth = LabNamespaces.depth(parent)
        guard depth < LabNamespaces.maxDepth else { return .error(400, "namespace too deep, \(depth) >= max \(LabNamespaces.maxDepth)") }
        let ns = parent.isEmpty ? name : "\(parent)/\(name)"
        addNamespace(role, ns)
        return .json(Envelope(data: ns))
    }

    /// Records a namespace (and its parents, as `create_dir_all` makes them).
    mutating func addNamespace(_ role: NodeRole, _ ns: String) {
        var path = ns
        while !path.isEmpty {
            if !node(role).namespaces.contains(path) { self[role].createdNamespaces = (node(role).createdNamespaces ?? []) + [path] }
            path = LabNamespaces.parent(path)
        }
    }
}
