/// A rehearsal on the lab, as data (`Resources/scenarios/NAME.toml`): the story the operator
/// reads, the lab faults at simulated times, the runbook to run, and what a good run looks
/// like.
public struct Scenario: Sendable, Equatable {
    /// The file's name without `.toml` (`pbsha drill NAME`).
    public var name: String
    public var title: String
    /// `failover` or `failback`.
    public var runbook: String
    /// What the operator is told when the drill starts.
    public var story: String
    /// The recovery time objective the run is scored against, seconds.
    public var rtoSeconds: Int
    /// Lab commands (`pbsha lab ctl` words) at lab times relative to the operator's start,
    /// in time order.
    public var events: [Event]
    public var expect: Expectation

    /// One lab fault or change.
    public struct Event: Sendable, Equatable {
        /// Seconds from the operator's start: negative is history, positive happens during the run.
        public var at: Int
        /// The words of a `pbsha lab ctl` command (empty for a `run` event).
        public var lab: [String]
        /// A runbook pbsha runs to its end, unattended, in the lab's past (a failback drill
        /// needs the failover it undoes).
        public var run: String? = nil

        /// What the event does, in words.
        public var said: String { run.map { "pbsha runs the \($0)" } ?? lab.joined(separator: " ") }
    }

    /// What a good run looks like.
    public struct Expectation: Sendable, Equatable {
        /// The run must get this far (step number).
        public var reachStep: Int
        /// Gates that must refuse or ask for an acknowledgment at least once: the mistakes
        /// and risks the scenario is about.
        public var gatesHit: [String]
        /// Gates that must pass before the run ends.
        public var gatesHeld: [String]
    }
}
