@testable import Console
import Testing

/// The log search ignores case the way `lowercased().contains` does, quickly for ASCII.
@Suite struct LogSearchTests {
    @Test func theQuickPathFindsWhatLowercasingFinds() {
        let lines = ["2026-12-02 sync snapshot VM/1042/2026 done", "TASK ERROR: Connection refused", "Übertragung vm/1042 fertig",
                     "short", "", "vm/104", "a KELVIN sign: \u{212A}B", "trailing vm/1042/"]
        for needle in ["vm/1042/", "task error", "ERROR", "übertragung", "kb", "t", "vm/1042/2026 done", "xyz", "short!"] {
            let expected = lines.indices.filter { lines[$0].lowercased().contains(needle.lowercased()) }
            #expect(LogSearch.matches(lines, needle) == expected, "\(needle)")
        }
    }
}
