/// A 3-row block font for the figures that must be readable across a room
/// (sync age on the dashboard, everything on the wallboard).
enum BigText {
    private static let font: [Character: [String]] = [
        "0": ["┏━┓", "┃ ┃", "┗━┛"], "1": [" ┓ ", " ┃ ", " ┻ "], "2": ["┏━┓", "┏━┛", "┗━━"], "3": ["┏━┓", " ━┫", "┗━┛"],
        "4": ["╻ ╻", "┗━┫", "  ╹"], "5": ["┏━━", "┗━┓", "┗━┛"], "6": ["┏━━", "┣━┓", "┗━┛"], "7": ["━━┓", "  ┃", "  ╹"],
        "8": ["┏━┓", "┣━┫", "┗━┛"], "9": ["┏━┓", "┗━┫", "┗━┛"], "h": ["╻  ", "┣━┓", "╹ ╹"], "m": ["   ", "┏┳┓", "╹╹╹"],
        "d": ["  ╻", "┏━┫", "┗━┛"], "s": ["   ", "┏━━", "━━┛"], " ": ["  ", "  ", "  "], "-": ["   ", "━━━", "   "],
        "?": ["┏━┓", " ┏┛", " ╹ "], "O": ["┏━┓", "┃ ┃", "┗━┛"], "K": ["╻ ╻", "┣┳┛", "╹┗╸"],
    ]
    private static let asciiFont: [Character: [String]] = [
        "0": [" _ ", "| |", "|_|"], "1": ["   ", "  |", "  |"], "2": [" _ ", " _|", "|_ "], "3": [" _ ", " _|", " _|"],
        "4": ["   ", "|_|", "  |"], "5": [" _ ", "|_ ", " _|"], "6": [" _ ", "|_ ", "|_|"], "7": [" _ ", "  |", "  |"],
        "8": [" _ ", "|_|", "|_|"], "9": [" _ ", "|_|", " _|"], "h": ["   ", "|_ ", "| |"], "m": ["   ", "   ", "|||"],
        "d": ["   ", " _|", "|_|"], "s": ["   ", " _ ", " _)"], " ": ["  ", "  ", "  "], "-": ["   ", " _ ", "   "],
        "?": [" _ ", " _)", " . "], "O": [" _ ", "| |", "|_|"], "K": ["   ", "|/ ", "|\\ "],
    ]

    /// The three rows of `text` in the block font; unknown characters are left out.
    static func rows(_ text: String, ascii: Bool) -> [String] {
        let table = ascii ? asciiFont : font
        var rows = ["", "", ""]
        for character in text {
            guard let glyph = table[character] else { continue }
            for row in 0..<3 { rows[row] += glyph[row] + " " }
        }
        return rows
    }

    static func width(_ text: String, ascii: Bool) -> Int { rows(text, ascii: ascii)[0].count }
}
