import PairEngine

/// A key, decoded from curses or built by tests.
public enum Key: Sendable, Equatable {
    case char(Character)
    case up, down, left, right, pageUp, pageDown, home, end
    case enter, escape, tab, backTab, backspace
    /// A control key: `.control("u")` is Ctrl-U.
    case control(Character)

    /// The key a typed character code stands for (control codes included); nil for codes
    /// that are no key (an unpaired surrogate, DEL's neighbours in C1).
    static func typed(_ code: Int32) -> Key? {
        switch code {
        case 27: return .escape
        case 9: return .tab
        case 10, 13: return .enter
        case 8, 127: return .backspace
        case 1...26: return .control(Character(Unicode.Scalar(UInt8(code) + 96)))
        case 32...126, 160...: return Unicode.Scalar(UInt32(code)).map { .char(Character($0)) }
        default: return nil
        }
    }
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
    /// The runbook journal as the engine read it.
    case runbooksRead(RunbookDesk.Reading)
    case runbooksFailed(String)
    /// Lines of the task a runbook step waits on, from line `from` (1-based).
    case runbookTaskLogLoaded(upid: String, from: Int, lines: [String], active: Bool)
    case runbookTaskLogFailed(upid: String, message: String)
    /// An effect on a runbook ended, with what it said (`done`, `waiting at step 2: …`).
    case runbookAnswered(kind: String, message: String)
    /// SIGINT, SIGTERM or SIGHUP.
    case terminate
}

/// Names an effect that runs for a while, so the screen that started it can cancel it and
/// a second start of the same work is not begun beside the first.
public struct EffectID: Sendable, Hashable {
    public var name: String
    public init(_ name: String) { self.name = name }

    static func runbook(_ kind: String) -> EffectID { EffectID("runbook \(kind)") }
}

/// What the operator asked of a runbook.
public enum RunbookCommand: Sendable, Equatable {
    /// Start or resume the run and take it as far as these typed words, ticket and
    /// overrides allow.
    case advance(kind: String, typed: Set<String>, ticket: String?, overrides: [String: String])
    case skip(kind: String, step: Int, reason: String)
    case assign(kind: String, step: Int, to: String)
    case note(kind: String, step: Int, text: String)
    case abort(kind: String, reason: String)

    /// Does it through the engine and says in one line how it ended.
    func perform(on desk: RunbookDesk) async -> String {
        do {
            switch self {
            case let .advance(kind, typed, ticket, overrides):
                switch try await desk.advance(kind, Decisions(ticket: ticket, typed: typed, overrides: overrides)) {
                case .finished(let run): return "\(kind) \(run.id) done; report: pbsha report \(run.id)"
                case let .waiting(_, step, reason): return "waiting at step \(step): \(reason)"
                case let .refused(_, step, reason): return "refused at step \(step): \(reason)"
                }
            case let .skip(kind, step, reason): _ = try desk.skip(kind, step: step, reason: reason); return "step \(step) skipped"
            case let .assign(kind, step, person): _ = try desk.assign(kind, step: step, to: person); return "step \(step) given to \(person)"
            case let .note(kind, step, text): _ = try desk.note(kind, step: step, text); return "note added to step \(step)"
            case let .abort(kind, reason):
                let run = try desk.abort(kind, reason: reason)
                return "\(kind) \(run.id) aborted: what its done steps changed stays as it is"
            }
        } catch {
            return "cannot: \(error)"
        }
    }

    var kind: String {
        switch self {
        case .advance(let kind, _, _, _), .skip(let kind, _, _), .assign(let kind, _, _), .note(let kind, _, _), .abort(let kind, _): kind
        }
    }
}

/// Side effects `update` asks for; the runtime performs them and answers with messages.
public enum Effect: Sendable, Equatable {
    /// Read the pair; changed snapshot lists only (the engine keeps the others).
    case refresh
    /// Read the pair and every snapshot list (`r`).
    case refreshEverything
    case loadLog(node: NodeRole, upid: String, from: Int)
    /// Read the runbook journal (every second, so a second console follows a run).
    case readRunbooks
    case runbook(EffectID, RunbookCommand)
    /// Read the log of the task a runbook step waits on, from line `from` (1-based).
    case loadRunbookTaskLog(TaskRef, from: Int)
    /// Stop an effect this console started (one that is not running is no error).
    case cancel(EffectID)
    case quit
}
