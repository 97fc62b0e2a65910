/// A run's timeline for a post-incident review: JSON as design.md section 4 fixes it, or
/// Markdown to paste into a ticket.
public enum RunReport {
    public static func json(_ run: RunState, now: Int64) -> JSONValue {
        .object([
            ("id", .string(run.id)), ("kind", .string(run.runbook)), ("state", .string(run.state.rawValue)), ("abort-reason", .text(run.abortReason)),
            ("operator", .string(run.startedBy)), ("started", .time(run.started)), ("finished", .time(run.finished)),
            ("steps", .array(run.steps.map { step in
                .object([
                    ("n", .int(step.number)), ("title", .string(step.title)), ("owner", .string(step.owner)), ("assignee", .text(step.assignee)),
                    ("estimate-seconds", .int(step.estimateSeconds)), ("started", .time(step.started)), ("done", .time(step.finished)),
                    ("elapsed-seconds", .int(step.elapsed(now: now))), ("state", .string(step.status.rawValue)),
                    ("results", .array(step.checks.map { check in
                        .object([("check", .string(check.name)), ("passed", .bool(check.passed)), ("hard", .bool(check.hard)), ("message", .string(check.message))])
                    })),
                    ("changes", .array(step.applied.map { change in
                        .object([("target", .string(change.target)), ("change", .string(change.change)), ("result", .text(change.result)),
                                 ("message", .text(change.message))])
                    })),
                    ("acknowledged", .array(step.acknowledged.map(JSONValue.string))), ("skipped-reason", .text(step.skippedReason)),
                    ("overrides", .array(step.overrides.map(JSONValue.string))), ("notes", .array(step.notes.map(JSONValue.string))),
                ])
            })),
            ("drill", run.drill.map { .object([("scenario", .string($0)), ("scorecard", run.scorecard.map(scorecard) ?? .null)]) } ?? .null),
        ])
    }

    private static func scorecard(_ card: DrillScorecard) -> JSONValue {
        .object([
            ("passed", .bool(card.passed)), ("total-seconds", .int(card.totalSeconds)), ("rto-seconds", .int(card.rtoSeconds)),
            ("steps", .array(card.steps.map { step in
                .object([("n", .int(step.number)), ("title", .string(step.title)), ("state", .string(step.status)),
                         ("seconds", .int(step.seconds)), ("estimate-seconds", .int(step.estimateSeconds)), ("late", .bool(step.late))])
            })),
            ("gates-hit", .array(card.gatesHit.map(JSONValue.string))), ("mistakes-prevented", .array(card.mistakesPrevented.map(JSONValue.string))),
            ("overrides", .array(card.overrides.map(JSONValue.string))), ("shortfalls", .array(card.shortfalls.map(JSONValue.string))),
        ])
    }

    public static func markdown(_ run: RunState, now: Int64) -> String {
        var lines = ["# \(run.runbook.capitalized) run \(run.id)", "",
                     "- state: \(run.state.rawValue)\(run.drill.map { " (drill: \($0))" } ?? "")\(run.abortReason.map { " — \($0)" } ?? "")",
                     "- started by \(run.startedBy) at \(Timestamps.rfc3339(run.started))",
                     "- finished: \(run.finished.map(Timestamps.rfc3339) ?? "not yet")", "",
                     "| # | step | owner | assignee | estimate | started | done | elapsed | state |", "|---|---|---|---|---|---|---|---|---|"]
        for step in run.steps {
            let elapsed = step.elapsed(now: now).map { Durations.format(Int($0)) } ?? "-"
            let late = (step.elapsed(now: now) ?? 0) > Int64(step.estimateSeconds ?? .max) ? " (late)" : ""
            lines.append("| \(step.number) | \(step.title) | \(step.owner) | \(step.assignee ?? "-") | \(step.estimateSeconds.map(Durations.format) ?? "async") | "
                         + "\(step.started.map(Timestamps.rfc3339) ?? "-") | \(step.finished.map(Timestamps.rfc3339) ?? "-") | \(elapsed)\(late) | \(step.status.rawValue) |")
        }
        for step in run.steps {
            lines += ["", "## \(step.number). \(step.title)"]
            lines += step.checks.map { "- \($0.passed ? "ok" : $0.hard ? "REFUSED" : "warning") \($0.name): \($0.message)" }
            lines += step.acknowledged.map { "- acknowledged: \($0)" }
            lines += step.applied.map { "- \($0.target): \($0.change) — \($0.result ?? "?")\($0.message.map { ": \($0)" } ?? "")" }
            if let reason = step.skippedReason { lines.append("- skipped: \(reason)") }
            if let waiting = step.waitingFor, step.status == .waiting { lines.append("- waiting for: \(waiting)") }
            lines += step.overrides.map { "- override: \($0)" } + step.notes.map { "- note: \($0)" }
            lines += step.writes.map { "- api: \($0)" }
            lines += step.tasks.map { "- task: \($0.label) \($0.upid)" }
        }
        if let card = run.scorecard { lines += ["", card.markdown] }
        return lines.joined(separator: "\n")
    }
}
