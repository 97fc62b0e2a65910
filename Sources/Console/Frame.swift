/// What a cell means; the backend turns it into a colour or, with NO_COLOR, an attribute.
public enum Tone: Sendable, Equatable {
    case normal, ok, warning, critical, unknown, accent, title, dim
}

/// How one cell looks.
public struct Style: Sendable, Equatable {
    public var tone: Tone
    public var bold: Bool
    public var reverse: Bool

    public init(_ tone: Tone = .normal, bold: Bool = false, reverse: Bool = false) {
        self.tone = tone
        self.bold = bold
        self.reverse = reverse
    }

    public static let plain = Style()
}

/// One character cell. A wide character (CJK, most emoji) is a `wide` cell followed by a
/// `trailer` cell that the backend does not paint: the wide character covers it.
public struct Cell: Sendable, Equatable {
    public var character: Character
    public var style: Style
    public var wide = false
    public var trailer = false

    public init(character: Character, style: Style, wide: Bool = false, trailer: Bool = false) {
        self.character = character
        self.style = style
        self.wide = wide
        self.trailer = trailer
    }

    public static let blank = Cell(character: " ", style: .plain)
}

/// A terminal-sized grid of cells: the output of `render`, compared and painted by the backend.
public struct Frame: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Text outside ASCII is drawn as `?` (the locale is not UTF-8).
    public let ascii: Bool
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int, ascii: Bool = false) {
        self.width = max(0, width)
        self.height = max(0, height)
        self.ascii = ascii
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    /// One cell. Writing a cell never leaves half of a wide character behind: the other
    /// half of a wide character it overwrites becomes a space.
    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            release(x, y)
            cells[y * width + x] = newValue
        }
    }

    /// Blanks the other half of a wide character at (x, y) before the cell is reused.
    private mutating func release(_ x: Int, _ y: Int) {
        let cell = cells[y * width + x]
        if cell.trailer, x > 0 { cells[y * width + x - 1] = Cell(character: " ", style: cells[y * width + x - 1].style) }
        if cell.wide, x + 1 < width { cells[y * width + x + 1] = Cell(character: " ", style: cell.style) }
    }

    /// Writes text from (x, y), clipped at `limit` columns (default: the frame's edge), made
    /// safe first (`TerminalText`): control characters inert, tabs expanded, wide characters
    /// taking two cells; one that would be cut at the limit is left out. Returns the end column.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: Style = .plain, limit: Int? = nil) -> Int {
        guard y >= 0, y < height else { return x }
        let end = min(width, x + (limit ?? width))
        var column = x
        for (character, cellWidth) in TerminalText.cells(text, ascii: ascii) {
            guard column + cellWidth <= end else { break }
            if column >= 0 {
                self[column, y] = Cell(character: character, style: style, wide: cellWidth == 2)
                if cellWidth == 2 {
                    release(column + 1, y)
                    cells[y * width + column + 1] = Cell(character: " ", style: style, trailer: true)
                }
            }
            column += cellWidth
        }
        return column
    }

    /// Fills a row segment with one style (e.g. a reverse-video header bar).
    public mutating func fill(y: Int, from x: Int = 0, to end: Int? = nil, style: Style) {
        for column in max(0, x)..<min(width, end ?? width) { self[column, y] = Cell(character: " ", style: style) }
    }

    /// The frame as plain text, one string per row (trailing spaces kept; a wide character
    /// once, as it shows): what tests compare.
    public var lines: [String] {
        (0..<height).map { row in String(cells[(row * width)..<((row + 1) * width)].filter { !$0.trailer }.map(\.character)) }
    }

    public var text: String { lines.joined(separator: "\n") }

    /// Positions whose cell differs from `other` (all, if the sizes differ).
    public func changes(since other: Frame?) -> [(x: Int, y: Int)] {
        guard let other, other.width == width, other.height == height else {
            return (0..<height).flatMap { y in (0..<width).map { (x: $0, y: y) } }
        }
        var result: [(x: Int, y: Int)] = []
        for index in cells.indices where cells[index] != other.cells[index] {
            result.append((x: index % width, y: index / width))
        }
        return result
    }
}

/// Line-drawing characters: Unicode box drawing, or ASCII when the locale is not UTF-8.
public struct Glyphs: Sendable, Equatable {
    public let horizontal, vertical, topLeft, topRight, bottomLeft, bottomRight: Character
    public let barFull, barEmpty, arrow, bullet, refreshing: Character

    public static let unicode = Glyphs(horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└",
                                       bottomRight: "┘", barFull: "█", barEmpty: "░", arrow: "→", bullet: "●", refreshing: "↻")
    public static let ascii = Glyphs(horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+",
                                     bottomRight: "+", barFull: "#", barEmpty: ".", arrow: ">", bullet: "*", refreshing: "~")
}

extension Frame {
    /// Draws a box with a title in its top border.
    mutating func box(x: Int, y: Int, width: Int, height: Int, title: String, glyphs: Glyphs, style: Style = Style(.dim)) {
        guard width >= 2, height >= 2 else { return }
        let right = x + width - 1
        let bottom = y + height - 1
        for column in x...right {
            self[column, y] = Cell(character: glyphs.horizontal, style: style)
            self[column, bottom] = Cell(character: glyphs.horizontal, style: style)
        }
        for row in y...bottom {
            self[x, row] = Cell(character: glyphs.vertical, style: style)
            self[right, row] = Cell(character: glyphs.vertical, style: style)
        }
        self[x, y] = Cell(character: glyphs.topLeft, style: style)
        self[right, y] = Cell(character: glyphs.topRight, style: style)
        self[x, bottom] = Cell(character: glyphs.bottomLeft, style: style)
        self[right, bottom] = Cell(character: glyphs.bottomRight, style: style)
        if !title.isEmpty { put(" \(title) ", x: x + 2, y: y, style: Style(.title, bold: true), limit: width - 4) }
    }

    /// A usage bar: `fraction` of `width` filled.
    mutating func bar(x: Int, y: Int, width: Int, fraction: Double, glyphs: Glyphs, style: Style) {
        let filled = fraction.isNaN ? 0 : Int((max(0, min(1, fraction)) * Double(width)).rounded())
        for column in 0..<width {
            self[x + column, y] = Cell(character: column < filled ? glyphs.barFull : glyphs.barEmpty,
                                       style: column < filled ? style : Style(.dim))
        }
    }
}
