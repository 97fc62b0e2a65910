extension Scenario {
    /// What a run fell short of, against what a good run of this scenario looks like: the
    /// step it had to reach, the gates that had to refuse or ask, the gates that had to
    /// hold. Empty when the run did all of it.
    public func shortfalls(of run: RunState) -> [String] {
        var missing: [String] = []
        let reached = run.steps.filter { $0.status == .done || $0.status == .skipped }.map(\.number).max() ?? 0
        if reached < expect.reachStep { missing.append("reached step \(reached), not \(expect.reachStep)") }
        for gate in expect.gatesHit {
            let hit = run.steps.contains { step in step.acknowledged.contains(gate) || step.refusals.contains { $0.name == gate } }
            if !hit { missing.append("gate \(gate) never refused or asked: the scenario's risk went unseen") }
        }
        for gate in expect.gatesHeld where !run.steps.contains(where: { $0.checks.contains { $0.name == gate && $0.passed } }) {
            missing.append("gate \(gate) never held")
        }
        if run.runbook != runbook { missing.append("ran \(run.runbook), the scenario is a \(runbook)") }
        return missing
    }
}
