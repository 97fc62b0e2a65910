import Foundation
import PairEngine
import ProxmoxAPI

extension LabRuntime {
    /// Sets a drill scenario's stage: its past events (at or before 0) run now in time order
    /// with the world advanced between them, so the history is as the story tells it; later
    /// events run when the world's clock reaches them. A `run` event is a runbook pbsha runs
    /// to its end, unattended, with `runbooks` and into `journal` (as the drill's setup, so
    /// the drill's gates see it), its waits moving the lab's clock. Answers what each event
    /// said, or the first that failed.
    public func stage(_ scenario: Scenario, runbooks: [String: Runbook] = [:], journal: (any EventStore)? = nil) async -> Result<[String], LabError> {
        var said: [String] = []
        var time = scenario.events.first.map { min($0.at, 0) } ?? 0
        for event in scenario.events where event.at <= 0 {
            if event.at > time { _ = await control(["advance", "\(event.at - time)s"]) }
            time = event.at
            if let kind = event.run {
                let before = inspect(\.now)
                if let problem = await runUnattended(kind, scenario: scenario, runbooks: runbooks, journal: journal) {
                    return .failure(LabError("scenario \(scenario.name): \(problem)"))
                }
                // The run's waits moved the lab's clock; the story's times stay where they were.
                time += Int(inspect(\.now) - before)
            } else {
                let (ok, message) = await control(event.lab)
                guard ok else { return .failure(LabError("scenario \(scenario.name): lab \(event.said) failed: \(message)")) }
            }
            said.append("\(Durations.format(-event.at)) before: \(event.said)")
        }
        if time < 0 { _ = await control(["advance", "\(-time)s"]) }
        let start = inspect(\.now)
        scheduledEvents += scenario.events.filter { $0.at > 0 }.map { (start + Int64($0.at), $0.lab) }
        said += scenario.events.filter { $0.at > 0 }.map { "in \(Durations.format($0.at)): \($0.said)" }
        return .success(said)
    }

    /// Runs the scheduled events whose time the world has reached (the ticker calls it).
    func runScheduledEvents() async {
        let now = inspect(\.now)
        let due = scheduledEvents.filter { $0.time <= now }
        scheduledEvents.removeAll { $0.time <= now }
        for event in due { _ = await control(event.words) }
    }

    /// The runbook `kind` through the engine with every confirmation typed, against this lab's
    /// config; nil when it finished, else why not.
    private func runUnattended(_ kind: String, scenario: Scenario, runbooks: [String: Runbook], journal: (any EventStore)?) async -> String? {
        guard let runbook = runbooks[kind], let journal else { return "it needs the \(kind) runbook and a journal to run it into" }
        let config: PairConfig
        let transport: PinnedHTTPSClient
        do {
            config = try ConfigLoader.load(path: configPath)
            transport = try PinnedHTTPSClient(limits: .init(connectTimeout: 10, requestTimeout: 30))
        } catch {
            return "cannot reach the lab to run the \(kind): \(error)"
        }
        let staging = LabStagingClock(lab: self, worldNow: Double(inspect(\.now)), clockNow: clock.now(), speed: speed, wall: clock)
        let context = RunContext(config: config, reads: transport, writes: transport, clock: staging)
        let actions = kind == "failover" ? FailoverActions.all() : FailbackActions.all()
        let engine = StepEngine(runbook: runbook, journal: journal, context: context, actions: actions, actor: "pbsha", host: "lab",
                                drill: scenario, setup: true)
        let outcome: StepEngine.Outcome
        do { outcome = try await engine.run(Decisions(confirmAll: true, ticket: "DRILL-SETUP")) } catch {
            return "the \(kind) it runs for the story failed: \(error)"
        }
        switch outcome {
        case .finished: return nil
        case .waiting(_, let step, let reason), .refused(_, let step, let reason):
            return "the \(kind) it runs for the story stopped at step \(step): \(reason)"
        }
    }
}

/// The lab's own time, for a run pbsha makes in the lab's past: waiting moves the lab's
/// clock (`advance`) instead of the wall's, so a test backup that takes minutes of lab time
/// takes none of the operator's.
final class LabStagingClock: WallClock, @unchecked Sendable {
    private let lab: LabRuntime
    private let worldNow: Double
    private let clockNow: Double
    private let speed: Double
    private let wall: any WallClock
    private let lock = NSLock()
    private var moved: Double = 0

    init(lab: LabRuntime, worldNow: Double, clockNow: Double, speed: Double, wall: any WallClock) {
        self.lab = lab
        self.worldNow = worldNow
        self.clockNow = clockNow
        self.speed = speed
        self.wall = wall
    }

    func now() -> Double { worldNow + (wall.now() - clockNow) * speed + lock.withLock { moved } }

    func sleep(seconds: Double) async {
        let step = max(1, Int(seconds.rounded(.up)))
        _ = await lab.control(["advance", "\(step)s"])
        lock.withLock { moved += Double(step) }
        await Task.yield()
    }
}
