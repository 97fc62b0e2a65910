import Foundation

/// Roles, privileges and token checks, modelled on PBS's and PVE's ACL rules:
/// an entry on a path grants its role's privileges there and on every path below it.
enum LabAccess {
    static let roles: [String: Set<String>] = [
        "Admin": ["Sys.Audit", "Sys.Modify", "Datastore.Audit", "Datastore.Modify", "Datastore.Read", "Datastore.Verify",
                  "Datastore.Backup", "Datastore.Prune", "Remote.Audit", "Remote.Modify", "Remote.Read", "Permissions.Modify"],
        "Audit": ["Sys.Audit", "Datastore.Audit"],
        "RemoteAudit": ["Remote.Audit"],
        "RemoteSyncOperator": ["Remote.Audit", "Remote.Read"],
        "DatastoreAdmin": ["Datastore.Audit", "Datastore.Modify", "Datastore.Read", "Datastore.Verify", "Datastore.Backup", "Datastore.Prune"],
        "DatastoreReader": ["Datastore.Audit", "Datastore.Verify", "Datastore.Read"],
        "DatastoreBackup": ["Datastore.Backup"],
        "DatastoreAudit": ["Datastore.Audit"],
        "NoAccess": [],
        // PVE roles.
        "PVEAuditor": ["Sys.Audit", "Datastore.Audit", "VM.Audit"],
        "PVEDatastoreAdmin": ["Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate", "Datastore.Audit"],
        "PVEVMUser": ["VM.Audit", "VM.Backup", "VM.Console", "VM.PowerMgmt"],
    ]

    /// The privileges a token has on `path` (union of all entries on it or above it).
    static func privileges(of token: LabToken, on path: String) -> Set<String> {
        var result = Set<String>()
        for entry in token.acl where covers(entry.path, path) {
            result.formUnion(roles[entry.role] ?? [])
        }
        return result
    }

    static func has(_ token: LabToken, _ privilege: String, on path: String) -> Bool {
        privileges(of: token, on: path).contains(privilege)
    }

    static func covers(_ entry: String, _ path: String) -> Bool {
        entry == "/" || path == entry || path.hasPrefix(entry + "/")
    }

    /// Finds the token an `Authorization` header names, if its secret matches.
    /// PBS: `PBSAPIToken=ID:SECRET` (split at the first colon). PVE: `PVEAPIToken=ID=SECRET` (split at the last `=`).
    static func authenticate(_ header: String?, tokens: [LabToken], pve: Bool) -> LabToken? {
        guard let header else { return nil }
        let prefix = pve ? "PVEAPIToken" : "PBSAPIToken"
        guard header.hasPrefix(prefix) else { return nil }
        let rest = header.dropFirst(prefix.count)
        guard let separator = rest.first, separator == "=" || separator == " " else { return nil }
        let credentials = rest.dropFirst()
        let split = pve ? credentials.lastIndex(of: "=") : credentials.firstIndex(of: ":")
        guard let split else { return nil }
        let id = String(credentials[..<split])
        let secret = String(credentials[credentials.index(after: split)...]).removingPercentEncoding ?? ""
        return tokens.first { $0.authID == id && $0.secret == secret }
    }
}
