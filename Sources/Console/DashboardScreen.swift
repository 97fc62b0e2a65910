/// The dashboard's own state: which panel has the focus, how far the findings scrolled.
public struct DashboardState: Sendable {
    /// Panel with the focus (Tab cycles): 0 primary, 1 secondary, 2 sync, 3 findings.
    public var focus = 0
    public var findingsTop = 0

    public init() {}
}

/// The dashboard's update: panels, findings scroll, Enter on the sync panel opens its logs.
enum DashboardScreen {
    static func key(_ state: inout ConsoleState, _ key: Key) -> [Effect] {
        let findings = state.report?.findings.count ?? 0
        switch key {
        case .tab: state.dashboard.focus = (state.dashboard.focus + 1) % 4
        case .backTab: state.dashboard.focus = (state.dashboard.focus + 3) % 4
        case .down, .char("j"): state.dashboard.findingsTop = min(max(0, findings - 1), state.dashboard.findingsTop + 1)
        case .up, .char("k"): state.dashboard.findingsTop = max(0, state.dashboard.findingsTop - 1)
        case .enter where state.dashboard.focus == 2:
            state.screen = .logs
        case .escape: break
        default: Update.flash(&state, "no action on this key here; ? lists the keys")
        }
        return []
    }
}
