/// Searching loaded log lines (case-insensitive substring).
enum LogSearch {
    static func matches(_ lines: [String], _ text: String) -> [Int] {
        let needle = text.lowercased()
        let bytes = Array(needle.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }), !bytes.isEmpty else {
            return lines.indices.filter { lines[$0].lowercased().contains(needle) }
        }
        return lines.indices.filter { contains(lines[$0], asciiLowercased: bytes) }
    }

    /// Whether `line` contains `needle` (ASCII, lowercase) ignoring case, without making a
    /// lowercased copy of each line (a 100 000-line log is searched in one keystroke). A line
    /// with other than ASCII goes the slow way: its lowercase may differ in more than case bits.
    private static func contains(_ line: String, asciiLowercased needle: [UInt8]) -> Bool {
        var contiguous = line
        return contiguous.withUTF8 { bytes in
            guard !bytes.contains(where: { $0 >= 0x80 }) else { return line.lowercased().contains(String(decoding: needle, as: UTF8.self)) }
            guard bytes.count >= needle.count else { return false }
            let first = needle[0]
            func folded(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
            candidates: for start in 0...(bytes.count - needle.count) where folded(bytes[start]) == first {
                for offset in 1..<needle.count where folded(bytes[start + offset]) != needle[offset] { continue candidates }
                return true
            }
            return false
        }
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
