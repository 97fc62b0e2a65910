import Foundation
import PairEngine

/// A pbsha.toml for `SyntheticPair` (port 1 primary, port 2 secondary), loaded the way
/// pbsha loads any.
enum SyntheticConfig {
    static func write(in directory: String) throws -> PairConfig {
        let fingerprint = Array(repeating: "00", count: 32).joined(separator: ":")
        try "bench-token-secret\n".write(toFile: "\(directory)/token", atomically: true, encoding: .utf8)
        chmod("\(directory)/token", 0o600)
        let text = """
        [pair]
        name = "bench"
        rpo = "4h"
        verify-max-age = "8d"
        state-dir = "\(directory)/state"

        [primary]
        host = "primary"
        port = 1
        fingerprint = "\(fingerprint)"
        auth-id = "monitor@pbs!bench"
        secret-file = "\(directory)/token"
        datastore = "main"

        [secondary]
        host = "secondary"
        port = 2
        fingerprint = "\(fingerprint)"
        auth-id = "monitor@pbs!bench"
        secret-file = "\(directory)/token"
        datastore = "mirror"
        sync-job = "primary-mirror"
        remote = "primary-hub"

        """
        try text.write(toFile: "\(directory)/pbsha.toml", atomically: true, encoding: .utf8)
        return try ConfigLoader.load(path: "\(directory)/pbsha.toml")
    }
}
