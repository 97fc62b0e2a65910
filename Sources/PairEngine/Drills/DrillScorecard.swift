/// How a drill went, against its scenario: each step's time against its estimate, the gates
/// that refused or asked, the mistakes the hard gates prevented, the total against the RTO,
/// and what a good run would have done that this one did not. Journaled when the drill ends
/// (`drill-scored`), shown by `pbsha report`.
public struct DrillScorecard: Sendable, Equatable, Codable {
    public var scenario: String
    public var title: String
    public var runbook: String
    /// How the run ended: done or aborted.
    public var state: String
    public var steps: [Step]
    /// Every gate that refused or asked, with its step: "step 1 sync-not-failing asked: …".
    public var gatesHit: [String]
    /// The hard gates' refusals: the dangerous order the engine did not allow.
    public var mistakesPrevented: [String]
    /// Hard gates passed over with a typed reason.
    public var overrides: [String]
    public var totalSeconds: Int
    public var rtoSeconds: Int
    /// What the scenario asked for and the run did not do (`Scenario.shortfalls`).
    public var shortfalls: [String]

    /// One step's time against its estimate.
    public struct Step: Sendable, Equatable, Codable {
        public var number: Int
        public var title: String
        public var status: String
        public var seconds: Int?
        public var estimateSeconds: Int?

        /// Took longer than its estimate.
        public var late: Bool { (seconds ?? 0) > (estimateSeconds ?? .max) }
    }

    /// Within the RTO, finished, and nothing the scenario asked for is missing.
    public var passed: Bool { state == "done" && totalSeconds <= rtoSeconds && shortfalls.isEmpty }

    /// Scores `run` (a finished or aborted drill) against `scenario`; `now` ends a run that has
    /// no finish time.
    public init(_ scenario: Scenario, run: RunState, now: Int64) {
        self.scenario = scenario.name
        title = scenario.title
        runbook = run.runbook
        state = run.state.rawValue
        steps = run.steps.map { step in
            Step(number: step.number, title: step.title, status: step.status.rawValue, seconds: step.elapsed(now: now).map(Int.init),
                 estimateSeconds: step.estimateSeconds)
        }
        gatesHit = run.steps.flatMap { step in
            step.refusals.map { "step \(step.number) \($0.name) \($0.hard ? "refused" : "asked"): \($0.message)" }
        }
        mistakesPrevented = run.steps.flatMap { step in
            step.refusals.filter(\.hard).map { "\(step.title.lowercased()) while \($0.name) did not hold: refused" }
        }
        overrides = run.steps.flatMap { step in step.overrides.map { "step \(step.number) \($0)" } }
        totalSeconds = Int((run.finished ?? now) - run.started)
        rtoSeconds = scenario.rtoSeconds
        shortfalls = scenario.shortfalls(of: run)
    }

    /// The scorecard as Markdown, for a ticket or the team's rehearsal log.
    public var markdown: String {
        var lines = ["## Drill scorecard: \(title)", "",
                     "- scenario: \(scenario) (\(runbook)), \(state)",
                     "- total: \(Durations.exact(totalSeconds)) against an RTO of \(Durations.exact(rtoSeconds)) — \(totalSeconds <= rtoSeconds ? "within" : "OVER")",
                     "- verdict: \(passed ? "PASS" : "FAIL")", "",
                     "| # | step | time | estimate | state |", "|---|---|---|---|---|"]
        for step in steps {
            lines.append("| \(step.number) | \(step.title) | \(step.seconds.map(Durations.exact) ?? "-")\(step.late ? " (late)" : "") | "
                         + "\(step.estimateSeconds.map(Durations.exact) ?? "async") | \(step.status) |")
        }
        func section(_ heading: String, _ items: [String]) {
            lines += ["", "### \(heading)"] + (items.isEmpty ? ["- none"] : items.map { "- \($0)" })
        }
        section("Gates hit", gatesHit)
        section("Mistakes prevented", mistakesPrevented)
        section("Overrides", overrides)
        section("Short of a good run", shortfalls)
        return lines.joined(separator: "\n")
    }
}
