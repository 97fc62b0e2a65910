/// A transport that sends only GET requests. The wallboard is built on it, so no view,
/// key or bug can make a mutating call to a node.
public struct ReadOnlyTransport: HTTPTransport {
    let base: any HTTPTransport

    public init(_ base: any HTTPTransport) { self.base = base }

    public func send(_ request: HTTPRequest, to endpoint: Endpoint) async throws(APIError) -> HTTPResponse {
        guard request.method == "GET" else {
            throw .badRequest(host: endpoint.host, path: request.path, message: "refused by pbsha: this session is read-only (\(request.method) not sent)")
        }
        return try await base.send(request, to: endpoint)
    }
}
