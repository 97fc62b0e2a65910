import PairEngine

extension LabRuntime {
    /// Sets a drill scenario's stage: its past events (at or before 0) run now in time order
    /// with the world advanced between them, so the history is as the story tells it; later
    /// events run when the world's clock reaches them. Answers what each command said, or
    /// the first that failed.
    public func stage(_ scenario: Scenario) async -> Result<[String], LabError> {
        var said: [String] = []
        var time = scenario.events.first.map { min($0.at, 0) } ?? 0
        for event in scenario.events where event.at <= 0 {
            if event.at > time { _ = await control(["advance", "\(event.at - time)s"]) }
            time = event.at
            let (ok, message) = await control(event.lab)
            guard ok else { return .failure(LabError("scenario \(scenario.name): lab \(event.lab.joined(separator: " ")) failed: \(message)")) }
            said.append("\(Durations.format(-event.at)) before: \(event.lab.joined(separator: " "))")
        }
        if time < 0 { _ = await control(["advance", "\(-time)s"]) }
        let start = inspect(\.now)
        scheduledEvents += scenario.events.filter { $0.at > 0 }.map { (start + Int64($0.at), $0.lab) }
        said += scenario.events.filter { $0.at > 0 }.map { "in \(Durations.format($0.at)): \($0.lab.joined(separator: " "))" }
        return .success(said)
    }

    /// Runs the scheduled events whose time the world has reached (the ticker calls it).
    func runScheduledEvents() async {
        let now = inspect(\.now)
        let due = scheduledEvents.filter { $0.time <= now }
        scheduledEvents.removeAll { $0.time <= now }
        for event in due { _ = await control(event.words) }
    }
}
