@testable import Console
import Testing

@Suite struct LayoutTests {
    @Test func fixedAndPercentagePartsComeFirstAndFillsShareTheRest() {
        let area = Rect(x: 0, y: 1, width: 80, height: 22)
        let rows = Layout.rows(area, [.fixed(1), .percent(50), .fill, .fixed(1)])
        #expect(rows.map(\.height) == [1, 11, 9, 1])
        #expect(rows.map(\.y) == [1, 2, 13, 22])
        #expect(rows.allSatisfy { $0.width == 80 && $0.x == 0 })
        let columns = Layout.columns(Rect(x: 2, y: 0, width: 11, height: 3), [.fill, .fixed(3), .fill])
        #expect(columns.map(\.width) == [4, 3, 4])
        #expect(columns.map(\.x) == [2, 6, 9])
    }

    @Test func oddCellsGoToTheFirstFills() {
        #expect(Layout.sizes(10, [.fill, .fill, .fill]) == [4, 3, 3])
    }

    /// Too small a whole: earlier parts keep their size, later ones shrink to nothing, and
    /// the parts never add up to more than the whole.
    @Test(arguments: [0, 1, 5, 17, 80, 200])
    func partsNeverOverflow(total: Int) {
        let constraints: [Constraint] = [.fixed(10), .percent(30), .fill, .fixed(7), .percent(200), .fixed(-3)]
        let sizes = Layout.sizes(total, constraints)
        #expect(sizes.reduce(0, +) <= total)
        #expect(sizes.allSatisfy { $0 >= 0 })
        #expect(sizes[0] == min(10, total))
    }
}

@Suite struct LineEditorTests {
    @Test func typesWholeCharactersAndErasesThem() {
        var editor = LineEditor(label: "type FAILOVER: ")
        for character in "Grüße 東京 👩‍👩‍👧" { #expect(editor.handle(.char(character)) == .editing) }
        #expect(editor.text == "Grüße 東京 👩‍👩‍👧")
        _ = editor.handle(.backspace)
        #expect(editor.text == "Grüße 東京 ", "the family emoji is one character and goes at once")
        _ = editor.handle(.backspace)
        _ = editor.handle(.backspace)
        #expect(editor.text == "Grüße 東")
        _ = editor.handle(.control("w"))
        #expect(editor.text == "Grüße ")
        _ = editor.handle(.control("u"))
        #expect(editor.text.isEmpty)
        _ = editor.handle(.backspace)
        #expect(editor.text.isEmpty)
    }

    @Test func enterSubmitsTrimmedAndEscCancels() {
        var editor = LineEditor(label: "> ")
        for character in "  FAILOVER " { _ = editor.handle(.char(character)) }
        #expect(editor.handle(.enter) == .submitted("FAILOVER"))
        #expect(editor.handle(.escape) == .cancelled)
    }

    @Test func theLimitHolds() {
        var editor = LineEditor(label: "> ", limit: 3)
        for character in "abcdef" { _ = editor.handle(.char(character)) }
        #expect(editor.text == "abc")
    }

    /// A long text scrolls: its end and the cursor stay in view, the label stays put.
    @Test func aLongLineShowsItsEnd() {
        var editor = LineEditor(label: "note: ")
        for character in String(repeating: "x", count: 30) + "END" { _ = editor.handle(.char(character)) }
        var frame = Frame(width: 20, height: 1)
        editor.draw(&frame, Rect(x: 0, y: 0, width: 20, height: 1))
        #expect(frame.lines[0] == "note: xxxxxxxxxxEND_")
    }

    @Test func controlCodesBecomeKeys() {
        #expect(Key.typed(21) == .control("u"))
        #expect(Key.typed(13) == .enter && Key.typed(127) == .backspace && Key.typed(27) == .escape)
        #expect(Key.typed(0x6771) == .char("東"))
        #expect(Key.typed(0xD800) == nil, "a lone surrogate is no key")
        #expect(Key.typed(0x85) == nil, "C1 controls are no key")
    }
}
