import Foundation
import ProxmoxAPI

/// Roles, privileges and token checks, modelled on PBS's ACL tree (`pbs-config/src/acl.rs`,
/// `AclTree::roles`) and PVE's, which work alike:
/// - walking from `/` down to the path, the entries found at a level *replace* what was
///   inherited from above (they do not add to it); entries on the path's ancestors count
///   only if they propagate, entries on the path itself always count;
/// - `NoAccess` among the roles at the deciding level means no privilege at all;
/// - a token has at most what its owning user has (the two are intersected); `root@pam`
///   is the superuser, so its tokens are limited by their own entries only.
enum LabAccess {
    /// Every role either kind of lab node knows.
    static let roles = pbsRoles.merging(pveRoles) { pbs, _ in pbs }

    /// PBS's built-in roles.
    static let pbsRoles: [String: Set<String>] = [
        "Admin": allPrivileges,
        "Audit": ["Sys.Audit", "Datastore.Audit"],
        "NoAccess": [],
        "DatastoreAdmin": ["Datastore.Audit", "Datastore.Modify", "Datastore.Read", "Datastore.Verify", "Datastore.Backup", "Datastore.Prune"],
        "DatastoreReader": ["Datastore.Audit", "Datastore.Verify", "Datastore.Read"],
        "DatastoreBackup": ["Datastore.Backup"],
        "DatastorePowerUser": ["Datastore.Backup", "Datastore.Prune"],
        "DatastoreAudit": ["Datastore.Audit"],
        "RemoteAdmin": ["Remote.Audit", "Remote.Modify", "Remote.Read"],
        "RemoteAudit": ["Remote.Audit"],
        "RemoteSyncOperator": ["Remote.Audit", "Remote.Read"],
        "RemoteSyncPushOperator": ["Remote.Audit", "Remote.DatastoreBackup"],
        "RemoteDatastorePowerUser": ["Remote.Audit", "Remote.DatastoreBackup", "Remote.DatastorePrune"],
        "RemoteDatastoreAdmin": ["Remote.Audit", "Remote.DatastoreBackup", "Remote.DatastoreModify", "Remote.DatastorePrune"],
    ]

    /// The PVE roles the lab's hosts use.
    static let pveRoles: [String: Set<String>] = [
        "PVEAuditor": ["Sys.Audit", "Datastore.Audit", "VM.Audit"],
        "PVEDatastoreAdmin": ["Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate", "Datastore.Audit"],
        "PVEDatastoreUser": ["Datastore.AllocateSpace", "Datastore.Audit"],
        "PVEVMUser": ["VM.Audit", "VM.Backup", "VM.Console", "VM.PowerMgmt"],
        // The custom role docs/configuration.md recommends for pbsha's PVE operator token.
        "NoAccess": [],
        "PbshaFailover": ["Sys.Audit", "Sys.Modify", "Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.Audit", "VM.Audit", "VM.Backup"],
    ]

    static let allPrivileges: Set<String> = [
        "Sys.Audit", "Sys.Modify", "Sys.PowerManagement", "Sys.Console", "Datastore.Audit", "Datastore.Allocate",
        "Datastore.Modify", "Datastore.Read", "Datastore.Verify", "Datastore.Backup", "Datastore.Prune",
        "Permissions.Modify", "Remote.Audit", "Remote.Modify", "Remote.Read", "Remote.DatastoreBackup", "Remote.DatastoreModify",
        "Remote.DatastorePrune",
    ]

    /// The roles that decide on `path`: the deepest level holding entries replaces the rest.
    static func roles(_ acl: [LabACL], on path: String) -> Set<String> {
        let components = path.split(separator: "/").map(String.init)
        var result = Set<String>()
        for depth in 0...components.count {
            let level = "/" + components.prefix(depth).joined(separator: "/")
            let isPath = depth == components.count
            let found = acl.filter { normalized($0.path) == level && ($0.propagate || isPath) }.map(\.role)
            if !found.isEmpty { result = Set(found) }
        }
        return result.contains("NoAccess") ? ["NoAccess"] : result
    }

    static func privileges(_ acl: [LabACL], on path: String) -> Set<String> {
        roles(acl, on: path).reduce(into: Set<String>()) { $0.formUnion(roles[$1] ?? []) }
    }

    private static func normalized(_ path: String) -> String {
        let trimmed = path.split(separator: "/").joined(separator: "/")
        return "/" + trimmed
    }

    /// Finds the caller an `Authorization` header names, if its secret matches and (on PBS)
    /// its owning user exists.
    /// PBS: `PBSAPIToken=ID:SECRET` (split at the first colon). PVE: `PVEAPIToken=ID=SECRET` (split at the last `=`).
    static func authenticate(_ header: String?, tokens: [LabToken], users: [LabUser]?) -> LabCaller? {
        guard let header else { return nil }
        let pve = users == nil
        let prefix = pve ? "PVEAPIToken" : "PBSAPIToken"
        guard header.hasPrefix(prefix) else { return nil }
        let rest = header.dropFirst(prefix.count)
        guard let separator = rest.first, separator == "=" || separator == " " else { return nil }
        let credentials = rest.dropFirst()
        let split = pve ? credentials.lastIndex(of: "=") : credentials.firstIndex(of: ":")
        guard let split else { return nil }
        let id = String(credentials[..<split])
        let secret = String(credentials[credentials.index(after: split)...]).removingPercentEncoding ?? ""
        guard let token = tokens.first(where: { $0.authID == id && $0.secret == secret }) else { return nil }
        guard let users else { return LabCaller(authID: token.authID, acl: token.acl, ownerACL: nil) }
        let userID = String(token.authID.prefix { $0 != "!" })
        if userID == "root@pam" { return LabCaller(authID: token.authID, acl: token.acl, ownerACL: nil) }
        guard let owner = users.first(where: { $0.userid == userID }) else { return nil }
        return LabCaller(authID: token.authID, acl: token.acl, ownerACL: owner.acl)
    }
}

/// An authenticated caller with what the privilege rules need.
struct LabCaller: Sendable {
    let authID: String
    /// The token's own ACL entries.
    let acl: [LabACL]
    /// The owning user's entries; nil when the owner is the superuser (or on PVE, where the
    /// lab's tokens are not privilege-separated).
    let ownerACL: [LabACL]?

    func privileges(on path: String) -> Set<String> {
        let own = LabAccess.privileges(acl, on: path)
        guard let ownerACL else { return own }
        return own.intersection(LabAccess.privileges(ownerACL, on: path))
    }

    func has(_ privilege: String, on path: String) -> Bool {
        privileges(on: path).contains(privilege)
    }

    /// Whether the caller owns `owner`'s groups: the same auth-id, or a user and its own token.
    func owns(_ owner: String) -> Bool {
        owner == authID || (!authID.contains("!") && owner.hasPrefix(authID + "!"))
    }

    /// PBS's `check_task_access`: own tasks (a user also sees its tokens'), Sys.Audit on
    /// `/system/tasks`, or, for job tasks, the privileges needed to run that job.
    func mayRead(task upid: UPID) -> Bool {
        if owns(upid.authID) || has("Sys.Audit", on: "/system/tasks") { return true }
        let parts = upid.workerID.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch upid.workerType {
        case "syncjob" where parts.count >= 3:
            return has("Datastore.Backup", on: "/datastore/\(parts[2])") && has("Remote.Read", on: "/remote/\(parts[0])/\(parts[1])")
        case "verificationjob":
            return has("Datastore.Verify", on: "/datastore/\(parts[0])")
        case "garbage_collection", "prune", "prunejob":
            return has("Datastore.Modify", on: "/datastore/\(parts[0])")
        default:
            return false
        }
    }
}
