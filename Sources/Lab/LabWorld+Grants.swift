import PairEngine

/// `lab ctl acl` and `lab ctl owner`: what an administrator changes on a PBS node by hand,
/// for drills and tests that need a token without a privilege or a group with another owner.
extension LabWorld {
    /// Sets `authID`'s role on `path` (replacing its entries there), or removes them with `none`.
    mutating func setACL(_ role: NodeRole, authID: String, path: String, to roleName: String) -> (ok: Bool, message: String) {
        guard path == "/" || (path.hasPrefix("/") && !path.hasSuffix("/")) else {
            return (false, "ACL path '\(path)' must start with / and not end with one, e.g. /datastore/mirror")
        }
        guard roleName == "none" || LabAccess.pbsRoles[roleName] != nil else {
            return (false, "unknown PBS role '\(roleName)'; use one of \(LabAccess.pbsRoles.keys.sorted().joined(separator: ", ")) or none")
        }
        func apply(_ acl: inout [LabACL]) {
            acl.removeAll { $0.path == path }
            if roleName != "none" { acl.append(LabACL(path: path, role: roleName)) }
        }
        if authID.contains("!") {
            guard let index = node(role).tokens.firstIndex(where: { $0.authID == authID }) else {
                return (false, "no API token '\(authID)' on \(role.rawValue); its tokens: \(node(role).tokens.map(\.authID).joined(separator: ", "))")
            }
            apply(&self[role].tokens[index].acl)
        } else {
            guard let index = node(role).users.firstIndex(where: { $0.userid == authID }) else {
                return (false, "no user '\(authID)' on \(role.rawValue); its users: \(node(role).users.map(\.userid).joined(separator: ", "))")
            }
            apply(&self[role].users[index].acl)
        }
        return (true, "\(authID) on \(role.rawValue): \(roleName == "none" ? "no role" : roleName) on \(path)")
    }

    /// Sets a PVE token's role on `path` on one lab host (replacing its entries there), or
    /// removes them with `none`: e.g. to take Sys.Modify from pbsha's operator token.
    mutating func setPVEACL(host name: String, authID: String, path: String, to roleName: String) -> (ok: Bool, message: String) {
        guard let index = pve.firstIndex(where: { $0.name == name }) else {
            return (false, "no PVE host '\(name)'; the lab's: \(pve.map(\.name).joined(separator: ", "))")
        }
        guard path == "/" || (path.hasPrefix("/") && !path.hasSuffix("/")) else {
            return (false, "ACL path '\(path)' must start with / and not end with one, e.g. /storage/backup-primary")
        }
        guard roleName == "none" || LabAccess.pveRoles[roleName] != nil else {
            return (false, "unknown PVE role '\(roleName)'; use one of \(LabAccess.pveRoles.keys.sorted().joined(separator: ", ")) or none")
        }
        guard let token = pve[index].tokens.firstIndex(where: { $0.authID == authID }) else {
            return (false, "no API token '\(authID)' on \(name); its tokens: \(pve[index].tokens.map(\.authID).joined(separator: ", "))")
        }
        pve[index].tokens[token].acl.removeAll { $0.path == path }
        if roleName != "none" { pve[index].tokens[token].acl.append(LabACL(path: path, role: roleName)) }
        return (true, "\(authID) on \(name): \(roleName == "none" ? "no role" : roleName) on \(path)")
    }

    /// Gives every snapshot of `group` (type/id) on a node to `owner`, as `change-owner` would.
    mutating func setOwner(_ role: NodeRole, group: String, to owner: String) -> (ok: Bool, message: String) {
        guard owner.contains("@") else { return (false, "owner '\(owner)' is not an auth-id; write user@realm or user@realm!token") }
        let indices = node(role).snapshots.indices.filter { node(role).snapshots[$0].ns.isEmpty && node(role).snapshots[$0].group == group }
        guard !indices.isEmpty else { return (false, "no backup group '\(group)' on \(role.rawValue); write it as type/id, e.g. vm/100") }
        for index in indices { self[role].snapshots[index].owner = owner }
        return (true, "\(group) on \(role.rawValue) is owned by \(owner)")
    }

    /// What `authID` may do on a node, as PBS resolves a job's owner without its secret: a
    /// token within its user's rights, a user, or `root@pam` (everything); nil if unknown.
    func principal(_ role: NodeRole, _ authID: String) -> LabCaller? {
        let userID = String(authID.prefix { $0 != "!" })
        let user = node(role).users.first { $0.userid == userID }
        if authID.contains("!") {
            guard let token = node(role).tokens.first(where: { $0.authID == authID }), userID == "root@pam" || user != nil else { return nil }
            return LabCaller(authID: authID, acl: token.acl, ownerACL: user?.acl)
        }
        if authID == "root@pam" { return LabCaller(authID: authID, acl: [LabACL(path: "/", role: "Admin")], ownerACL: nil) }
        return user.map { LabCaller(authID: authID, acl: $0.acl, ownerACL: nil) }
    }

    /// Why a pull job's owner may not own groups on a node's datastore (it needs
    /// Datastore.Backup there, checked at run time), in PBS's words; nil when it may.
    func ownerRefusal(_ role: NodeRole, owner: String) -> String? {
        let path = "/datastore/\(node(role).datastore)"
        guard principal(role, owner)?.has("Datastore.Backup", on: path) == true else {
            return "permission check failed - missing Datastore.Backup on \(path)"
        }
        return nil
    }
}
