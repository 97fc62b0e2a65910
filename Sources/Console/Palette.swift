/// How a style reaches the terminal: colour pairs when allowed, attributes only with
/// NO_COLOR or a terminal without colours. Every status is also a word on screen.
public enum Palette {
    public struct Attributes: Equatable, Sendable {
        public var bold = false
        public var reverse = false
        public var underline = false
        public var dim = false
        /// Curses colour pair, 0 = the terminal's default colours.
        public var pair: Int32 = 0

        /// The shim's bit set: 1 bold, 2 reverse, 4 underline, 8 dim.
        var bits: Int32 { (bold ? 1 : 0) | (reverse ? 2 : 0) | (underline ? 4 : 0) | (dim ? 8 : 0) }
    }

    public static func attributes(for style: Style, color: Bool) -> Attributes {
        var result = Attributes(bold: style.bold, reverse: style.reverse)
        if color {
            switch style.tone {
            case .ok: result.pair = 1
            case .warning: result.pair = 2
            case .critical: result.pair = 3
            case .unknown: result.pair = 4
            case .accent: result.pair = 5
            case .title: result.bold = true
            case .dim: result.dim = true
            case .normal: break
            }
        } else {
            switch style.tone {
            case .warning: result.bold = true
            case .critical:
                result.bold = true
                result.reverse.toggle()
            case .unknown, .accent: result.underline = true
            case .title: result.bold = true
            case .dim: result.dim = true
            case .ok, .normal: break
            }
        }
        return result
    }
}
