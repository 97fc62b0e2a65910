import Foundation

/// Everything that can go wrong talking to a PBS or PVE node, each with what to do about it.
public enum APIError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Nothing listens on the port, or the host refused the connection.
    case connectionRefused(host: String, port: Int, detail: String)
    /// The TCP connection was not established within the connect timeout.
    case connectTimeout(host: String, port: Int, seconds: Double)
    /// The node accepted the connection but did not answer within the request timeout.
    case requestTimeout(host: String, port: Int, seconds: Double)
    /// The node's certificate is not the pinned one.
    case fingerprintMismatch(host: String, expected: Fingerprint, presented: Fingerprint)
    /// TLS failed for another reason.
    case tls(host: String, detail: String)
    /// 401: the token is wrong, expired or disabled.
    case unauthorized(host: String, message: String)
    /// 403 (or a 400 that says "permission check failed"): the token lacks a privilege.
    case forbidden(host: String, path: String, message: String)
    /// 404.
    case notFound(host: String, path: String, message: String)
    /// 400 with another reason (parameters, job errors, maintenance mode).
    case badRequest(host: String, path: String, message: String)
    /// Any other non-2xx status.
    case server(host: String, path: String, status: Int, message: String)
    /// The body was larger than the client accepts.
    case responseTooLarge(host: String, path: String, limit: Int)
    /// The body was not the JSON shape the client expects.
    case decoding(host: String, path: String, detail: String)
    /// The server closed the connection (cleanly) before a whole response arrived.
    case truncated(host: String, path: String)
    /// The connection broke while the request was under way (reset, broken pipe).
    case connectionLost(host: String, path: String, detail: String)
    /// The server answered over TLS, but not in HTTP.
    case notHTTP(host: String, path: String, detail: String)

    public var description: String {
        switch self {
        case let .connectionRefused(host, port, detail):
            return "\(host):\(port) refused the connection (\(detail)); check that proxmox-backup-proxy runs and the port is right"
        case let .connectTimeout(host, port, seconds):
            return "no connection to \(host):\(port) within \(format(seconds)) s; check the host name, routing and firewall"
        case let .requestTimeout(host, port, seconds):
            return "\(host):\(port) accepted the connection but did not answer within \(format(seconds)) s; the node may be overloaded or hung"
        case let .fingerprintMismatch(host, expected, presented):
            return """
                TLS fingerprint mismatch for \(host): expected \(expected), the node presented \(presented). \
                If the certificate was renewed on purpose, check the new value on the node \
                (proxmox-backup-manager cert info) and put it in the config's fingerprint key; otherwise do not connect.
                """
        case let .tls(host, detail):
            return "TLS with \(host) failed: \(detail)"
        case let .unauthorized(host, message):
            return "\(host) rejected the API token (\(message)); check auth-id and secret-file, and that the token is enabled and not expired"
        case let .forbidden(host, path, message):
            if let privilege = missingPrivilege {
                return "\(host) refused \(path): \(message); grant the token \(privilege) there (see docs/configuration.md)"
            }
            return "\(host) refused \(path): \(message); the node did not say which privilege is missing: "
                + "compare the token's ACLs (and its user's) with docs/configuration.md"
        case let .notFound(host, path, message):
            return "\(host) has no \(path): \(message)"
        case let .badRequest(host, path, message):
            return "\(host) rejected \(path): \(message)"
        case let .server(host, path, status, message):
            return "\(host) answered \(status) for \(path): \(message)"
        case let .responseTooLarge(host, path, limit):
            return "\(host) sent more than \(limit) bytes for \(path); refusing to read it"
        case let .decoding(host, path, detail):
            return "\(host) sent an answer to \(path) that pbsha cannot read: \(detail)"
        case let .truncated(host, path):
            return "\(host) closed the connection before answering \(path) completely"
        case let .connectionLost(host, path, detail):
            return "the connection to \(host) broke while asking for \(path) (\(detail)); check the node and the network between"
        case let .notHTTP(host, path, detail):
            return "\(host) answered \(path) with something that is not HTTP (\(detail)); check that host and port name the PBS API (port 8007)"
        }
    }

    /// True when the node itself could not be reached (as opposed to refusing a request).
    public var isUnreachable: Bool {
        switch self {
        case .connectionRefused, .connectTimeout, .requestTimeout, .fingerprintMismatch, .tls, .truncated,
             .connectionLost, .notHTTP: return true
        default: return false
        }
    }

    /// The privilege the node named in a permission error, such as `Datastore.Audit`: PBS
    /// writes `… missing Datastore.Audit on /…`, PVE `Permission check failed (/storage/x, Datastore.Allocate)`.
    public var missingPrivilege: String? {
        guard case let .forbidden(_, _, message) = self else { return nil }
        if message.hasPrefix("Permission check failed ("), let comma = message.lastIndex(of: ","), let close = message.lastIndex(of: ")"),
           comma < close {
            let name = message[message.index(after: comma)..<close].trimmingCharacters(in: .whitespaces)
            if name.contains(".") { return name }
        }
        for marker in ["missing ", "missing permissions '"] {
            if let range = message.range(of: marker) {
                let rest = message[range.upperBound...]
                let name = rest.prefix { $0.isLetter || $0 == "." || $0 == "|" }
                if name.contains(".") { return String(name) }
            }
        }
        return nil
    }

    /// Maps an error response. PBS sends the message as plain text; PVE puts it in the
    /// status line's reason and (since pve-http-server 5.2) in the JSON body's `message`.
    public static func from(_ response: HTTPResponse, host: String, path: String) -> APIError {
        from(status: response.status, message: message(of: response), host: host, path: path)
    }

    /// The message of an error response, whichever way the node wrote it.
    static func message(of response: HTTPResponse) -> String {
        let body = String(decoding: response.body, as: UTF8.self)
        if let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] {
            // PVE names each refused parameter in `errors`.
            let fields = (object["errors"] as? [String: Any])?.sorted { $0.key < $1.key }
                .map { "\($0.key): \(String(describing: $0.value).trimmed)" }.joined(separator: "; ")
            let detail = fields.map { $0.isEmpty ? "" : " (\($0))" } ?? ""
            if let message = object["message"] as? String, !message.trimmed.isEmpty { return message.trimmed + detail }
            if !response.reason.trimmed.isEmpty { return response.reason.trimmed + detail }
        }
        if !body.trimmed.isEmpty { return body.trimmed }
        return response.reason.trimmed.isEmpty ? "(no message)" : response.reason.trimmed
    }

    static func from(status: Int, message: String, host: String, path: String) -> APIError {
        switch status {
        case 401: return .unauthorized(host: host, message: message)
        case 403: return .forbidden(host: host, path: path, message: message)
        case 404: return .notFound(host: host, path: path, message: message)
        case 400 where message.contains("permission check failed") || message.hasPrefix("missing permissions"):
            return .forbidden(host: host, path: path, message: message)
        case 400: return .badRequest(host: host, path: path, message: message)
        default: return .server(host: host, path: path, status: status, message: message)
        }
    }
}

private func format(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)
}

private extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
