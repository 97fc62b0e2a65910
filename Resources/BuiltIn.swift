import Foundation

/// What pbsha ships in `Resources/`: the built-in runbooks and drill scenarios.
public enum BuiltIn {
    /// The built-in runbook of `kind` (`failover`, `failback`): its text and where it lives.
    public static func runbook(_ kind: String) -> (text: String, path: String)? {
        guard let url = Bundle.module.url(forResource: kind, withExtension: "toml", subdirectory: "runbooks"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        return (text, url.path)
    }

    /// The built-in drill scenarios, sorted by name (the file name without `.toml`).
    public static func scenarios() -> [(name: String, text: String, path: String)] {
        guard let directory = Bundle.module.url(forResource: "scenarios", withExtension: nil),
              let files = try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil) else { return [] }
        return files.filter { $0.pathExtension == "toml" }.compactMap { url -> (name: String, text: String, path: String)? in
            guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
            return (url.deletingPathExtension().lastPathComponent, text, url.path)
        }.sorted { $0.name < $1.name }
    }
}
