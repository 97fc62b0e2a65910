/// The wallboard's update: it starts nothing, so quit and help are its only keys.
enum WallboardScreen {
    /// The wallboard starts nothing: quit and help only, every other key is refused out loud.
    static func key(_ state: inout ConsoleState, _ key: Key) -> [Effect] {
        switch key {
        case .char("q"):
            state.quitRequested = true
            return [.quit]
        case .char("?"):
            state.screen = .help
            return []
        case .escape where state.screen == .help:
            state.screen = .dashboard
            return []
        default:
            Update.flash(&state, "read-only wallboard: only q (quit) and ? (help) work here")
            return []
        }
    }
}
