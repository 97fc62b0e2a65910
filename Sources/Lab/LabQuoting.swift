/// Quoting for the config the lab writes: its paths may hold blanks or quotes.
enum LabQuoting {
    /// A word a shell (and pbsha's `ShellWords`) reads back as itself.
    static func shell(_ word: String) -> String {
        word.allSatisfy { $0.isLetter || $0.isNumber || "/._-+:@".contains($0) } ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// The inside of a TOML basic string.
    static func toml(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
