import Foundation

/// The running pbsha binary, for commands the lab writes into its config.
enum Executable {
    /// The absolute path of this executable (`/proc/self/exe` on Linux), else `pbsha` from PATH.
    static var path: String {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return resolved }
        return Bundle.main.executablePath ?? "pbsha"
    }
}
