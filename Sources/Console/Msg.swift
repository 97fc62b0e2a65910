import PairEngine
import ProxmoxAPI

/// A key, decoded from curses or built by tests.
public enum Key: Sendable, Equatable {
    case char(Character)
    case up, down, left, right, pageUp, pageDown, home, end
    case enter, escape, tab, backTab, backspace
}

/// Everything that can happen to the console.
public enum Msg: Sendable {
    case key(Key)
    /// The clock moved (the loop ticks several times a second).
    case tick(Double)
    case resize(width: Int, height: Int)
    /// A refresh finished.
    case observed(PairState, HealthReport)
    /// Lines of a task log starting at line `from` (1-based); `active` while the task runs.
    case logLoaded(upid: String, from: Int, lines: [String], active: Bool)
    case logFailed(upid: String, message: String)
    /// SIGINT, SIGTERM or SIGHUP.
    case terminate
}

/// Side effects `update` asks for; the runtime performs them and answers with messages.
public enum Effect: Sendable, Equatable {
    /// Read the pair; changed snapshot lists only (the engine keeps the others).
    case refresh
    /// Read the pair and every snapshot list (`r`).
    case refreshEverything
    case loadLog(node: NodeRole, upid: String, from: Int)
    case quit
}
