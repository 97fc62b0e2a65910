/// One thing that happened in a runbook run, as the journal keeps it: append-only, never
/// changed. A run's state is a fold over its events (`RunState`). Details never hold secrets.
public struct JournalEvent: Sendable, Equatable {
    /// The journal's sequence number; nil until appended.
    public var sequence: Int64?
    public var run: String
    public var kind: Kind
    /// The step (1-based), when the event is about one.
    public var step: Int?
    /// Who did it: an operator's name, or `pbsha` for what the engine did on its own.
    public var actor: String
    /// The machine the process ran on.
    public var host: String
    /// Seconds since the epoch, from the engine's clock.
    public var time: Int64
    /// What the kind needs: titles, targets, results, reasons (see each kind).
    public var detail: [String: String]

    public init(run: String, kind: Kind, step: Int? = nil, actor: String, host: String, time: Int64, detail: [String: String] = [:]) {
        self.run = run
        self.kind = kind
        self.step = step
        self.actor = actor
        self.host = host
        self.time = time
        self.detail = detail
    }

    /// What an event records.
    public enum Kind: String, Sendable, CaseIterable {
        /// `runbook` (failover|failback), `steps` (count), `file`, `digest` (the runbook file's
        /// SHA-256), `drill` (scenario, if any), `setup` (true for a run pbsha made for a
        /// drill's story).
        case runStarted = "run-started"
        /// `title`, `owner`, `estimate-seconds`.
        case stepStarted = "step-started"
        /// `check`, `passed` (true|false), `hard` (true|false), `message`.
        case checkResult = "check-result"
        /// `check`: a soft gate the operator accepted with the typed word.
        case acknowledged
        /// `target`, `change` (what will be done), `diff` (optional).
        case changePlanned = "change-planned"
        /// `target`, `change`: the engine is about to call out; on resume, an intent without
        /// a result is reconciled by reading the server first.
        case intent
        /// `target`, `change`, `result` (ok|failed|already), `message`.
        case changeApplied = "change-applied"
        /// `word`: the typed confirmation.
        case confirmed
        /// `reason`.
        case skipped
        /// `assignee`.
        case assigned
        /// `text`.
        case note
        /// `method`, `host`, `path`, `status`, `parameters`: one API write a change made,
        /// secrets removed (`RecordingTransport`).
        case apiWrite = "api-write"
        /// `upid`, `task`, `on` (primary|secondary|pve, then `pve-host`, `pve-node`): a long
        /// task a change started, so consoles can follow its log (`TaskRef`).
        case taskStarted = "task-started"
        /// `check`, `reason`: a soft gate passed over without its condition holding.
        case override
        /// `waiting`: what the step waits for (a person, a ticket, a command run by hand).
        case waiting
        /// The step is done; `result` (done|failed), `message`.
        case stepFinished = "step-finished"
        /// `state` (done|aborted).
        case runFinished = "run-finished"
        /// `scorecard`: a drill run's `DrillScorecard` as JSON, written when it ends.
        case drillScored = "drill-scored"
    }
}
