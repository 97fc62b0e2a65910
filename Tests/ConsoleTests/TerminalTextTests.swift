@testable import Console
import Foundation
import PairEngine
import TestSupport
import Testing

/// Node text is made inert and measured before it reaches a frame.
@Suite struct TerminalTextTests {
    private func shown(_ text: String, ascii: Bool = false) -> String {
        String(TerminalText.cells(text, ascii: ascii).map(\.character))
    }

    @Test func controlCharactersAndEscapeSequencesAreShownInert() {
        #expect(shown("\u{1B}]0;pwned\u{07}") == "^[]0;pwned^G")
        #expect(shown("\u{1B}]52;c;SGVsbG8=\u{07}") == "^[]52;c;SGVsbG8=^G")
        #expect(shown("\u{1B}[2J\u{1B}[H") == "^[[2J^[[H")
        #expect(shown("a\u{7F}b\u{9B}31m\u{0}") == "a^?b^[[31m^@")
        #expect(shown("line\r\nnext") == "line^M^Jnext")
        #expect(TerminalText.cells("\u{1B}").allSatisfy { $0.width == 1 })
    }

    /// Frames, bars and the big figures take a shortcut that must measure as the general way does.
    @Test(arguments: [1, 2, 3] as [UInt64]) func lineDrawingTakesTheShortcutWithTheSameCells(seed: UInt64) {
        var random = SeededRandom(seed)
        let alphabet = Array("ab 9:-_|") + (0x2500..<0x25A0).map { Character(Unicode.Scalar($0)!) }
        for _ in 0..<200 {
            let text = String((0...random.below(30)).map { _ in alphabet[random.below(alphabet.count)] })
            let quick = TerminalText.cells(text), general = TerminalText.graphemeCells(text, ascii: false)
            #expect(quick.map(\.character) == general.map(\.character) && quick.map(\.width) == general.map(\.width), "\(text)")
        }
        #expect(TerminalText.cells("━┃█", ascii: true).map(\.character) == ["?", "?", "?"])
        // A combining mark after a line: the general way keeps it with its base.
        #expect(TerminalText.cells("━\u{301}x").count == 2)
    }

    @Test func tabsExpandToTheNextStopOfEight() {
        #expect(shown("a\tb") == "a       b")
        #expect(shown("12345678\tx") == "12345678        x")
        #expect(TerminalText.cells("\t").count == 8)
    }

    @Test func wideCharactersTakeTwoCellsAndCombiningMarksStayWithTheirBase() {
        #expect(TerminalText.cells("日本").map(\.width) == [2, 2])
        #expect(TerminalText.cells("🚀").map(\.width) == [2])
        let accented = TerminalText.cells("e\u{301}x")
        #expect(accented.map(\.width) == [1, 1])
        #expect(accented[0].character == "e\u{301}")
        #expect(TerminalText.cells("\u{301}")[0].character == "\u{25CC}\u{301}", "a lone mark sits on a dotted circle")
        // A ZWJ family: terminals draw it as one to three glyphs; only the first is kept.
        let family = TerminalText.cells("👨\u{200D}👩\u{200D}👧")
        #expect(family.count == 1 && family[0].width == 2 && family[0].character == "👨")
        #expect(shown("a\u{202E}b") == "a\u{FFFD}b", "a bidi override is not passed on")
    }

    @Test func asciiModeShowsQuestionMarksOutsideASCII() {
        #expect(shown("naïve 日本 🚀", ascii: true) == "na?ve ?? ?")
        #expect(TerminalText.cells("日本", ascii: true).map(\.width) == [1, 1])
    }

    @Test func aWideCharacterIsNeverHalfOverwritten() {
        var frame = Frame(width: 6, height: 1)
        frame.put("日本語", x: 0, y: 0)
        #expect(frame.lines[0] == "日本語")
        frame.put("x", x: 1, y: 0)
        #expect(frame.lines[0] == " x本語", "the left half of 日 went with its right half")
        frame.put("y", x: 2, y: 0)
        #expect(frame.lines[0] == " xy 語")
        // One that would be cut at the edge is left out.
        var edge = Frame(width: 3, height: 1)
        #expect(edge.put("ab日", x: 0, y: 0) == 2)
        #expect(edge.lines[0] == "ab ")
    }
}

/// A task log written to hurt: at 80x24 it renders exactly as reviewed, inert and aligned.
@Suite struct HostileLogTests {
    static let lines = [
        "2026-11-27T06:00:00+00:00: Starting datastore sync job 'primary-hub:main:mirror::primary-mirror'",
        "2026-11-27T06:00:01+00:00: \u{1B}]0;you have been pwned\u{07}title set",
        "2026-11-27T06:00:01+00:00: \u{1B}]52;c;cm0gLXJmIH4=\u{07}clipboard written",
        "2026-11-27T06:00:02+00:00: \u{1B}[2J\u{1B}[Hscreen cleared\u{07}\u{07}",
        "2026-11-27T06:00:02+00:00: col1\tcol2\tcol3",
        "2026-11-27T06:00:03+00:00: 日本語のログ行 (CJK) after",
        "2026-11-27T06:00:03+00:00: ✅ done 🚀 launch 👨\u{200D}👩\u{200D}👧 family",
        "2026-11-27T06:00:04+00:00: café naïve e\u{301}\u{301} combining",
        "2026-11-27T06:00:04+00:00: \u{9B}31mred via C1\u{1B}[0m and \u{202E}reversed",
        "2026-11-27T06:00:05+00:00: TASK OK",
    ]

    @Test func theHostileLogMatchesTheGoldenAt80x24() throws {
        var state = ConsoleFixture.state()
        _ = Update.apply(&state, .key(.char("l")))
        _ = Update.apply(&state, .key(.enter))
        let upid = try #require(state.logs.viewer?.task.upid)
        _ = Update.apply(&state, .logLoaded(upid: upid, from: 1, lines: Self.lines, active: false))
        let frame = Render.frame(state)
        let url = try #require(Bundle.module.url(forResource: "hostile-log-80x24", withExtension: "txt", subdirectory: "Golden"))
        let golden = try String(contentsOf: url, encoding: .utf8)
        #expect(frame.text == golden.trimmingCharacters(in: .newlines), "\nGOLDEN-BEGIN\n\(frame.text)\nGOLDEN-END")
        #expect(!frame.text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" || (0x7F...0x9F).contains($0.value) })
        // Every row takes exactly 80 cells.
        for row in 0..<frame.height {
            #expect((0..<frame.width).filter { !frame[$0, row].trailer }.map { frame[$0, row].wide ? 2 : 1 }.reduce(0, +) == 80)
        }
    }
}
