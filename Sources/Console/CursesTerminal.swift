import CNCurses
import Foundation

/// What the console loop needs of a terminal; `CursesTerminal` is the real one, tests use
/// their own.
protocol TerminalBackend: AnyObject {
    var size: (width: Int, height: Int) { get }
    /// Set when $TERM was unknown and a fallback was used.
    var notice: String? { get }
    /// Paints what differs from the last frame.
    func paint(_ frame: Frame)
    /// Forgets what is on screen (after a resize), so the next paint is whole.
    func forget()
    /// Sleeps until input, a wake-up or `milliseconds` pass, then returns the input read.
    func wait(milliseconds: Int) -> [TerminalEvent]
    /// Ends `wait` early; safe to call from any thread.
    var waker: @Sendable () -> Void { get }
    func stop()
}

/// The only place curses is called: start with a TERM fallback, paint changed cells, read keys.
/// All calls happen on one thread (the console loop's).
final class CursesTerminal: TerminalBackend {
    let color: Bool
    /// Set when $TERM was unknown and a fallback was used.
    let notice: String?
    private var painted: Frame?

    /// Tries $TERM, then xterm-256color, xterm, vt100. nil if none has a terminfo entry.
    init?(environment: [String: String]) {
        let requested = environment["TERM"] ?? ""
        var chosen: String?
        for candidate in [requested, "xterm-256color", "xterm", "vt100"] where !candidate.isEmpty {
            if pbsha_curses_start(candidate) == 0 {
                chosen = candidate
                break
            }
        }
        guard let chosen else { return nil }
        notice = chosen == requested ? nil : "TERM=\(requested.isEmpty ? "(unset)" : requested) unknown here; using \(chosen)"
        let noColor = !(environment["NO_COLOR"] ?? "").isEmpty
        color = !noColor && pbsha_curses_has_colors() != 0
    }

    var size: (width: Int, height: Int) { (Int(pbsha_curses_cols()), Int(pbsha_curses_rows())) }

    /// Paints what differs from the last frame (everything after a resize).
    func paint(_ frame: Frame) {
        if painted.map({ $0.width != frame.width || $0.height != frame.height }) ?? true { pbsha_curses_clear() }
        for position in frame.changes(since: painted) {
            // Curses scrolls if the bottom-right cell is written with a newline-capable call; skip it.
            if position.x == frame.width - 1 && position.y == frame.height - 1 { continue }
            let cell = frame[position.x, position.y]
            // The wide character to its left covers a trailer cell.
            if cell.trailer { continue }
            let attributes = Palette.attributes(for: cell.style, color: color)
            // The base and its combining marks (TerminalText keeps at most five scalars, ncurses' limit).
            var scalars = cell.character.unicodeScalars.prefix(5).map { wchar_t(bitPattern: $0.value) }
            scalars.append(0)
            pbsha_curses_put(Int32(position.y), Int32(position.x), scalars, attributes.bits, attributes.pair)
        }
        pbsha_curses_refresh()
        painted = frame
    }

    func forget() { painted = nil }

    func wait(milliseconds: Int) -> [TerminalEvent] {
        // A resize arrives as a key from getch, so look even without input on stdin.
        _ = pbsha_wait(Int32(clamping: milliseconds))
        var events: [TerminalEvent] = []
        while events.count < 64, let event = read() { events.append(event) }
        return events
    }

    let waker: @Sendable () -> Void = { pbsha_wake() }

    /// The next key or resize already waiting; nil when there is none.
    private func read() -> TerminalEvent? {
        var function: Int32 = 0
        let code = pbsha_curses_getch(0, &function)
        if code == -1 { return nil }
        if function != 0 {
            switch code {
            case pbsha_key_resize(): return .resize
            case pbsha_key_enter(): return .key(.enter)
            case pbsha_key_backspace(): return .key(.backspace)
            case pbsha_key_up(): return .key(.up)
            case pbsha_key_down(): return .key(.down)
            case pbsha_key_left(): return .key(.left)
            case pbsha_key_right(): return .key(.right)
            case pbsha_key_npage(): return .key(.pageDown)
            case pbsha_key_ppage(): return .key(.pageUp)
            case pbsha_key_home(): return .key(.home)
            case pbsha_key_end(): return .key(.end)
            case pbsha_key_btab(): return .key(.backTab)
            default: return .ignored
            }
        }
        return Key.typed(code).map { .key($0) } ?? .ignored
    }

    func stop() { pbsha_curses_stop() }
}

enum TerminalEvent {
    case key(Key)
    case resize
    case ignored
}
