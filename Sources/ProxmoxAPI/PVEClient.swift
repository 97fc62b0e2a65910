/// Typed calls to one Proxmox VE host or cluster node (`/api2/json`, port 8006).
public struct PVEClient: Sendable {
    public let connection: APIConnection

    public init(transport: any HTTPTransport, endpoint: Endpoint, token: APIToken) {
        connection = APIConnection(transport: transport, endpoint: endpoint, authorization: token.pveHeader)
    }

    public func version() async throws(APIError) -> VersionInfo { try await connection.get(APIPath.json("/version")) }

    /// Storage entries of type `pbs`.
    public func pbsStorages() async throws(APIError) -> [PVEStorage] {
        try await connection.get(APIPath.json("/storage", [("type", "pbs")]))
    }
}
