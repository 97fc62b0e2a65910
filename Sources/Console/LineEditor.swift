import Foundation

/// One line of typed input: confirmation words, acknowledgments, reasons, notes, names.
/// Edits whole characters (a CJK character or an emoji is one), so backspace never leaves
/// half of one behind.
public struct LineEditor: Sendable, Equatable {
    /// What the line asks for, shown before the text.
    public var label: String
    public private(set) var text: String = ""
    /// Characters at most; a confirmation word or a reason fits easily.
    public var limit: Int

    /// What a key did to the line.
    public enum Outcome: Sendable, Equatable {
        case editing
        /// Enter: the text, trimmed of spaces at either end.
        case submitted(String)
        /// Esc: nothing is submitted.
        case cancelled
    }

    public init(label: String, limit: Int = 200) {
        self.label = label
        self.limit = limit
    }

    public mutating func handle(_ key: Key) -> Outcome {
        switch key {
        case .enter: return .submitted(text.trimmingCharacters(in: .whitespaces))
        case .escape: return .cancelled
        case .backspace: if !text.isEmpty { text.removeLast() }
        case .control("u"): text = ""
        case .control("w"):
            // The word before the cursor, and the spaces after it.
            while text.last == " " { text.removeLast() }
            while let last = text.last, last != " " { text.removeLast() }
        case .char(let character) where text.count < limit && !character.isNewline: text.append(character)
        default: break
        }
        return .editing
    }
}

extension LineEditor {
    /// The label, then the text's end with a cursor, on one row of `area`: a long text
    /// scrolls so that what is being typed stays in view.
    func draw(_ frame: inout Frame, _ area: Rect) {
        frame.fill(y: area.y, from: area.x, to: area.x + area.width, style: .plain)
        let x = frame.put(label, x: area.x, y: area.y, style: Style(.accent, bold: true), limit: area.width)
        let room = area.x + area.width - x - 1
        guard room > 0 else { return }
        var shown = Substring(text)
        while TerminalText.cells(String(shown), ascii: frame.ascii).reduce(0, { $0 + $1.width }) > room { shown = shown.dropFirst() }
        let end = frame.put(String(shown), x: x, y: area.y, style: Style(.normal, bold: true), limit: room)
        frame.put("_", x: end, y: area.y, style: Style(.accent, bold: true))
    }
}
