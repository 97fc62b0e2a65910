import Foundation

/// A runbook run as its journal events tell it: the fold that every reader (console, scripted
/// mode, reports, a second process) computes the same way.
public struct RunState: Sendable, Equatable {
    public var id: String
    public var runbook: String
    public var startedBy: String
    public var started: Int64
    public var finished: Int64?
    public var state: State
    /// The drill scenario, when the run is a rehearsal.
    public var drill: String?
    public var steps: [StepState]
    /// Why the run was aborted (`--abort --reason`).
    public var abortReason: String? = nil
    /// SHA-256 of the runbook file the run started with.
    public var runbookDigest: String? = nil
    /// A drill's score, once it ended.
    public var scorecard: DrillScorecard? = nil
    /// A run pbsha made for a drill's story before the operator started (not a rehearsal).
    public var setup = false

    public enum State: String, Sendable { case active, done, aborted }

    /// A run with no events yet (what the gates of a dry run see).
    static let empty = RunState(id: "", runbook: "", startedBy: "", started: 0, finished: nil, state: .active, drill: nil, steps: [])

    /// One step's record.
    public struct StepState: Sendable, Equatable {
        public var number: Int
        public var title: String
        public var owner: String
        public var assignee: String?
        public var estimateSeconds: Int?
        public var started: Int64?
        public var finished: Int64?
        public var status: StepState.State = .pending
        /// Each gate's latest result.
        public var checks: [Check] = []
        /// Every refusal or question a gate gave, in order, even when it later passed.
        public var refusals: [Check] = []
        public var acknowledged: [String] = []
        /// Confirmation words typed (or `enter`).
        public var confirmed: [String] = []
        public var overrides: [String] = []
        public var planned: [Change] = []
        /// Intents by target: what the engine was about to do and whether a result followed.
        public var intents: [Change] = []
        public var applied: [Change] = []
        public var skippedReason: String?
        public var waitingFor: String?
        public var notes: [String] = []
        /// The API writes the step's changes made: `METHOD host path -> status`.
        public var writes: [String] = []
        /// Long tasks the step's changes started, in order.
        public var tasks: [TaskRef] = []
        public var message: String?

        public enum State: String, Sendable { case pending, active, waiting, done, failed, skipped }

        /// Seconds from start to finish (or to `now` while it runs).
        public func elapsed(now: Int64) -> Int64? {
            started.map { (finished ?? now) - $0 }
        }

        /// Whether `target`'s change was already applied (so a resumed run does not redo it).
        public func applied(_ change: String, on target: String) -> Bool {
            applied.contains { $0.target == target && $0.change == change && $0.result != "failed" }
        }
    }

    /// A gate's outcome.
    public struct Check: Sendable, Equatable, Codable {
        public var name: String
        public var passed: Bool
        public var hard: Bool
        public var message: String
    }

    /// A change on one target: planned, intended or applied (`result` ok|failed|already).
    public struct Change: Sendable, Equatable {
        public var target: String
        public var change: String
        public var result: String?
        public var message: String?
        /// The facts journaled with it (a planned change's schedule, its reference time).
        public var detail: [String: String] = [:]
    }

    /// The runs in a journal's events, oldest first.
    public static func runs(from events: [JournalEvent]) -> [RunState] {
        var order: [String] = []
        var byID: [String: RunState] = [:]
        for event in events {
            if event.kind == .runStarted, byID[event.run] == nil {
                order.append(event.run)
                byID[event.run] = RunState(id: event.run, runbook: event.detail["runbook"] ?? "?", startedBy: event.actor, started: event.time,
                                           finished: nil, state: .active, drill: event.detail["drill"], steps: [])
                byID[event.run]?.runbookDigest = event.detail["digest"]
                byID[event.run]?.setup = event.detail["setup"] == "true"
                continue
            }
            byID[event.run]?.apply(event)
        }
        return order.compactMap { byID[$0] }
    }

    /// The active run, if any: at most one live run per pair, and at most one drill run
    /// (a rehearsal left open never blocks a real failover, nor a real run a rehearsal).
    public static func active(in events: [JournalEvent], drill: Bool) -> RunState? {
        runs(from: events).last { $0.state == .active && ($0.drill != nil) == drill }
    }

    mutating func apply(_ event: JournalEvent) {
        if event.kind == .drillScored {
            scorecard = event.detail["scorecard"].flatMap { try? JSONDecoder().decode(DrillScorecard.self, from: Data($0.utf8)) }
            return
        }
        if event.kind == .runFinished {
            state = State(rawValue: event.detail["state"] ?? "") ?? .done
            abortReason = event.detail["reason"]
            finished = event.time
            return
        }
        guard let number = event.step else { return }
        if [.stepStarted, .assigned, .note].contains(event.kind), !steps.contains(where: { $0.number == number }) {
            steps.append(StepState(number: number, title: event.detail["title"] ?? "step \(number)", owner: event.detail["owner"] ?? "?",
                                   estimateSeconds: event.detail["estimate-seconds"].flatMap { Int($0) }))
            steps.sort { $0.number < $1.number }
        }
        guard let index = steps.firstIndex(where: { $0.number == number }) else { return }
        steps[index].apply(event)
    }
}

extension RunState.StepState {
    mutating func apply(_ event: JournalEvent) {
        let d = event.detail
        func change() -> RunState.Change {
            RunState.Change(target: d["target"] ?? "", change: d["change"] ?? "", result: d["result"], message: d["message"], detail: d)
        }
        switch event.kind {
        case .stepStarted:
            // A step first named by an assignment or a note gets its title here.
            title = d["title"] ?? title
            owner = d["owner"] ?? owner
            estimateSeconds = d["estimate-seconds"].flatMap { Int($0) } ?? estimateSeconds
            if started == nil { started = event.time }
            // A failed or waiting step that starts again is retried.
            if status != .done && status != .skipped { status = .active }
            waitingFor = nil
        case .checkResult:
            let check = RunState.Check(name: d["check"] ?? "", passed: d["passed"] == "true", hard: d["hard"] == "true", message: d["message"] ?? "")
            checks.removeAll { $0.name == check.name }
            checks.append(check)
            if !check.passed, !refusals.contains(check) { refusals.append(check) }
        case .acknowledged: acknowledged.append(d["check"] ?? "")
        case .override: overrides.append("\(d["check"] ?? ""): \(d["reason"] ?? "")")
        case .changePlanned: planned.append(change())
        case .intent: intents.append(change())
        case .changeApplied: applied.append(change())
        case .skipped:
            status = .skipped
            skippedReason = d["reason"]
            finished = event.time
        case .assigned: assignee = d["assignee"]
        case .note: notes.append(d["text"] ?? "")
        case .waiting:
            status = .waiting
            waitingFor = d["waiting"]
        case .stepFinished:
            status = d["result"] == "failed" ? .failed : .done
            message = d["message"]
            finished = event.time
        case .confirmed: confirmed.append(d["word"] ?? "enter")
        case .apiWrite:
            writes.append("\(d["method"] ?? "?") \(d["host"] ?? "?") \(d["path"] ?? "?") -> \(d["status"] ?? "no answer")"
                          + (d["parameters"].map { $0.isEmpty ? "" : " (\($0))" } ?? ""))
        case .taskStarted:
            if let task = TaskRef(detail: d) { tasks.append(task) }
        case .runStarted, .runFinished, .drillScored:
            break
        }
    }
}
