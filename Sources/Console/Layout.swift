/// A rectangle of cells on the frame.
public struct Rect: Sendable, Equatable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    /// The rectangle less `margin` cells on every side.
    public func inset(_ margin: Int) -> Rect {
        Rect(x: x + margin, y: y + margin, width: width - 2 * margin, height: height - 2 * margin)
    }
}

/// How much of a split one part takes.
public enum Constraint: Sendable, Equatable {
    /// Exactly this many cells (less when the whole is too small).
    case fixed(Int)
    /// This share of the whole, rounded down.
    case percent(Int)
    /// What the fixed and percentage parts leave, shared equally by every `fill`.
    case fill
}

/// Splits a rectangle into rows or columns by constraints, in the manner of ratatui's
/// `Layout`: fixed and percentage parts first, in order, each taking at most what is left;
/// the rest shared by the `fill` parts (the first ones get the odd cells).
public enum Layout {
    public static func rows(_ area: Rect, _ constraints: [Constraint]) -> [Rect] {
        sizes(area.height, constraints).reduce(into: (rects: [Rect](), at: area.y)) { result, size in
            result.rects.append(Rect(x: area.x, y: result.at, width: area.width, height: size))
            result.at += size
        }.rects
    }

    public static func columns(_ area: Rect, _ constraints: [Constraint]) -> [Rect] {
        sizes(area.width, constraints).reduce(into: (rects: [Rect](), at: area.x)) { result, size in
            result.rects.append(Rect(x: result.at, y: area.y, width: size, height: area.height))
            result.at += size
        }.rects
    }

    /// The length of each part; they never add up to more than `total`.
    static func sizes(_ total: Int, _ constraints: [Constraint]) -> [Int] {
        var left = max(0, total)
        var sizes = constraints.map { constraint -> Int in
            let wanted: Int
            switch constraint {
            case .fixed(let cells): wanted = max(0, cells)
            case .percent(let share): wanted = max(0, total) * min(100, max(0, share)) / 100
            case .fill: return 0
            }
            let taken = min(wanted, left)
            left -= taken
            return taken
        }
        let fills = constraints.indices.filter { constraints[$0] == .fill }
        for (order, index) in fills.enumerated() {
            sizes[index] = left / fills.count + (order < left % fills.count ? 1 : 0)
        }
        return sizes
    }
}
