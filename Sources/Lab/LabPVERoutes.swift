import ProxmoxAPI

extension LabWorld {
    /// Answers one request to a lab PVE host: `/version`, `/storage`, `/storage/{id}`, `/nodes`.
    public func handlePVE(_ index: Int, _ request: LabRequest) -> LabResponse {
        guard pve.indices.contains(index) else { return .notFound(request) }
        let host = pve[index]
        guard let token = LabAccess.authenticate(request.authorization, tokens: host.tokens, users: nil) else {
            return .pveUnauthorized
        }
        if let malformed = request.malformed { return .pveError(400, malformed) }
        guard request.method == "GET" else { return .pveError(501, "Method '\(request.method) \(request.rawPath)' not implemented") }
        let s = request.segments
        switch s {
        case ["version"]:
            return .json(Envelope(data: VersionInfo(version: "8.3.2", release: "8.3", repoid: "3e76eec21c4a14a7")))
        case ["storage"]:
            let type = request.value("type")
            let visible = [host.storage].filter { entry in
                (type == nil || entry.type == type)
                    && (token.has("Datastore.Audit", on: "/storage/\(entry.storage)")
                        || token.has("Datastore.AllocateSpace", on: "/storage/\(entry.storage)"))
            }
            return .json(Envelope(data: visible))
        case _ where s.count == 2 && s[0] == "storage":
            guard token.has("Datastore.Allocate", on: "/storage/\(s[1])") else { return .pveError(403, "Permission check failed (/storage/\(s[1]), Datastore.Allocate)") }
            guard s[1] == host.storage.storage else { return .pveError(500, "storage '\(s[1])' does not exist") }
            return .json(Envelope(data: host.storage))
        default:
            return .pveError(501, "Method 'GET \(request.rawPath)' not implemented")
        }
    }
}
