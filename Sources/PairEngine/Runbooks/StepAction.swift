/// A change a step plans on one target. `change` names it stably: the journal matches
/// intents and results by target and change, so a resumed run never does it twice.
public struct PlannedChange: Sendable, Equatable {
    public var target: String
    public var change: String
    /// What the operator sees before confirming (a diff, the commands); never a secret.
    public var diff: String?
    /// Facts to journal with the plan (a schedule to restore later); never a secret.
    public var detail: [String: String]
    /// Whether a plan made after the change would no longer list it. A change that cannot
    /// be read back (a secret, a webhook post) is not repeated when a call was interrupted.
    public var readable: Bool

    public init(target: String, change: String, diff: String? = nil, detail: [String: String] = [:], readable: Bool = true) {
        self.target = target
        self.change = change
        self.diff = diff
        self.detail = detail
        self.readable = readable
    }
}

/// How applying one change went.
public enum ApplyOutcome: Sendable, Equatable {
    case applied(String)
    case failed(String)
    /// The operator token may not do it (or there is none): what a person must run instead.
    case needsOperator(String)
}

/// A gate's or a verification's outcome.
public struct GateResult: Sendable, Equatable {
    public var name: String
    public var passed: Bool
    public var hard: Bool
    public var message: String

    public init(name: String, passed: Bool, hard: Bool, message: String) {
        self.name = name
        self.passed = passed
        self.hard = hard
        self.message = message
    }
}

/// Why a step cannot go on, and what would fix it.
public struct StepFailure: Error, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// What a person decided for this invocation (the console's prompts, or `--yes`).
public struct Decisions: Sendable {
    /// Types every confirmation and acknowledgment (never overrides a hard gate).
    public var confirmAll: Bool
    public var ticket: String?
    /// Words typed for confirmations and acknowledgments in the console.
    public var typed: Set<String>
    /// Manual steps a person says are done (`--done N`).
    public var manualDone: Set<Int>
    /// Hard gates a person passes over, by name, with the typed reason (`--override GATE
    /// --reason TEXT`); journaled and reported as overrides. Only gates a runbook marks
    /// `overridable` can be.
    public var overrides: [String: String]

    public init(confirmAll: Bool = false, ticket: String? = nil, typed: Set<String> = [], manualDone: Set<Int> = [], overrides: [String: String] = [:]) {
        self.confirmAll = confirmAll
        self.ticket = ticket
        self.typed = typed
        self.manualDone = manualDone
        self.overrides = overrides
    }
}

/// One engine capability a runbook step names (`action = "…"`).
public protocol StepAction: Sendable {
    /// Reads the servers and answers what would change; what already holds is not planned.
    func plan(_ context: RunContext, _ run: RunState, _ decisions: Decisions) async throws(StepFailure) -> [PlannedChange]
    /// Applies one planned change.
    func apply(_ change: PlannedChange, _ context: RunContext, _ run: RunState) async -> ApplyOutcome
    /// Checks the step's result through the APIs after its changes.
    func verify(_ context: RunContext, _ run: RunState) async -> [GateResult]
    /// What the step still needs from a person before it is done (nil: nothing).
    func waitingFor(_ run: RunState, step: Int, _ decisions: Decisions) -> String?
}

extension StepAction {
    public func waitingFor(_ run: RunState, step: Int, _ decisions: Decisions) -> String? { nil }
}
