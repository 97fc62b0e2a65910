import Foundation

/// An authenticated connection to one node's JSON API: a transport, an endpoint and a token.
/// Shared by the PBS and PVE clients; only the header format differs.
public struct APIConnection: Sendable {
    public let transport: any HTTPTransport
    public let endpoint: Endpoint
    let authorization: String?

    public init(transport: any HTTPTransport, endpoint: Endpoint, authorization: String?) {
        self.transport = transport
        self.endpoint = endpoint
        self.authorization = authorization
    }

    /// Sends a request and returns the body of a 2xx answer; other statuses become `APIError`s.
    public func raw(_ method: String, _ path: String, body: [UInt8]? = nil) async throws(APIError) -> [UInt8] {
        try await send(method, path, body: body, contentType: "application/json")
    }

    private func send(_ method: String, _ path: String, body: [UInt8]?, contentType: String) async throws(APIError) -> [UInt8] {
        var headers: [(String, String)] = []
        if let authorization { headers.append(("Authorization", authorization)) }
        if body != nil { headers.append(("Content-Type", contentType)) }
        let response = try await transport.send(HTTPRequest(method: method, path: path, headers: headers, body: body), to: endpoint)
        guard (200..<300).contains(response.status) else {
            throw APIError.from(response, host: endpoint.host, path: Self.display(path))
        }
        return response.body
    }

    /// Sends a write with form-encoded parameters (what PVE's and PBS's own web clients send)
    /// and returns the `data` of the answer, decoded.
    public func write<T: Codable & Sendable>(_ method: String, _ path: String, form: [(String, String)], as type: T.Type = T.self)
        async throws(APIError) -> T {
        let body = form.map { "\(APIPath.encode($0.0))=\(APIPath.encode($0.1))" }.joined(separator: "&")
        let raw = try await send(method, path, body: Array(body.utf8), contentType: "application/x-www-form-urlencoded")
        return try decode(Envelope<T>.self, from: raw, path: path).data
    }

    /// Decodes `data` out of the standard envelope.
    public func get<T: Codable & Sendable>(_ path: String, as type: T.Type = T.self) async throws(APIError) -> T {
        try await envelope(path, as: T.self).data
    }

    /// The same for the answers that come by the megabyte (snapshot and group lists): read
    /// directly when they have the usual shape, by `JSONDecoder` otherwise. Chosen at
    /// compile time: a dynamic cast to find out costs a scan of every conformance in the
    /// binary the first time for each type, which a one-shot `status` pays in full.
    func get<T: Codable & Sendable & FastDecodable>(_ path: String, as type: T.Type = T.self) async throws(APIError) -> T {
        try await decodeFast(Envelope<T>.self, from: try await raw("GET", path), path: path).data
    }

    /// `decode`, trying the direct reader first.
    func decodeFast<T: Decodable & FastDecodable>(_ type: T.Type, from body: [UInt8], path: String) throws(APIError) -> T {
        if let value = T.fastDecode(body) { return value }
        return try decode(T.self, from: body, path: path)
    }

    /// The whole envelope, for calls whose `total` or `digest` matter.
    public func envelope<T: Codable & Sendable>(_ path: String, as type: T.Type = T.self) async throws(APIError) -> Envelope<T> {
        try decode(Envelope<T>.self, from: try await raw("GET", path), path: path)
    }

    public func decode<T: Decodable>(_ type: T.Type, from body: [UInt8], path: String) throws(APIError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch let error as DecodingError {
            throw .decoding(host: endpoint.host, path: Self.display(path), detail: Self.describe(error))
        } catch {
            throw .decoding(host: endpoint.host, path: Self.display(path), detail: String(describing: error))
        }
    }

    /// The path without the `/api2/json` prefix, for messages.
    static func display(_ path: String) -> String {
        path.hasPrefix("/api2/json") ? String(path.dropFirst(10)) : path
    }

    private static func describe(_ error: DecodingError) -> String {
        func at(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return path.isEmpty ? "the top level" : String(path.drop { $0 == "." })
        }
        switch error {
        case let .keyNotFound(key, context): return "field '\(key.stringValue)' is missing at \(at(context))"
        case let .typeMismatch(type, context): return "\(at(context)) is not a \(type)"
        case let .valueNotFound(type, context): return "\(at(context)) is null, expected \(type)"
        case let .dataCorrupted(context): return "not valid JSON at \(at(context)): \(context.debugDescription)"
        @unknown default: return String(describing: error)
        }
    }
}
