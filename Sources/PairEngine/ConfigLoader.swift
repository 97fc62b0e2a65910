import Foundation
import ProxmoxAPI
import TOMLKit

/// Finds, parses and validates the config. Every error names the file, the key and the fix.
public enum ConfigLoader {
    /// The places looked at, in order, when no `--config` is given.
    public static func searchPaths(environment: [String: String], workingDirectory: String) -> [String] {
        var paths: [String] = []
        if let env = environment["PBSHA_CONFIG"], !env.isEmpty { paths.append(env) }
        paths.append((workingDirectory as NSString).appendingPathComponent("pbsha.toml"))
        let home = environment["HOME"] ?? NSHomeDirectory()
        let xdg = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(home)/.config"
        paths.append("\(xdg)/pbsha/config.toml")
        paths.append("/etc/pbsha/config.toml")
        return paths
    }

    /// The config file to use: `explicit` if given (it must exist), else the first that exists.
    public static func locate(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                              workingDirectory: String = FileManager.default.currentDirectoryPath) throws(ConfigError) -> String {
        if let explicit {
            guard FileManager.default.fileExists(atPath: explicit) else {
                throw ConfigError(file: explicit, key: nil, message: "no such file; check the --config path")
            }
            return explicit
        }
        // A variable set on purpose must name a file: falling through to another config
        // would watch a different pair than the operator asked for.
        if let named = environment["PBSHA_CONFIG"], !named.isEmpty, !FileManager.default.fileExists(atPath: named) {
            throw ConfigError(file: named, key: nil, message: "no such file; $PBSHA_CONFIG names it. Fix the variable or unset it")
        }
        let candidates = searchPaths(environment: environment, workingDirectory: workingDirectory)
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) { return found }
        throw ConfigError(file: "config", key: nil, message: """
            no config found; looked at:
            \(candidates.map { "  " + $0 }.joined(separator: "\n"))
            Write one (see Resources/pbsha.example.toml), pass --config FILE, or try the simulated lab: pbsha --lab
            """)
    }

    /// Reads and validates a config file, including its secret files.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> PairConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, key: nil, message: "cannot read the file (\(error.localizedDescription)); check its permissions")
        }
        return try parse(text, file: path, environment: environment)
    }

    /// Validates config text; `file` names it in messages and anchors relative secret-file paths.
    public static func parse(_ text: String, file: String, environment: [String: String] = [:]) throws(ConfigError) -> PairConfig {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(file: file, key: nil, message: "not valid TOML at line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)")
        } catch {
            throw ConfigError(file: file, key: nil, message: "not valid TOML: \(error)")
        }
        let base = (file as NSString).deletingLastPathComponent
        let top = TableReader(table: root, path: "", file: file, base: base)
        try top.allowOnly(["pair", "primary", "secondary", "pve", "notify", "runbooks", "drills"])

        let pair = try top.table("pair")
        try pair.allowOnly(["name", "rpo", "verify-max-age", "state-dir", "full-read-interval"])
        let home = environment["HOME"] ?? NSHomeDirectory()
        let stateHome = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(home)/.local/state"

        let nodeKeys = ["host", "port", "fingerprint", "auth-id", "secret-file", "datastore", "operator-auth-id", "operator-secret-file",
                        "pve-auth-id", "pve-secret-file", "pve-server"]
        let primaryTable = try top.table("primary")
        try primaryTable.allowOnly(nodeKeys)
        let secondaryTable = try top.table("secondary")
        try secondaryTable.allowOnly(nodeKeys + ["sync-job", "remote", "reverse-sync-auth-id", "reverse-sync-secret-file"])

        var hosts: [PVEHostConfig] = []
        for table in try top.tableArray("pve") {
            try table.allowOnly(["name", "host", "port", "fingerprint", "auth-id", "secret-file", "operator-auth-id", "operator-secret-file",
                                 "storage", "node", "test-vmid", "method", "remote-shell", "failover-storage"])
            let methodText = try table.string("method", default: PVEHostConfig.Method.editStorageCfg.rawValue)
            guard let method = PVEHostConfig.Method(rawValue: methodText) else {
                throw table.error("method", "expected \"edit-storage-cfg\" or \"switch-storage\", got \"\(methodText)\"")
            }
            let failoverStorage = try table.optionalString("failover-storage")
            if method == .switchStorage, failoverStorage == nil {
                throw table.error("failover-storage", "required with method = \"switch-storage\": the second pbs: entry to move backup jobs to")
            }
            let remoteShell = try table.optionalString("remote-shell")
            if let remoteShell {
                let words: [String]
                do { words = try ShellWords.split(remoteShell) } catch {
                    throw table.error("remote-shell", "\(error); quote as in a shell, e.g. \"ssh -o 'ProxyJump=admin@bastion' root@pve1\"")
                }
                if words.isEmpty { throw table.error("remote-shell", "is empty; remove the key or name a command such as \"ssh root@pve1\"") }
            }
            let name = try table.string("name")
            if hosts.contains(where: { $0.name == name }) { throw table.error("name", "\"\(name)\" is used by two [[pve]] tables") }
            hosts.append(PVEHostConfig(
                name: name, host: try table.host(), port: try table.port(default: 8006),
                fingerprint: try table.fingerprint(), token: try table.token(), operatorToken: try table.optionalToken("operator"),
                storage: try table.string("storage"),
                node: try table.string("node"), testVMID: try table.optionalInt("test-vmid"), method: method,
                remoteShell: remoteShell, failoverStorage: failoverStorage))
        }
        var notify: NotifyConfig?
        if let table = try top.optionalTable("notify") {
            try table.allowOnly(["webhook-file", "webhook-fingerprint"])
            let url = try table.privateFile("webhook-file", "the webhook URL")
            // The URL carries the webhook's token: it never travels in clear text.
            guard url.hasPrefix("https://"), URL(string: url)?.host != nil else {
                throw table.error("webhook-file", "expected an https:// URL on its first line (plain http would send its token in clear text)")
            }
            let pin = try table.optionalString("webhook-fingerprint") != nil ? try table.fingerprint("webhook-fingerprint") : nil
            notify = NotifyConfig(webhookURL: url, webhookFingerprint: pin)
        }
        var runbookFiles: [String: String] = [:]
        if let table = try top.optionalTable("runbooks") {
            try table.allowOnly(["failover", "failback"])
            for name in ["failover", "failback"] {
                guard let path = try table.optionalString(name).map(table.resolve) else { continue }
                guard FileManager.default.fileExists(atPath: path) else {
                    throw table.error(name, "no such file \(path); remove the key to use the built-in runbook")
                }
                runbookFiles[name] = path
            }
        }
        var drillMaxAge = 180 * 86_400
        if let table = try top.optionalTable("drills") {
            try table.allowOnly(["max-age"])
            drillMaxAge = try table.duration("max-age", default: "180d")
        }

        return PairConfig(
            file: file,
            name: try pair.string("name"),
            rpoSeconds: try pair.duration("rpo", default: "4h"),
            verifyMaxAgeSeconds: try pair.duration("verify-max-age", default: "8d"),
            stateDir: pair.resolve(try pair.string("state-dir", default: "\(stateHome)/pbsha")),
            fullReadIntervalSeconds: try pair.duration("full-read-interval", default: "15m"),
            primary: try node(primaryTable),
            secondary: try node(secondaryTable),
            syncJob: try secondaryTable.string("sync-job"),
            remote: try secondaryTable.string("remote"),
            pve: hosts,
            notify: notify,
            runbookFiles: runbookFiles,
            drillMaxAgeSeconds: drillMaxAge)
    }

    private static func node(_ table: TableReader) throws(ConfigError) -> NodeConfig {
        NodeConfig(host: try table.host(), port: try table.port(default: 8007), fingerprint: try table.fingerprint(),
                   token: try table.token(), datastore: try table.string("datastore"),
                   operatorToken: try table.optionalToken("operator"), pveToken: try table.optionalToken("pve"),
                   pveServer: try table.optionalString("pve-server"), reverseSyncToken: try table.optionalToken("reverse-sync"))
    }
}
