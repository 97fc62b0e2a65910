import ProxmoxAPI

/// Reads what an operator token holds before it acts (`GET /access/permissions?path=`), so
/// that a change it may not make is not tried: the operator gets the command instead of a 403.
enum PrivilegeCheck {
    /// The first of `needed` a PVE token lacks, written "PRIVILEGE on PATH"; nil when it holds all.
    static func missing(_ needed: [(privilege: String, path: String)], _ client: PVEClient) async throws(APIError) -> String? {
        try await missing(needed) { path throws(APIError) in try await client.privileges(on: path) }
    }

    /// The same for a PBS token.
    static func missing(_ needed: [(privilege: String, path: String)], _ client: PBSClient) async throws(APIError) -> String? {
        try await missing(needed) { path throws(APIError) in Set((try await client.permissions(path: path)[path] ?? [:]).keys) }
    }

    /// Reads each path once, in the order `needed` names them.
    private static func missing(_ needed: [(privilege: String, path: String)],
                                held read: (String) async throws(APIError) -> Set<String>) async throws(APIError) -> String? {
        var held: [String: Set<String>] = [:]
        for (privilege, path) in needed {
            let privileges: Set<String>
            if let known = held[path] { privileges = known } else {
                privileges = try await read(path)
                held[path] = privileges
            }
            if !privileges.contains(privilege) { return "\(privilege) on \(path)" }
        }
        return nil
    }
}
