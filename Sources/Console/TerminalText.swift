import CNCurses
import Foundation

/// Text from nodes (task logs, error messages, names) made safe and measured before it
/// reaches a `Frame`. A log line can hold anything: escape sequences that would retitle the
/// terminal (OSC 0), write the clipboard (OSC 52) or clear the screen; a BEL; tabs; wide
/// CJK and emoji characters; combining marks. Painted raw, each of these either acts on the
/// operator's terminal or occupies a different number of cells than the frame assumed, so
/// the text after it lands in the wrong place.
enum TerminalText {
    /// The display cells for `text`: each a printable character and the columns it takes
    /// (1 or 2). Control characters become their inert caret form (`^[` for ESC, `^G` for
    /// BEL, `^?` for DEL; a C1 control as the ESC sequence it stands for, `^[[` for CSI);
    /// tabs become spaces to the next multiple of eight; a grapheme keeps its combining marks
    /// (up to four) and drops further visible scalars (the parts of an emoji ZWJ sequence,
    /// which terminals disagree on); an unprintable or formatting scalar becomes U+FFFD.
    /// With `ascii`, anything else outside ASCII becomes `?`.
    static func cells(_ text: String, ascii: Bool = false) -> [(character: Character, width: Int)] {
        // Printable ASCII (most of every frame, drawn again each second): a cell per byte.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            return text.utf8.map { (Character(Unicode.Scalar($0)), 1) }
        }
        // With box drawing and block elements (frames, bars, the big figures): each such
        // scalar is a grapheme of its own, one column wide.
        if !ascii, text.unicodeScalars.allSatisfy({ (0x20..<0x7F).contains($0.value) || lineDrawing.contains($0.value) }) {
            return text.unicodeScalars.map { (Character($0), 1) }
        }
        return graphemeCells(text, ascii: ascii)
    }

    /// Box drawing and block elements (U+2500 to U+259F).
    private static let lineDrawing: Range<UInt32> = 0x2500..<0x25A0

    /// `cells` one grapheme at a time: for any text.
    static func graphemeCells(_ text: String, ascii: Bool) -> [(character: Character, width: Int)] {
        var result: [(character: Character, width: Int)] = []
        var column = 0
        func add(_ character: Character, _ width: Int) {
            result.append((character, width))
            column += width
        }
        for grapheme in text {
            let scalars = Array(grapheme.unicodeScalars)
            if grapheme == "\t" {
                repeat { add(" ", 1) } while column % 8 != 0
            } else if scalars.contains(where: isControl) {
                for scalar in scalars { for character in caret(scalar) { add(character, 1) } }
            } else if ascii {
                add(grapheme.isASCII ? grapheme : "?", 1)
            } else {
                let (character, width) = displayed(scalars)
                add(character, width)
            }
        }
        return result
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// `^[` for ESC, `^?` for DEL, and a C1 control as its two-character ESC form.
    private static func caret(_ scalar: Unicode.Scalar) -> String {
        switch scalar.value {
        case 0x7F: return "^?"
        case 0x80...0x9F: return "^[" + String(UnicodeScalar(UInt8(scalar.value - 0x40)))
        case ..<0x20: return "^" + String(UnicodeScalar(UInt8(scalar.value + 0x40)))
        default: return String(scalar)
        }
    }

    /// A grapheme as it is painted, and its width.
    private static func displayed(_ scalars: [Unicode.Scalar]) -> (Character, Int) {
        guard let base = scalars.first else { return (" ", 1) }
        if base.properties.generalCategory == .format { return ("\u{FFFD}", 1) }
        let width = columns(base)
        if width < 0 { return ("\u{FFFD}", 1) }
        var kept = String.UnicodeScalarView()
        // A lone combining mark is shown on a dotted circle, as fonts do.
        if width == 0 { kept.append("\u{25CC}") }
        kept.append(base)
        for scalar in scalars.dropFirst() {
            guard columns(scalar) == 0, scalar.properties.generalCategory != .format, kept.count < 5 else { break }
            kept.append(scalar)
        }
        return (Character(String(kept)), max(1, width))
    }

    /// The cells a scalar takes, by the C library's `wcwidth` in a UTF-8 locale (the one
    /// ncurses measures with), whatever the process's own locale is.
    static func columns(_ scalar: Unicode.Scalar) -> Int {
        if (0x20..<0x7F).contains(scalar.value) { return 1 }
        return Int(pbsha_wcwidth_utf8(Int32(bitPattern: scalar.value)))
    }
}
