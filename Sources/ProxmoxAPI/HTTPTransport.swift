/// Where a node listens and which certificate it must present.
public struct Endpoint: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var fingerprint: Fingerprint

    public init(host: String, port: Int, fingerprint: Fingerprint) {
        self.host = host
        self.port = port
        self.fingerprint = fingerprint
    }

    /// `host:port` as the `Host` header wants it: an IPv6 literal goes in brackets.
    public var authority: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// One HTTP request to a node's API.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path including the query string, e.g. `/api2/json/version`.
    public var path: String
    public var headers: [(String, String)]
    public var body: [UInt8]?

    public init(method: String = "GET", path: String, headers: [(String, String)] = [], body: [UInt8]? = nil) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }

}

/// A whole HTTP response.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// The status line's reason phrase: PVE puts its error message there.
    public var reason: String
    public var body: [UInt8]

    public init(status: Int, reason: String = "", body: [UInt8]) {
        self.status = status
        self.reason = reason
        self.body = body
    }
}

/// Sends requests to an endpoint. The seam between typed clients and the network:
/// tests substitute a transport, production uses `PinnedHTTPSClient`.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest, to endpoint: Endpoint) async throws(APIError) -> HTTPResponse
}
