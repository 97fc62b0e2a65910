import Foundation

/// A request as the lab's routers see it: path below `/api2/json`, decoded query, auth header.
public struct LabRequest: Sendable {
    public var method: String
    /// Decoded path segments below `/api2/json`.
    public var segments: [String]
    public var query: [String: [String]]
    public var authorization: String?
    public var rawPath: String
    /// Why the request cannot be read (an empty parameter name, a bad percent escape); the
    /// routers answer 400 with it.
    public var malformed: String?

    /// Splits a request target such as `/api2/json/nodes/localhost/tasks?limit=5`; a body's
    /// parameters (form-encoded or a JSON object, as PBS and PVE accept them) join the query's.
    public init(method: String, target: String, authorization: String?, contentType: String? = nil, body: [UInt8] = []) {
        self.method = method
        self.authorization = authorization
        let parts = target.split(separator: "?", maxSplits: 1).map(String.init)
        rawPath = parts[0]
        var path = parts[0]
        if path.hasPrefix("/api2/json") { path.removeFirst(10) }
        var malformed: String?
        segments = path.split(separator: "/").map { segment in
            guard let decoded = String(segment).removingPercentEncoding else {
                malformed = "invalid percent-encoding in path segment '\(segment)'"
                return String(segment)
            }
            return decoded
        }
        var query: [String: [String]] = [:]
        if parts.count == 2 {
            for item in parts[1].split(separator: "&", omittingEmptySubsequences: false) {
                let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    .map { String($0).replacingOccurrences(of: "+", with: " ") }
                let decoded = pair.map { $0.removingPercentEncoding }
                guard let key = decoded[0], !key.isEmpty, decoded.allSatisfy({ $0 != nil }) else {
                    malformed = item.isEmpty ? "empty parameter in the query string"
                        : "parameter verification failed - cannot parse '\(item)' in the query string"
                    continue
                }
                query[key, default: []].append(decoded.count == 2 ? decoded[1]! : "")
            }
        }
        if !body.isEmpty {
            if contentType?.hasPrefix("application/json") == true {
                if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] {
                    for (key, value) in object {
                        let values = (value as? [Any]) ?? [value]
                        query[key, default: []] += values.map { ($0 as? Bool).map { $0 ? "1" : "0" } ?? "\($0)" }
                    }
                } else {
                    malformed = "unable to parse the request body as JSON"
                }
            } else {
                for item in String(decoding: body, as: UTF8.self).split(separator: "&") {
                    let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                        .map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
                    guard let key = pair[0], !key.isEmpty, pair.allSatisfy({ $0 != nil }) else {
                        malformed = "parameter verification failed - cannot parse '\(item)' in the request body"
                        continue
                    }
                    query[key, default: []].append(pair.count == 2 ? pair[1]! : "")
                }
            }
        }
        self.query = query
        self.malformed = malformed
    }

    func value(_ key: String) -> String? { query[key]?.last }
    func flag(_ key: String) -> Bool { ["1", "true", "yes"].contains(value(key) ?? "") }

    /// A numeric parameter PBS bounds by its schema; nil when absent.
    func count(_ key: String, maximum: Int = 1 << 30) throws(BadParameter) -> Int? {
        guard let text = value(key) else { return nil }
        guard let number = Int(text), (0...maximum).contains(number) else {
            throw BadParameter(message: "parameter verification failed - '\(key)': value must be an integer from 0 to \(maximum)")
        }
        return number
    }
}

/// A parameter outside its schema: the router answers 400 with the message.
struct BadParameter: Error {
    let message: String
}

/// A response: JSON on success; on error plain text (PBS) or PVE's JSON with the message
/// in the status line.
public struct LabResponse: Sendable {
    public var status: Int
    /// The status line's reason phrase; nil for the standard one.
    public var reason: String?
    public var body: [UInt8]

    init(status: Int, reason: String? = nil, body: [UInt8]) {
        self.status = status
        self.reason = reason
        self.body = body
    }

    static func json<T: Encodable>(_ value: T) -> LabResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return LabResponse(status: 200, body: Array((try? encoder.encode(value)) ?? Data("{}".utf8)))
    }

    static func error(_ status: Int, _ message: String) -> LabResponse {
        LabResponse(status: status, body: Array(message.utf8))
    }

    /// An error as pve-http-server (5.2+) answers it: the message is the status line's reason
    /// and the JSON body's `message` beside `"data": null`.
    static func pveError(_ status: Int, _ message: String) -> LabResponse {
        let body = (try? JSONSerialization.data(withJSONObject: ["data": NSNull(), "message": message + "\n"], options: [.sortedKeys])) ?? Data()
        return LabResponse(status: status, reason: message, body: Array(body))
    }

    /// PVE's schema refusal: 400 `Parameter verification failed.` with a message per parameter.
    static func pveParameterError(_ errors: [String: String]) -> LabResponse {
        let object: [String: Any] = ["data": NSNull(), "errors": errors, "message": "Parameter verification failed.\n"]
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return LabResponse(status: 400, reason: "Parameter verification failed.", body: Array(body))
    }

    /// PVE refuses a bad token with 401 and the reason alone.
    static let pveUnauthorized = LabResponse(status: 401, reason: "authentication failure", body: [])

    static func notFound(_ request: LabRequest) -> LabResponse {
        .error(404, "Path '\(request.rawPath)' not found.")
    }
}
