import Foundation
import ProxmoxAPI
import TOMLKit

/// Reads typed values out of one TOML table and reports a wrong type as a wrong type
/// (TOMLKit's decoder would call it "key not found").
struct TableReader {
    let table: TOMLTable
    /// Dotted name for messages, e.g. `primary` or `pve[1]`.
    let path: String
    let file: String
    /// Directory relative paths are resolved against.
    let base: String

    func error(_ key: String, _ message: String) -> ConfigError {
        ConfigError(file: file, key: path.isEmpty ? key : "\(path).\(key)", message: message)
    }

    private func describe(_ value: any TOMLValueConvertible) -> String {
        switch value.type {
        case .string: return "a string"
        case .int: return "an integer"
        case .double: return "a number"
        case .bool: return "a boolean"
        case .table: return "a table"
        case .array: return "an array"
        default: return "a date or time"
        }
    }

    /// Refuses keys the format does not have (a typo must not be silently ignored).
    func allowOnly(_ keys: [String]) throws(ConfigError) {
        for key in table.keys where !keys.contains(key) {
            throw error(key, "unknown key; expected one of: \(keys.joined(separator: ", "))")
        }
    }

    func optionalString(_ key: String) throws(ConfigError) -> String? {
        guard let value = table[key] else { return nil }
        guard let string = value.string else { throw error(key, "expected a string in quotes, got \(describe(value))") }
        guard !string.trimmingCharacters(in: .whitespaces).isEmpty else { throw error(key, "is empty") }
        return string
    }

    func string(_ key: String, default fallback: String? = nil) throws(ConfigError) -> String {
        if let value = try optionalString(key) { return value }
        if let fallback { return fallback }
        throw error(key, "missing; this key is required")
    }

    func optionalInt(_ key: String) throws(ConfigError) -> Int? {
        guard let value = table[key] else { return nil }
        guard let int = value.int else { throw error(key, "expected an integer without quotes, got \(describe(value))") }
        return int
    }

    func port(default fallback: Int) throws(ConfigError) -> Int {
        let port = try optionalInt("port") ?? fallback
        guard (1...65535).contains(port) else { throw error("port", "expected 1..65535, got \(port)") }
        return port
    }

    func duration(_ key: String, default fallback: String) throws(ConfigError) -> Int {
        let text = try string(key, default: fallback)
        let seconds: Int
        do { seconds = try Durations.parse(text) } catch { throw self.error(key, error.description) }
        guard seconds > 0 else { throw error(key, "must be longer than zero") }
        return seconds
    }

    /// A node's address: a DNS name, an IPv4 address or an IPv6 literal (brackets optional).
    func host() throws(ConfigError) -> String {
        let text = try string("host").trimmingCharacters(in: .whitespaces)
        let host = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
        if host.contains("/") || host.contains("[") || host.contains("]") {
            throw error("host", "expected a host name or an address without scheme, path or brackets around a port, got \"\(text)\"; "
                        + "e.g. host = \"pbs1.example.com\", \"192.168.1.10\" or \"fd00::10\"")
        }
        if host.filter({ $0 == ":" }).count == 1 {
            throw error("host", "\"\(text)\" has a port in it; put the port in the port key")
        }
        return host
    }

    func fingerprint(_ key: String = "fingerprint") throws(ConfigError) -> Fingerprint {
        let text = try string(key)
        guard let fingerprint = Fingerprint(text) else {
            throw error(key, "expected the SHA-256 of the certificate as 32 colon-separated hex bytes (aa:bb:…), got \"\(text)\"; "
                        + "read it on the node with: proxmox-backup-manager cert info")
        }
        return fingerprint
    }

    /// The API token: `auth-id` here, the secret from `secret-file`, which must be private.
    func token() throws(ConfigError) -> APIToken {
        try token(idKey: "auth-id", fileKey: "secret-file")
    }

    /// An optional second token, such as `operator-auth-id` with `operator-secret-file`:
    /// both keys or neither.
    func optionalToken(_ prefix: String) throws(ConfigError) -> APIToken? {
        let (idKey, fileKey) = ("\(prefix)-auth-id", "\(prefix)-secret-file")
        switch (table[idKey] != nil, table[fileKey] != nil) {
        case (false, false): return nil
        case (true, false): throw error(fileKey, "missing; \(idKey) needs the file holding its secret")
        case (false, true): throw error(idKey, "missing; \(fileKey) needs the token id it is the secret of")
        case (true, true): return try token(idKey: idKey, fileKey: fileKey)
        }
    }

    private func token(idKey: String, fileKey: String) throws(ConfigError) -> APIToken {
        let authID = try string(idKey)
        guard authID.contains("@"), authID.contains("!") else {
            throw error(idKey, "expected an API token id like monitor@pbs!console, got \"\(authID)\"")
        }
        return APIToken(authID: authID, secret: try privateFile(fileKey, "the token secret"))
    }

    /// The first line of a file that must be readable by its owner only.
    func privateFile(_ key: String, _ what: String) throws(ConfigError) -> String {
        let secretPath = resolve(try string(key))
        var info = stat()
        guard stat(secretPath, &info) == 0 else {
            throw error(key, "cannot read \(secretPath) (\(String(cString: strerror(errno)))); write \(what) there with mode 600")
        }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw error(key, "\(secretPath) is readable by group or others (mode \(String(mode, radix: 8))); fix it with: chmod 600 \(secretPath)")
        }
        guard let contents = try? String(contentsOfFile: secretPath, encoding: .utf8) else {
            throw error(key, "cannot read \(secretPath); check that the user running pbsha owns it")
        }
        let secret = contents.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard !secret.isEmpty else { throw error(key, "\(secretPath) is empty; put \(what) on its first line") }
        return secret
    }

    func resolve(_ path: String) -> String {
        path.hasPrefix("/") || base.isEmpty ? path : (base as NSString).appendingPathComponent(path)
    }

    func optionalTable(_ key: String) throws(ConfigError) -> TableReader? {
        guard let value = table[key] else { return nil }
        guard let sub = value.table else { throw error(key, "expected a table [\(key)], got \(describe(value))") }
        return TableReader(table: sub, path: key, file: file, base: base)
    }

    func table(_ key: String) throws(ConfigError) -> TableReader {
        guard let sub = try optionalTable(key) else { throw error(key, "missing section [\(key)]") }
        return sub
    }

    func tableArray(_ key: String) throws(ConfigError) -> [TableReader] {
        guard let value = table[key] else { return [] }
        guard let array = value.array else { throw error(key, "expected [[\(key)]] tables, got \(describe(value))") }
        var result: [TableReader] = []
        for (index, element) in array.enumerated() {
            guard let sub = element.table else { throw error("\(key)[\(index)]", "expected a table, got \(describe(element))") }
            result.append(TableReader(table: sub, path: "\(key)[\(index)]", file: file, base: base))
        }
        return result
    }
}
