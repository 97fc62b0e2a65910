/// Searching loaded log lines (case-insensitive substring).
enum LogSearch {
    static func matches(_ lines: [String], _ text: String) -> [Int] {
        let needle = text.lowercased()
        return lines.indices.filter { lines[$0].lowercased().contains(needle) }
    }

    /// The next match after (or before) line `from`, wrapping around.
    static func next(_ matches: [Int], from: Int, forward: Bool) -> Int? {
        guard !matches.isEmpty else { return nil }
        if forward { return matches.first { $0 > from } ?? matches.first }
        return matches.last { $0 < from } ?? matches.last
    }

    /// The first line that reports an error.
    static func firstError(_ lines: [String]) -> Int? {
        lines.firstIndex { line in
            let lower = line.lowercased()
            return lower.contains("task error") || lower.contains(" failed") || lower.contains("error:") || lower.contains(": error")
        }
    }
}
