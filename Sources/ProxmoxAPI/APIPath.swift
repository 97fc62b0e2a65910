import Foundation

/// Builds `/api2/json` paths with percent-encoded components and query strings.
public enum APIPath {
    /// Characters that may stay literal in one path segment or query value.
    private static let unreserved = CharacterSet(charactersIn:
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// Percent-encodes one path segment or query value (UPIDs contain `\`, `!`, `@`, `:`).
    public static func encode(_ component: String) -> String {
        component.addingPercentEncoding(withAllowedCharacters: unreserved) ?? component
    }

    /// `/api2/json` + path + `?k=v&…` (nil values are left out).
    public static func json(_ path: String, _ query: [(String, String?)] = []) -> String {
        let items = query.compactMap { key, value in value.map { "\(key)=\(encode($0))" } }
        return "/api2/json" + path + (items.isEmpty ? "" : "?" + items.joined(separator: "&"))
    }
}
