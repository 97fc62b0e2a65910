import Foundation

/// Runs a runbook from its data, one step after another, recording everything in the
/// journal before and after it happens: started, gate results, acknowledgments, the plan,
/// the confirmation, an intent before each external change and its result, verification.
/// A run picks up where its journal stands: changes already applied are not planned again
/// (plans read the servers), and an intent without a result is settled the same way.
public struct StepEngine: Sendable {
    public let runbook: Runbook
    let journal: any EventStore
    let context: RunContext
    let actions: [String: any StepAction]
    /// Who acts (`--operator`), and on which machine.
    public let actor: String
    public let host: String
    /// The scenario when this engine runs a rehearsal: its runs are drill runs (kept apart
    /// from live ones) and are scored when they end.
    public let drill: Scenario?
    /// A run pbsha makes for a drill's story before the operator starts (the failover a
    /// failback drill undoes): journaled as the drill's, never scored nor counted as a rehearsal.
    public let setup: Bool

    public init(runbook: Runbook, journal: any EventStore, context: RunContext, actions: [String: any StepAction], actor: String,
                host: String = ProcessInfo.processInfo.hostName, drill: Scenario? = nil, setup: Bool = false) {
        self.drill = drill
        self.setup = setup
        self.runbook = runbook
        self.journal = journal
        var context = context
        // An unreadable journal stops the run at its first write; here it only means no history.
        // A drill sees only drills, a live run only live runs: a rehearsal's failover is not the
        // one a real failback undoes.
        context.history = ((try? RunState.runs(from: journal.events(run: nil))) ?? []).filter { ($0.drill != nil) == (drill != nil) }
        self.context = context
        self.actions = actions
        self.actor = actor
        self.host = host
    }

    /// Where a run stands after an invocation.
    public enum Outcome: Sendable, Equatable {
        case finished(RunState)
        /// A person must act: a confirmation, an acknowledgment, a ticket, a command run by hand.
        case waiting(RunState, step: Int, reason: String)
        /// A hard gate refused, or the step failed: why, and what would fix it.
        case refused(RunState, step: Int, reason: String)

        public var run: RunState {
            switch self { case .finished(let run), .waiting(let run, _, _), .refused(let run, _, _): run }
        }
    }

    /// Starts a run, or resumes the active one, and takes it as far as it can go.
    public func run(_ decisions: Decisions) async throws(JournalError) -> Outcome {
        var run = try startOrResume()
        for (index, step) in runbook.steps.enumerated() {
            let number = index + 1
            if let state = run.steps.first(where: { $0.number == number }), state.status == .done || state.status == .skipped { continue }
            if let stop = try await execute(step, number: number, run: &run, decisions) { return stop }
        }
        try finish(&run, detail: ["state": "done"])
        return .finished(run)
    }

    /// Ends `run`; a drill's run is scored against its scenario in the same write, so no
    /// crash leaves a finished drill without its scorecard.
    private func finish(_ run: inout RunState, detail: [String: String]) throws(JournalError) {
        let finished = event(.runFinished, run: run.id, detail: detail)
        var events = [finished]
        if let drill, !setup {
            var ended = run
            ended.apply(finished)
            let card = DrillScorecard(drill, run: ended, now: finished.time)
            let json = (try? JSONEncoder().encode(card)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            events.append(event(.drillScored, run: run.id, detail: ["scorecard": json]))
        }
        for written in try journal.append(events, check: nil) { run.apply(written) }
    }

    /// `--dry-run`: every step's gates and plan as the servers stand now; nothing changes and
    /// nothing is journaled. Later steps are planned against today's state, before the
    /// earlier steps' changes.
    public func dryRun() async -> String {
        let now = Int64(context.clock.now())
        let run = RunState(id: "dry-run", runbook: runbook.kind, startedBy: actor, started: now, finished: nil, state: .active, drill: nil, steps: [])
        var lines = ["\(runbook.title) — dry run, nothing changes"]
        for (index, step) in runbook.steps.enumerated() {
            lines += ["", "step \(index + 1)/\(runbook.steps.count): \(step.title) (\(step.owner), \(step.estimateSeconds.map(Durations.format) ?? "async"))"]
            for gate in await GateEvaluator(context: context, runbook: runbook).evaluate(step, number: index + 1, run: run)
            where !(gate.name == "previous-steps-done" || gate.name == "secondary-prepared") {
                lines.append("  \(gate.passed ? "ok" : gate.hard ? "REFUSES" : "needs acknowledgment") \(gate.name): \(gate.message)")
            }
            do {
                for change in try await actions[step.action]?.plan(context, run, Decisions()) ?? [] {
                    lines.append("  will: \(change.target): \(change.change)")
                    if let diff = change.diff { lines += diff.split(separator: "\n").map { "      \($0)" } }
                }
            } catch {
                lines.append("  cannot plan: \(error.message)")
            }
            if case .word(let word) = step.confirmation { lines.append("  confirmation: type \(word)") }
        }
        return lines.joined(separator: "\n")
    }

    /// Skips a step of the active run with a typed reason (a step that is done stays done).
    public func skip(step number: Int, reason: String) throws(JournalError) -> RunState {
        var run = try activeRun()
        guard (1...runbook.steps.count).contains(number) else { throw JournalError("the run has steps 1–\(runbook.steps.count), not \(number)") }
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw JournalError("skipping a step needs a reason") }
        guard run.steps.first(where: { $0.number == number })?.status != .done else { throw JournalError("step \(number) is done; it cannot be skipped") }
        if !run.steps.contains(where: { $0.number == number }) {
            let step = runbook.steps[number - 1]
            try record(.stepStarted, step: number, detail: ["title": step.title, "owner": step.owner,
                                                            "estimate-seconds": step.estimateSeconds.map(String.init) ?? "async"], run: &run)
        }
        try record(.skipped, step: number, detail: ["reason": reason], run: &run)
        return run
    }

    /// Gives a step of the active run to a named person.
    public func assign(step number: Int, to person: String) throws(JournalError) -> RunState {
        var run = try activeRun()
        guard run.steps.contains(where: { $0.number == number }) || (1...runbook.steps.count).contains(number) else {
            throw JournalError("the run has steps 1–\(runbook.steps.count), not \(number)")
        }
        try record(.assigned, step: number, detail: ["assignee": person], run: &run)
        return run
    }

    /// Ends the active run without finishing it, with a typed reason: nothing on the nodes
    /// changes (what its steps did stays done), and another run may start.
    public func abort(reason: String) throws(JournalError) -> RunState {
        var run = try activeRun()
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw JournalError("aborting a run needs a reason") }
        try finish(&run, detail: ["state": "aborted", "reason": reason])
        return run
    }

    /// Adds a note to a step of the active run.
    public func note(step number: Int, _ text: String) throws(JournalError) -> RunState {
        var run = try activeRun()
        try record(.note, step: number, detail: ["text": text], run: &run)
        return run
    }

    private func activeRun() throws(JournalError) -> RunState {
        guard let active = RunState.active(in: try journal.events(run: nil), drill: drill != nil), active.runbook == runbook.kind else {
            throw JournalError("no active \(runbook.kind) \(drill == nil ? "run" : "drill")")
        }
        return active
    }

    private func startOrResume() throws(JournalError) -> RunState {
        let drilling = drill != nil
        if let active = RunState.active(in: try journal.events(run: nil), drill: drilling) {
            guard active.runbook == runbook.kind else {
                throw JournalError("a \(active.runbook) run (\(active.id)) is active; finish it before starting a \(runbook.kind)")
            }
            return active
        }
        let now = Int64(context.clock.now())
        // Ids name the second a run began; a second run begun in the same second gets -2, -3, …
        let base = "\(runbook.kind)-\(Timestamps.rfc3339(now).filter { $0.isNumber }.prefix(14))"
        let taken = Set(try journal.events(run: nil).map(\.run))
        let id = taken.contains(base) ? (2...).lazy.map { "\(base)-\($0)" }.first { !taken.contains($0) }! : base
        var detail = ["runbook": runbook.kind, "steps": String(runbook.steps.count), "file": runbook.file, "digest": runbook.digest]
        if let drill { detail["drill"] = drill.name }
        if setup { detail["setup"] = "true" }
        let kind = runbook.kind
        try journal.append([event(.runStarted, run: id, detail: detail)]) { events throws(JournalError) in
            // One active run per pair, decided inside the write transaction (other processes too).
            if let other = RunState.active(in: events, drill: drilling) {
                throw JournalError("a \(other.runbook) run (\(other.id)) was started meanwhile; a \(kind) cannot start beside it")
            }
            if events.contains(where: { $0.run == id }) { throw JournalError("another process just started a run named \(id); run the command again") }
        }
        return RunState.runs(from: try journal.events(run: id)).last!
    }

    /// One step as far as it goes; nil when it is done.
    private func execute(_ step: Runbook.Step, number: Int, run: inout RunState, _ decisions: Decisions) async throws(JournalError) -> Outcome? {
        guard let action = actions[step.action] else {
            return .refused(run, step: number, reason: "this pbsha has no action '\(step.action)'")
        }
        let current = run.steps.first { $0.number == number }
        if current?.started == nil || current?.status == .failed || current?.status == .waiting {
            try record(.stepStarted, step: number, detail: ["title": step.title, "owner": step.owner,
                                                            "estimate-seconds": step.estimateSeconds.map(String.init) ?? "async"], run: &run)
        }
        if run.steps.first(where: { $0.number == number })?.assignee == nil {
            try record(.assigned, step: number, detail: ["assignee": actor], run: &run)
        }

        // Gates: hard ones refuse; soft ones need an acknowledgment.
        let gates = await GateEvaluator(context: context, runbook: runbook).evaluate(step, number: number, run: run)
        for gate in gates {
            try record(.checkResult, step: number, detail: ["check": gate.name, "passed": String(gate.passed), "hard": String(gate.hard),
                                                           "message": gate.message], run: &run)
        }
        func overridden(_ gate: String) -> Bool {
            run.steps.first { $0.number == number }?.overrides.contains { $0.hasPrefix("\(gate): ") } ?? false
        }
        for gate in gates where gate.hard && !gate.passed && step.overridable.contains(gate.name) && !overridden(gate.name) {
            guard let reason = decisions.overrides[gate.name]?.trimmingCharacters(in: .whitespaces), !reason.isEmpty else { continue }
            try record(.override, step: number, detail: ["check": gate.name, "reason": reason], run: &run)
        }
        if let refused = gates.first(where: { $0.hard && !$0.passed && !overridden($0.name) }) {
            let how = step.overridable.contains(refused.name) ? " (or pass over it: --override \(refused.name) --reason TEXT)" : ""
            return .refused(run, step: number, reason: "\(refused.name): \(refused.message)\(how)")
        }
        // The plan: what still has to change, read from the servers.
        let changes: [PlannedChange]
        do { changes = try await action.plan(context, run, decisions) } catch {
            try record(.stepFinished, step: number, detail: ["result": "failed", "message": error.message], run: &run)
            return .refused(run, step: number, reason: error.message)
        }
        let state = run.steps.first { $0.number == number }!
        var settled: [RunState.Change] = []
        for intent in state.intents where !state.applied.contains(where: { $0.target == intent.target && $0.change == intent.change }) {
            guard let again = changes.first(where: { $0.target == intent.target && $0.change == intent.change }) else {
                // Interrupted after the call: the server already holds the change.
                try record(.changeApplied, step: number, detail: ["target": intent.target, "change": intent.change, "result": "already",
                                                                 "message": "found done on resume"], run: &run)
                continue
            }
            if !again.readable {
                // Interrupted during a call whose effect cannot be read back: not repeated;
                // the step's verification says whether it took effect.
                try record(.changeApplied, step: number, detail: ["target": intent.target, "change": intent.change, "result": "unknown",
                                                                 "message": "interrupted during the call; not repeated"], run: &run)
                settled.append(intent)
            }
        }
        let pending = changes.filter { change in
            !state.applied(change.change, on: change.target) && !settled.contains { $0.target == change.target && $0.change == change.change }
        }
        for change in pending where !state.planned.contains(where: { $0.target == change.target && $0.change == change.change }) {
            var detail = change.detail
            (detail["target"], detail["change"]) = (change.target, change.change)
            if let diff = change.diff { detail["diff"] = diff }
            try record(.changePlanned, step: number, detail: detail, run: &run)
        }

        // Soft gates are acknowledged with the plan in view.
        let acknowledged = run.steps.first { $0.number == number }?.acknowledged ?? []
        let unacknowledged = gates.filter { !$0.hard && !$0.passed && !acknowledged.contains($0.name) }
        if !unacknowledged.isEmpty {
            guard decisions.confirmAll || unacknowledged.allSatisfy({ decisions.typed.contains("ACK \($0.name)") }) else {
                let list = unacknowledged.map { "\($0.name): \($0.message)" }.joined(separator: "; ")
                return try wait(number, "acknowledge: \(list)", &run)
            }
            for gate in unacknowledged { try record(.acknowledged, step: number, detail: ["check": gate.name], run: &run) }
        }

        // The confirmation, once per step, before anything changes.
        let confirmedWords = run.steps.first { $0.number == number }?.confirmed ?? []
        if !pending.isEmpty, confirmedWords.isEmpty {
            switch step.confirmation {
            case .none: break
            case .enter:
                // A manual step waits for a person even under --yes: only they know it is done.
                let typedOnly = step.action == "manual"
                guard (decisions.confirmAll && !typedOnly) || decisions.typed.contains("enter") || decisions.manualDone.contains(number) else {
                    if typedOnly { return try wait(number, "the operator confirms: \(step.title) (Enter in the console, or --done \(number))", &run) }
                    return try wait(number, "confirm \(pending.count) change(s) (Enter in the console, --yes in scripted mode)", &run)
                }
                try record(.confirmed, step: number, detail: ["word": "enter"], run: &run)
            case .word(let word):
                guard (decisions.confirmAll && step.action != "manual") || decisions.typed.contains(word) || decisions.manualDone.contains(number) else {
                    return try wait(number, "\(pending.count) change(s) on \(Set(pending.map(\.target)).sorted().joined(separator: ", ")): type \(word)", &run)
                }
                try record(.confirmed, step: number, detail: ["word": word], run: &run)
            }
        }

        // Each change: intent first, then the call, then its result.
        for change in pending {
            try record(.intent, step: number, detail: ["target": change.target, "change": change.change], run: &run)
            let writes = Collected<WriteRecord>()
            let tasks = Collected<JournalEvent>()
            var acting = context.recording { writes.add($0) }
            // Journaled as the task starts (not after), so other consoles follow its log.
            acting.taskStarted = { [journal, runID = run.id] task in
                tasks.add((try? journal.append([event(.taskStarted, run: runID, step: number, detail: task.detail)], check: nil)) ?? [])
            }
            let outcome = await action.apply(change, acting, run)
            for event in tasks.all { run.apply(event) }
            for write in writes.all {
                let parameters = write.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
                try record(.apiWrite, step: number, detail: ["method": write.method, "host": write.host, "path": write.path,
                                                            "status": write.status.map(String.init) ?? "no answer", "parameters": parameters], run: &run)
            }
            switch outcome {
            case .applied(let message):
                try record(.changeApplied, step: number, detail: ["target": change.target, "change": change.change, "result": "ok", "message": message], run: &run)
            case .failed(let message):
                try record(.changeApplied, step: number, detail: ["target": change.target, "change": change.change, "result": "failed", "message": message], run: &run)
                try record(.stepFinished, step: number, detail: ["result": "failed", "message": "\(change.target): \(message)"], run: &run)
                return .refused(run, step: number, reason: "\(change.target): \(change.change) failed: \(message)")
            case .needsOperator(let commands):
                try record(.changeApplied, step: number, detail: ["target": change.target, "change": change.change, "result": "failed",
                                                                 "message": "needs the operator"], run: &run)
                return try wait(number, commands, &run)
            }
        }

        if let reason = action.waitingFor(run, step: number, decisions) { return try wait(number, reason, &run) }

        // Verification through the APIs.
        let checks = await action.verify(context, run)
        for check in checks {
            try record(.checkResult, step: number, detail: ["check": "verify: \(check.name)", "passed": String(check.passed), "hard": "true",
                                                           "message": check.message], run: &run)
        }
        if let failed = checks.first(where: { !$0.passed }) {
            try record(.stepFinished, step: number, detail: ["result": "failed", "message": "\(failed.name): \(failed.message)"], run: &run)
            return .refused(run, step: number, reason: "verification failed: \(failed.name): \(failed.message)")
        }
        try record(.stepFinished, step: number, detail: ["result": "done"], run: &run)
        return nil
    }

    private func wait(_ number: Int, _ reason: String, _ run: inout RunState) throws(JournalError) -> Outcome {
        if run.steps.first(where: { $0.number == number })?.waitingFor != reason {
            try record(.waiting, step: number, detail: ["waiting": reason], run: &run)
        }
        return .waiting(run, step: number, reason: reason)
    }

    private func event(_ kind: JournalEvent.Kind, run: String, step: Int? = nil, detail: [String: String]) -> JournalEvent {
        JournalEvent(run: run, kind: kind, step: step, actor: actor, host: host, time: Int64(context.clock.now()), detail: detail)
    }

    /// Journals one event and folds it into `run`.
    private func record(_ kind: JournalEvent.Kind, step: Int? = nil, detail: [String: String], run: inout RunState) throws(JournalError) {
        let written = try journal.append([event(kind, run: run.id, step: step, detail: detail)], check: nil)
        for event in written { run.apply(event) }
    }
}

/// What one change produced while it ran (its API writes, the task-started events it
/// journaled), collected from whichever task reports it.
private final class Collected<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Element] = []

    func add(_ item: Element) { lock.withLock { items.append(item) } }
    func add(_ more: [Element]) { lock.withLock { items += more } }
    var all: [Element] { lock.withLock { items } }
}
