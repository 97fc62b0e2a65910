/// The help screen's update: it lists the keys of the screen it was opened from, and Esc
/// returns there.
enum HelpScreen {
    static func open(_ state: inout ConsoleState) {
        if state.screen != .help { state.previous = state.screen }
        state.screen = .help
    }

    static func key(_ state: inout ConsoleState, _ key: Key) -> [Effect] {
        if key == .escape { state.screen = state.previous }
        return []
    }
}
