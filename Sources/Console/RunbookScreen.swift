import PairEngine

/// The runbook screen's own state; the runs themselves come from the journal.
public struct RunbookScreenState: Sendable {
    /// The journal as the engine last read it (every second).
    public var reading: RunbookDesk.Reading?
    /// Runbook files that could not be read, by kind.
    public var problems: [String: String] = [:]
    /// Whether a journal can be read (the console was given the engine's runbook desk).
    public var readable = false
    /// Whether this console can act on runbooks (readable, and not the wallboard).
    public var enabled = false
    public var readInFlight = false
    public var lastRead: Double?
    /// Typed input and what it is for.
    public var editor: LineEditor?
    public var purpose: InputPurpose?
    /// Kinds this console is advancing right now.
    public var running: Set<String> = []
    /// First line of the detail pane shown (j/k scroll it).
    public var detailTop = 0
    /// `q` was pressed while this console runs a step: a second `q` quits.
    public var quitArmed = false
    /// The log of the task the shown step started, followed while it runs.
    public var taskLog: TaskLogFollow?

    public init() {}

    /// The followed log of a step's task: the newest lines are shown under the step.
    public struct TaskLogFollow: Sendable {
        public var upid: String
        /// The newest lines, at most `RunbookScreen.taskLogKept`.
        public var lines: [String] = []
        /// Lines read so far: the next page starts after them.
        public var read = 0
        /// The task still runs (or its end was not read yet).
        public var active = true
        public var loading = true
        public var lastPoll: Double
        public var error: String?
    }

    /// What a line being typed on the runbook screen is for.
    public enum InputPurpose: Sendable, Equatable {
        case word(String), resume, acknowledge([String]), ticket, override(String), skip(Int), assign(Int), note(Int), abort
    }
}

/// The runbook screen's update: what each key and each answer does to `RunbookScreenState`.
/// Every action goes through the engine's desk as an effect; the screen shows the journal
/// as the engine reads it back, so two consoles on one journal show the same.
enum RunbookScreen {
    /// Seconds between reads of the journal.
    static let readInterval = 1.0

    /// The journal is read every second on every screen: the header shows an active run's
    /// progress everywhere, the wallboard included.
    static func tick(_ state: inout ConsoleState) -> [Effect] {
        let follow = followTaskLog(&state)
        guard state.runbook.readable, !state.runbook.readInFlight, state.runbook.lastRead.map({ state.now - $0 >= readInterval }) ?? true else { return follow }
        state.runbook.readInFlight = true
        state.runbook.lastRead = state.now
        return [.readRunbooks] + follow
    }

    /// Lines kept of a followed task log (the pane shows the newest few).
    static let taskLogKept = 200

    /// On the runbook screen, the log of the task the current step started is read from
    /// its start, then every second while the task runs.
    private static func followTaskLog(_ state: inout ConsoleState) -> [Effect] {
        guard case .runbook(let kind) = state.screen, let task = state.runbook.reading?.boards[kind]?.detail.task else { return [] }
        guard var log = state.runbook.taskLog, log.upid == task.upid else {
            state.runbook.taskLog = RunbookScreenState.TaskLogFollow(upid: task.upid, lastPoll: state.now)
            return [.loadRunbookTaskLog(task, from: 1)]
        }
        guard log.active, !log.loading, state.now - log.lastPoll >= readInterval else { return [] }
        log.loading = true
        log.lastPoll = state.now
        state.runbook.taskLog = log
        return [.loadRunbookTaskLog(task, from: log.read + 1)]
    }

    static func taskLogLoaded(_ state: inout ConsoleState, upid: String, from: Int, lines: [String], active: Bool) {
        // A page for another task, or one asked for before a restart, is dropped.
        guard var log = state.runbook.taskLog, log.upid == upid, from == log.read + 1 else { return }
        log.lines = Array((log.lines + lines).suffix(taskLogKept))
        log.read += lines.count
        log.active = active
        log.loading = false
        log.error = nil
        state.runbook.taskLog = log
    }

    static func taskLogFailed(_ state: inout ConsoleState, upid: String, message: String) {
        guard state.runbook.taskLog?.upid == upid else { return }
        state.runbook.taskLog?.loading = false
        state.runbook.taskLog?.error = message
    }

    static func read(_ state: inout ConsoleState, _ reading: RunbookDesk.Reading) {
        state.runbook.readInFlight = false
        state.runbook.reading = reading
    }

    static func answered(_ state: inout ConsoleState, kind: String, message: String) -> [Effect] {
        state.runbook.running.remove(kind)
        state.runbook.quitArmed = false
        Update.flash(&state, message)
        // Read at once: the answer and the journal should agree on screen.
        state.runbook.lastRead = nil
        return tick(&state)
    }

    /// `f` or `b` from another screen.
    static func open(_ state: inout ConsoleState, _ kind: String) {
        guard state.runbook.enabled else {
            Update.flash(&state, "no runbooks in this console: run `pbsha \(kind)` in a shell")
            return
        }
        state.screen = .runbook(kind)
        state.runbook.detailTop = 0
    }

    static func key(_ state: inout ConsoleState, kind: String, _ key: Key) -> [Effect] {
        if state.runbook.editor != nil { return typing(&state, kind: kind, key) }
        guard let board = state.runbook.reading?.boards[kind] else {
            if key == .escape { state.screen = .dashboard } else {
                Update.flash(&state, state.runbook.problems[kind] ?? "reading the journal...")
            }
            return []
        }
        switch key {
        case .escape:
            state.screen = .dashboard
        case .enter:
            return enter(&state, board)
        case .down, .char("j"): state.runbook.detailTop += 1
        case .up, .char("k"): state.runbook.detailTop = max(0, state.runbook.detailTop - 1)
        case .char("o"):
            guard case let .refused(gate, _, true) = board.prompt else {
                Update.flash(&state, "o passes over a gate the runbook lets pass (none refuses here)")
                return []
            }
            ask(&state, "reason to pass over \(gate): ", .override(gate))
        case .char("s"), .char("a"), .char("n"), .char("X"):
            guard board.state == "active" else {
                Update.flash(&state, "no active \(kind) run: Enter starts one")
                return []
            }
            let step = board.current
            switch key {
            case .char("s"): ask(&state, "reason to skip step \(step): ", .skip(step))
            case .char("a"): ask(&state, "give step \(step) to: ", .assign(step))
            case .char("n"): ask(&state, "note on step \(step): ", .note(step))
            default: ask(&state, "reason to abort the \(kind) run (nothing on the nodes changes): ", .abort)
            }
        default:
            Update.flash(&state, "no action on this key here; ? lists the keys")
        }
        return []
    }

    /// Enter does what the current step's prompt says.
    private static func enter(_ state: inout ConsoleState, _ board: RunbookBoard) -> [Effect] {
        let kind = board.kind
        if state.runbook.running.contains(kind) {
            Update.flash(&state, "step \(board.current) is running in this console")
            return []
        }
        if let active = state.runbook.reading?.active, active != kind {
            Update.flash(&state, "a \(active) run is active; finish or abort it before a \(kind)")
            return []
        }
        switch board.prompt {
        case .start, .run, .waiting, .refused:
            return advance(&state, kind)
        case .running:
            // Another console or command may be running it; only a person knows it is gone.
            ask(&state, "step \(board.current) shows running elsewhere; if nothing runs it any more, type RESUME: ", .resume)
        case .enter:
            return advance(&state, kind, typed: ["enter"])
        case let .word(word, _):
            ask(&state, "type \(word) to confirm: ", .word(word))
        case .acknowledge(let gates):
            ask(&state, "type ACK to accept \(gates.joined(separator: ", ")): ", .acknowledge(gates))
        case .ticket:
            ask(&state, "the primary's recovery ticket reference: ", .ticket)
        case .finished:
            Update.flash(&state, "the \(kind) run \(board.runID ?? "") is done; pbsha report \(board.runID ?? "") prints it")
        }
        return []
    }

    private static func ask(_ state: inout ConsoleState, _ label: String, _ purpose: RunbookScreenState.InputPurpose) {
        state.runbook.editor = LineEditor(label: label)
        state.runbook.purpose = purpose
    }

    private static func advance(_ state: inout ConsoleState, _ kind: String, typed: Set<String> = [], ticket: String? = nil,
                                overrides: [String: String] = [:]) -> [Effect] {
        state.runbook.running.insert(kind)
        return [.runbook(.runbook(kind), .advance(kind: kind, typed: typed, ticket: ticket, overrides: overrides))]
    }

    private static func typing(_ state: inout ConsoleState, kind: String, _ key: Key) -> [Effect] {
        guard var editor = state.runbook.editor, let purpose = state.runbook.purpose else { return [] }
        let outcome = editor.handle(key)
        state.runbook.editor = editor
        guard outcome != .editing else { return [] }
        state.runbook.editor = nil
        state.runbook.purpose = nil
        guard case .submitted(let text) = outcome else { return [] }
        guard !text.isEmpty else {
            Update.flash(&state, "nothing typed: nothing done")
            return []
        }
        switch purpose {
        case .word(let word):
            guard text == word else {
                Update.flash(&state, "typed '\(text)', not \(word): nothing changed")
                return []
            }
            return advance(&state, kind, typed: [word])
        case .acknowledge(let gates):
            guard text == "ACK" else {
                Update.flash(&state, "typed '\(text)', not ACK: nothing acknowledged")
                return []
            }
            return advance(&state, kind, typed: Set(gates.map { "ACK \($0)" }))
        case .resume:
            guard text == "RESUME" else {
                Update.flash(&state, "typed '\(text)', not RESUME: nothing done")
                return []
            }
            return advance(&state, kind)
        case .ticket: return advance(&state, kind, ticket: text)
        case .override(let gate): return advance(&state, kind, overrides: [gate: text])
        case .skip(let step): return [.runbook(.runbook(kind), .skip(kind: kind, step: step, reason: text))]
        case .assign(let step): return [.runbook(.runbook(kind), .assign(kind: kind, step: step, to: text))]
        case .note(let step): return [.runbook(.runbook(kind), .note(kind: kind, step: step, text: text))]
        case .abort: return [.runbook(.runbook(kind), .abort(kind: kind, reason: text))]
        }
    }

    /// `q` while this console runs a step asks first: the step is cut off where it stands
    /// and resumes from the journal on the next start.
    static func quit(_ state: inout ConsoleState) -> [Effect] {
        guard !state.runbook.running.isEmpty, !state.runbook.quitArmed else {
            state.quitRequested = true
            return state.runbook.running.map { .cancel(.runbook($0)) } + [.quit]
        }
        state.runbook.quitArmed = true
        Update.flash(&state, "a step is running: q again quits (the run resumes on the next start); any other key stays")
        return []
    }
}
