import Foundation

/// What pbsha ships in `Resources/`: the built-in runbooks (and, later, drill scenarios).
public enum BuiltIn {
    /// The built-in runbook of `kind` (`failover`, `failback`): its text and where it lives.
    public static func runbook(_ kind: String) -> (text: String, path: String)? {
        guard let url = Bundle.module.url(forResource: kind, withExtension: "toml", subdirectory: "runbooks"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        return (text, url.path)
    }
}
