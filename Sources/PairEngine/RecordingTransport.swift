import Foundation
import ProxmoxAPI

/// One change pbsha sent to a node, as the journal records it: what, where, to whom, and the
/// parameters with every secret removed.
public struct WriteRecord: Sendable, Equatable {
    public var method: String
    /// `host:port`: nodes may share an address.
    public var host: String
    public var path: String
    /// Form or JSON parameters, secrets replaced by `(secret removed)`.
    public var parameters: [String: String]
    /// The HTTP status, or nil when no answer came.
    public var status: Int?
}

/// The transport runbook actions write through: it passes every request on and reports each
/// write (anything but GET) before it is sent and with its outcome. Reads pass unrecorded.
/// `status`, `check` and the wallboard never get one; they read through `ReadOnlyTransport`.
public struct RecordingTransport: HTTPTransport {
    /// Parameter names whose values are never recorded.
    static let secretNames: Set<String> = ["password", "secret", "token", "value", "encryption-key", "master-pubkey", "keyfile"]

    let inner: any HTTPTransport
    let record: @Sendable (WriteRecord) -> Void

    public init(_ inner: any HTTPTransport, record: @escaping @Sendable (WriteRecord) -> Void) {
        self.inner = inner
        self.record = record
    }

    public func send(_ request: HTTPRequest, to endpoint: Endpoint) async throws(APIError) -> HTTPResponse {
        guard request.method != "GET" else { return try await inner.send(request, to: endpoint) }
        var entry = WriteRecord(method: request.method, host: endpoint.authority, path: request.path,
                                parameters: Self.parameters(of: request), status: nil)
        do {
            let response = try await inner.send(request, to: endpoint)
            entry.status = response.status
            record(entry)
            return response
        } catch {
            record(entry)
            throw error
        }
    }

    /// The request's parameters (form-encoded or JSON body), secrets removed.
    static func parameters(of request: HTTPRequest) -> [String: String] {
        guard let body = request.body, !body.isEmpty else { return [:] }
        var result: [String: String] = [:]
        if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] {
            for (key, value) in object { result[key] = String(describing: value) }
        } else {
            for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
                result[parts[0]] = parts.count == 2 ? parts[1] : ""
            }
        }
        for key in result.keys where secretNames.contains(key.lowercased()) { result[key] = "(secret removed)" }
        return result
    }
}
