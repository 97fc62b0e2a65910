import ProxmoxAPI

extension LabWorld {
    /// Answers one request to a lab PVE host: `/version`, `/storage`, `/storage/{id}`, `/nodes`.
    public func handlePVE(_ index: Int, _ request: LabRequest) -> LabResponse {
        guard pve.indices.contains(index) else { return .notFound(request) }
        let host = pve[index]
        guard let token = LabAccess.authenticate(request.authorization, tokens: host.tokens, users: nil) else {
            return .error(401, "authentication failure")
        }
        guard request.method == "GET" else { return .notFound(request) }
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
            guard s[1] == host.storage.storage else { return .error(500, "storage '\(s[1])' does not exist") }
            guard token.has("Datastore.Allocate", on: "/storage/\(s[1])") else { return .error(403, "Permission check failed (/storage/\(s[1]), Datastore.Allocate)") }
            return .json(Envelope(data: host.storage))
        default:
            return .notFound(request)
        }
    }
}
