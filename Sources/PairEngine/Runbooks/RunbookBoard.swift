/// A runbook and its run made ready to show: the words and numbers the console's runbook
/// screen, every screen's header and the wallboard print, folded from the journal (so a
/// second console shows exactly what the first does).
public struct RunbookBoard: Sendable, Equatable {
    public var kind: String
    public var title: String
    /// The run shown: the active one, else the newest of this kind; nil before the first.
    public var runID: String?
    /// `not started`, `active`, `done` or `aborted`.
    public var state: String
    public var drill: String?
    public var rows: [Row]
    /// The step the detail shows: the first not done or skipped, else the last.
    public var current: Int
    public var detail: Detail
    public var prompt: Prompt
    /// Steps done or skipped, elapsed and the sum of estimates, for the header.
    public var progress: Progress

    /// One line of the checklist.
    public struct Row: Sendable, Equatable {
        public var number: Int
        public var title: String
        public var owner: String
        public var assignee: String
        public var estimate: String
        public var started: String
        public var done: String
        public var elapsed: String
        /// A word that says it all without colour: `pending`, `running`, `waiting`, `done`,
        /// `failed`, `skipped`, `refused`; `LATE` is appended past the estimate.
        public var status: String
        public var late: Bool
    }

    /// What the current step has to say.
    public struct Detail: Sendable, Equatable {
        public var hardChecks: [Check] = []
        public var softChecks: [Check] = []
        /// `target: change`, each followed by its diff lines.
        public var changes: [Change] = []
        /// `2 targets: pve1, pve2` when the step changes anything.
        public var blastRadius: String?
        public var guidance: [String] = []
        public var writes: [String] = []
        public var notes: [String] = []
        public var message: String?
        /// What the step waits for when that is not a word to type, in full (commands to
        /// run by hand are several lines).
        public var waitingFor: String?
        /// The newest long task the step started: its log follows in the detail pane.
        public var task: TaskRef?
    }

    public struct Check: Sendable, Equatable {
        public var name: String
        /// `ok`, `FAILED`, `acknowledged`, `overridden`.
        public var result: String
        public var passed: Bool
        public var message: String
    }

    public struct Change: Sendable, Equatable {
        public var line: String
        public var result: String?
        public var diff: [String]
    }

    /// What the operator can do now at the current step.
    public enum Prompt: Sendable, Equatable {
        /// No run is active: Enter starts one.
        case start
        /// The step has not run yet, or stopped and may run again: Enter runs it.
        case run
        /// Enter confirms the planned changes (or that a manual item is done).
        case enter(String)
        /// The word must be typed in full.
        case word(String, String)
        /// Soft gates that failed, each acknowledged by typing ACK.
        case acknowledge([String])
        /// The primary's recovery ticket reference must be typed.
        case ticket
        /// A hard gate refused: why, and whether a typed reason may pass over it.
        case refused(gate: String, message: String, overridable: Bool)
        /// Waiting on something the operator does elsewhere; Enter checks again.
        case waiting(String)
        /// Some process is running the step.
        case running
        case finished
    }

    /// The run's place in its runbook, for every screen's header.
    public struct Progress: Sendable, Equatable {
        public var step: Int
        public var steps: Int
        public var elapsed: String
        public var estimate: String
        public var late: Bool

        /// `FAILOVER step 2 of 5  12m of 17m` (with `LATE` past the estimate).
        public func line(_ kind: String) -> String {
            "\(kind.uppercased()) step \(step) of \(steps)  \(elapsed) of \(estimate)\(late ? " LATE" : "")"
        }
    }
}

extension RunbookBoard {
    /// The board of `runbook` with `run` (nil: none yet), at `now` (seconds since the epoch).
    public init(_ runbook: Runbook, run: RunState?, now: Int64) {
        kind = runbook.kind
        title = runbook.title
        runID = run?.id
        state = run.map { $0.state.rawValue } ?? "not started"
        drill = run?.drill
        let states = runbook.steps.indices.map { index in run?.steps.first { $0.number == index + 1 } }
        rows = runbook.steps.enumerated().map { index, step in Self.row(index + 1, step, states[index], now: now) }
        let open = states.firstIndex { $0?.status != .done && $0?.status != .skipped }
        current = (open ?? runbook.steps.count - 1) + 1
        let step = runbook.steps[current - 1]
        let stepState = states[current - 1]
        detail = Self.detail(step, stepState)
        prompt = Self.prompt(step, stepState, run: run)
        // A prompt that asks for a word or an acknowledgment says it; what else a step
        // waits for (commands to run by hand) needs the room of the detail.
        if case .waiting = prompt {} else { detail.waitingFor = nil }
        if case .refused = prompt {
            rows[current - 1].status = rows[current - 1].late ? "refused LATE" : "refused"
        }
        let estimates = runbook.steps.compactMap(\.estimateSeconds).reduce(0, +)
        let elapsed = run.map { ($0.finished ?? now) - $0.started } ?? 0
        let finishedSteps = states.filter { $0?.status == .done || $0?.status == .skipped }.count
        progress = Progress(step: min(runbook.steps.count, finishedSteps + (run?.state == .active ? 1 : 0)), steps: runbook.steps.count,
                            elapsed: Durations.format(Int(clamping: max(0, elapsed))), estimate: Durations.format(estimates),
                            late: elapsed > Int64(estimates) && run?.state == .active)
    }

    private static func row(_ number: Int, _ step: Runbook.Step, _ state: RunState.StepState?, now: Int64) -> Row {
        let elapsed = state?.elapsed(now: now)
        let late = state?.status != .skipped && elapsed.map { $0 > Int64(step.estimateSeconds ?? .max) } ?? false
        let word: String
        switch state?.status ?? .pending {
        case .pending: word = "pending"
        case .active: word = "running"
        case .waiting: word = "waiting"
        case .done: word = "done"
        case .failed: word = "failed"
        case .skipped: word = "skipped"
        }
        return Row(number: number, title: step.title, owner: step.owner, assignee: state?.assignee ?? "-",
                   estimate: step.estimateSeconds.map(Durations.format) ?? "async",
                   started: state?.started.map(clock) ?? "-", done: state?.finished.map(clock) ?? "-",
                   elapsed: elapsed.map { Durations.format(Int(clamping: $0)) } ?? "-",
                   status: late ? "\(word) LATE" : word, late: late)
    }

    /// `07:52` in UTC, as the journal's times are.
    private static func clock(_ time: Int64) -> String { String(Timestamps.rfc3339(time).dropFirst(11).prefix(5)) }

    private static func detail(_ step: Runbook.Step, _ state: RunState.StepState?) -> Detail {
        var detail = Detail()
        detail.guidance = step.guidance.split(separator: "\n").map(String.init)
        guard let state else { return detail }
        for check in state.checks {
            let overridden = state.overrides.contains { $0.hasPrefix("\(check.name): ") }
            let acknowledged = state.acknowledged.contains(check.name)
            let result = check.passed ? "ok" : overridden ? "overridden" : acknowledged ? "acknowledged" : "FAILED"
            let line = Check(name: check.name, result: result, passed: check.passed, message: check.message)
            if check.hard { detail.hardChecks.append(line) } else { detail.softChecks.append(line) }
        }
        detail.changes = state.planned.map { change in
            let result = state.applied.last { $0.target == change.target && $0.change == change.change }?.result
            return Change(line: "\(change.target): \(change.change)", result: result,
                          diff: (change.detail["diff"] ?? "").split(separator: "\n").map(String.init))
        }
        let targets = Set(state.planned.map(\.target)).sorted()
        if !targets.isEmpty {
            detail.blastRadius = "\(targets.count) target\(targets.count == 1 ? "" : "s"): \(targets.joined(separator: ", "))"
        }
        detail.writes = state.writes
        detail.task = state.tasks.last
        detail.notes = state.notes
        detail.message = state.skippedReason.map { "skipped: \($0)" } ?? state.message
        detail.waitingFor = state.status == .waiting ? state.waitingFor : nil
        return detail
    }

    /// The hard gate that stops the step, unless passed over.
    private static func refusal(_ step: Runbook.Step, _ state: RunState.StepState) -> RunState.Check? {
        state.checks.first { check in
            check.hard && !check.passed && !check.name.hasPrefix("verify: ") && !state.overrides.contains { $0.hasPrefix("\(check.name): ") }
        }
    }

    private static func prompt(_ step: Runbook.Step, _ state: RunState.StepState?, run: RunState?) -> Prompt {
        guard let run, run.state == .active else { return run?.state == .done ? .finished : .start }
        guard let state, state.started != nil else { return .run }
        if state.status == .done || state.status == .skipped { return .finished }
        if let refused = refusal(step, state), state.status != .waiting {
            return .refused(gate: refused.name, message: refused.message, overridable: step.overridable.contains(refused.name))
        }
        switch state.status {
        case .active: return .running
        case .failed: return .run
        case .waiting:
            let reason = state.waitingFor ?? ""
            if reason.hasPrefix("acknowledge: ") {
                return .acknowledge(state.checks.filter { !$0.hard && !$0.passed && !state.acknowledged.contains($0.name) }.map(\.name))
            }
            if step.action == "recovery-ticket" && reason.contains("ticket") { return .ticket }
            if state.confirmed.isEmpty {
                switch step.confirmation {
                case .word(let word) where reason.hasSuffix("type \(word)"): return .word(word, reason)
                case .enter where reason.contains("Enter in the console"): return .enter(reason)
                default: break
                }
            }
            return .waiting(reason)
        default: return .run
        }
    }
}
