import Foundation
import ProxmoxAPI
/// What the console may ask of the runbooks: the journal read as boards, and a run taken as
/// far as it goes with what the operator typed. The console never builds a step engine or
/// touches the journal itself; scripted mode and the console share this one engine.
public struct RunbookDesk: Sendable {
    /// The runbooks by kind (`failover`, `failback`).
    public let runbooks: [String: Runbook]
    /// Runbooks that could not be read, by kind: the reason and the fix. The other kind
    /// still works (a broken failback file must not block a failover).
    public let problems: [String: String]
    let journal: any EventStore
    let context: RunContext
    let actions: [String: [String: any StepAction]]
    public let actor: String
    /// The scenario of a drill console: its runs are drills, scored when they end.
    public let drill: Scenario?
    /// The journal as last read (a console reads it every second, for months).
    private let kept = KeptJournal()

    public init(runbooks: [String: Runbook], problems: [String: String] = [:], journal: any EventStore, context: RunContext,
                actions: [String: [String: any StepAction]], actor: String, drill: Scenario? = nil) {
        self.drill = drill
        self.runbooks = runbooks
        self.problems = problems
        self.journal = journal
        self.context = context
        self.actions = actions
        self.actor = actor
    }

    /// Every runbook's board, and the runs of the journal newest first.
    public struct Reading: Sendable, Equatable {
        public var boards: [String: RunbookBoard]
        public var runs: [RunState]
        /// The active run's kind, if one is active.
        public var active: String?

        public init(boards: [String: RunbookBoard], runs: [RunState], active: String?) {
            self.boards = boards
            self.runs = runs
            self.active = active
        }
    }

    /// Reads the journal (other processes' runs included) as boards at `now`. The boards
    /// show this desk's kind of run (drills for a drill, live runs otherwise); the list of
    /// runs holds both, drills marked.
    public func read(now: Int64) throws(JournalError) -> Reading {
        reading(try kept.runs(journal, now: now), now: now)
    }

    /// The same as `read`, without asking the journal, when its files show no commit since
    /// the last read and that read is younger than `recheckSeconds`; nil otherwise. Cheap
    /// enough for the console's loop to call every second (two `stat` calls), so an idle
    /// console does not wake a thread and query SQLite each second for nothing.
    public func readIfUnchanged(now: Int64) -> Reading? {
        guard let runs = kept.runsIfUnchanged(journal, now: now, recheckSeconds: Self.recheckSeconds) else { return nil }
        if let settled = kept.settledReading(of: runs) { return settled }
        let fresh = reading(runs, now: now)
        kept.keepReading(fresh, of: runs)
        return fresh
    }

    /// A real read at least this often: a file system with coarse times could hide a commit
    /// from the stamp.
    static let recheckSeconds: Int64 = 10

    private func reading(_ runs: [RunState], now: Int64) -> Reading {
        let mine = runs.filter { ($0.drill != nil) == (drill != nil) }
        var boards: [String: RunbookBoard] = [:]
        for (kind, runbook) in runbooks {
            let shown = mine.last { $0.runbook == kind && $0.state == .active } ?? mine.last { $0.runbook == kind }
            boards[kind] = RunbookBoard(runbook, run: shown, now: now)
        }
        return Reading(boards: boards, runs: runs.reversed(), active: mine.last { $0.state == .active }?.runbook)
    }

    /// Starts or resumes the `kind` run and takes it as far as `decisions` allow.
    public func advance(_ kind: String, _ decisions: Decisions) async throws(JournalError) -> StepEngine.Outcome {
        try await engine(kind).run(decisions)
    }

    /// Every step's gates and plan as the servers stand now; nothing changes.
    public func dryRun(_ kind: String) async throws(JournalError) -> String {
        try await engine(kind).dryRun()
    }

    /// Ends the active run unfinished, with a reason.
    public func abort(_ kind: String, reason: String) throws(JournalError) -> RunState {
        try engine(kind).abort(reason: reason)
    }

    public func skip(_ kind: String, step: Int, reason: String) throws(JournalError) -> RunState {
        try engine(kind).skip(step: step, reason: reason)
    }

    public func assign(_ kind: String, step: Int, to person: String) throws(JournalError) -> RunState {
        try engine(kind).assign(step: step, to: person)
    }

    public func note(_ kind: String, step: Int, _ text: String) throws(JournalError) -> RunState {
        try engine(kind).note(step: step, text)
    }

    /// Lines of a step's task log from `from` (1-based), and whether the task still runs.
    /// Read with the operator token that started it where there is one (PBS shows a task
    /// to its owner), else with the monitor token.
    public func taskLog(_ task: TaskRef, from: Int) async throws(APIError) -> (lines: [String], active: Bool) {
        switch task.node {
        case .pbs(let role):
            let client = context.operatorClient(role) ?? context.reader(role)
            let (lines, active) = try await client.taskLogLines(task.upid, from: from)
            return (lines.map(\.t), active)
        case let .pve(name, node):
            guard let host = context.config.pve.first(where: { $0.name == name }) else {
                throw APIError.notFound(host: name, path: "/nodes/\(node)/tasks/\(task.upid)/log", message: "no [[pve]] host \(name) in this config")
            }
            let client = context.pveOperator(host) ?? context.pveReader(host)
            // The status first: lines read after it cannot miss the last ones of a task that ended.
            let active = try await client.taskStatus(node: node, upid: task.upid).status == "running"
            let lines = try await client.taskLogLines(node: node, upid: task.upid, from: from)
            return (lines.map(\.t), active)
        }
    }

    private func engine(_ kind: String) throws(JournalError) -> StepEngine {
        if let problem = problems[kind] { throw JournalError(problem) }
        guard let runbook = runbooks[kind], let actions = actions[kind] else { throw JournalError("no \(kind) runbook in this pbsha") }
        return StepEngine(runbook: runbook, journal: journal, context: context, actions: actions, actor: actor, drill: drill)
    }
}

/// A journal's events as read so far and the runs they fold into: a read asks the journal
/// only for events after the last one kept, and folds again only when there are some.
final class KeptJournal: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [JournalEvent] = []
    private var runs: [RunState] = []
    private var read = false
    /// The journal's stamp taken before the last query, and when that was.
    private var stamp: JournalStamp?
    private var queriedAt: Int64 = 0
    /// A reading built from `runs`, kept while they are the runs kept and nothing in them
    /// moves with the clock (every run and every started step finished).
    private var reading: (runs: [RunState], value: RunbookDesk.Reading)?

    func runs(_ journal: any EventStore, now: Int64) throws(JournalError) -> [RunState] {
        lock.lock()
        defer { lock.unlock() }
        // Before the query: a commit landing during it changes the next stamp.
        let before = journal.changeStamp()
        let new = try journal.events(after: events.last?.sequence ?? 0)
        (stamp, queriedAt) = (before, now)
        if read && new.isEmpty { return runs }
        events += new
        runs = RunState.runs(from: events)
        read = true
        return runs
    }

    func settledReading(of runs: [RunState]) -> RunbookDesk.Reading? {
        lock.withLock { reading.flatMap { $0.runs == runs ? $0.value : nil } }
    }

    func keepReading(_ value: RunbookDesk.Reading, of runs: [RunState]) {
        let settled = runs.allSatisfy { run in run.finished != nil && run.steps.allSatisfy { $0.started == nil || $0.finished != nil } }
        lock.withLock { reading = settled ? (runs, value) : nil }
    }

    /// The runs kept, when the journal's stamp is the one of a query younger than `recheckSeconds`.
    func runsIfUnchanged(_ journal: any EventStore, now: Int64, recheckSeconds: Int64) -> [RunState]? {
        lock.lock()
        defer { lock.unlock() }
        guard read, let stamp, now - queriedAt < recheckSeconds, now >= queriedAt, journal.changeStamp() == stamp else { return nil }
        return runs
    }
}
