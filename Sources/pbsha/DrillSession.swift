import Foundation
import Lab
import PairEngine
import ProxmoxAPI

/// A drill's lab and the session the console acts through: the lab's nodes, hosts, tokens,
/// shell and webhook; the given config's journal and runbooks (`DrillConfig`).
struct DrillSession {
    let scenario: Scenario
    let session: PairSession
    /// What staging the story did, a line each.
    let staged: [String]
    /// The operator's config, when one was found: its journal remembers the drill.
    let given: PairConfig?
    /// When the operator's part began (runs before it are the story's).
    let began: Int64

    /// Starts a new lab in a temporary directory and stages `scenario` on it, for the pair
    /// `given` (`givenConfig`). Runbook and journal problems exit 2 with the message, the lab
    /// stopped again.
    static func open(_ scenario: Scenario, given: PairConfig?, speed: Double) async throws -> DrillSession {
        let directory = try PairSession.temporaryDirectory()
        let lab: LabRuntime
        do {
            lab = try await LabRuntime.start(stateDir: directory, speed: speed, pbshaCommand: Executable.path)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            Output.error("pbsha: cannot start the drill's lab: \(error)")
            throw Exit.usage
        }
        let session: PairSession
        do {
            let labConfig = try ConfigLoader.load(path: lab.configPath)
            session = PairSession(config: DrillConfig.merge(lab: labConfig, given: given),
                                  transport: try PinnedHTTPSClient(limits: .init(connectTimeout: 3, requestTimeout: 8)), lab: lab)
        } catch {
            await lab.shutdown()
            try? FileManager.default.removeItem(atPath: directory)
            Output.error("pbsha: cannot read the drill's lab: \(error)")
            throw Exit.usage
        }
        do {
            var runbooks: [String: Runbook] = [:]
            for kind in ["failover", "failback"] { runbooks[kind] = try Runbooks.load(kind, session.config) }
            let journal = try Journal(path: Runbooks.journalPath(session.config))
            try closeAbandoned(journal, session: session)
            switch await lab.stage(scenario, runbooks: runbooks, journal: journal) {
            case .success(let said):
                return DrillSession(scenario: scenario, session: session, staged: said, given: given, began: Int64(Date().timeIntervalSince1970))
            case .failure(let error):
                throw error
            }
        } catch {
            await session.close()
            Output.error("pbsha: \(error)")
            throw Exit.usage
        }
    }

    /// The operator's config: `--config`, else the usual search; none found is fine (the
    /// drill then journals into the lab, and is forgotten with it).
    static func givenConfig(_ explicit: String?) throws -> PairConfig? {
        let path: String
        do { path = try ConfigLoader.locate(explicit: explicit) } catch {
            guard explicit == nil else {
                Output.error("pbsha: \(error)")
                throw Exit.usage
            }
            return nil
        }
        do { return try ConfigLoader.load(path: path) } catch {
            Output.error("pbsha: \(error)")
            throw Exit.usage
        }
    }

    /// A drill run left open by a drill that died (its lab is gone) is aborted and scored as
    /// such, so the next drill starts afresh rather than resuming against a new lab.
    private static func closeAbandoned(_ journal: Journal, session: PairSession) throws {
        guard let open = RunState.active(in: try journal.events(), drill: true) else { return }
        let scenario = (try? ScenarioLoader.builtIn())?.first { $0.name == open.drill }
        let desk = try Runbooks.desk(session, actor: "pbsha", drill: scenario)
        _ = try desk.abort(open.runbook, reason: "its drill ended without closing it (the lab it ran on is gone)")
    }

    /// What the operator reads before the clock starts, wrapped for an 80-column terminal.
    var briefing: String {
        let speed = session.lab?.speed ?? 1
        var paragraphs = ["DRILL \(scenario.name): \(scenario.title)",
                          "runbook: \(scenario.runbook)   RTO: \(Durations.format(scenario.rtoSeconds))   lab clock: x\(speed == speed.rounded() ? "\(Int(speed))" : "\(speed)")", ""]
        // The story's own line breaks are for the file; a blank line is a paragraph.
        for paragraph in scenario.story.components(separatedBy: "\n\n") {
            paragraphs += [paragraph.split(separator: "\n").joined(separator: " "), ""]
        }
        paragraphs.append("Staged on the lab:")
        paragraphs += staged.map { "- " + $0.replacingOccurrences(of: "0s before: ", with: "at the start: ") }
        paragraphs += ["", "Every action reaches only this lab (\(session.lab?.stateDir ?? "?"); `pbsha lab ctl --state-dir DIR` drives it).",
                       given.map { "The journal is \(Runbooks.journalPath($0)): pair \($0.name) will know of this drill; its runbooks are the pair's." }
                           ?? "No config was found: the drill journals into the lab and is forgotten with it (give --config FILE to remember it).",
                       "Open the \(scenario.runbook) runbook with \(scenario.runbook == "failover" ? "f" : "b"); q leaves the drill."]
        return paragraphs.flatMap { $0.isEmpty ? [""] : StatusText.wrap($0, width: 79, indent: $0.hasPrefix("- ") ? 2 : 0) }.joined(separator: "\n")
    }

    /// After the console: the operator's drill run (aborted if it was left open) and its scorecard.
    func finish(_ desk: RunbookDesk) -> String {
        let now = Int64(Date().timeIntervalSince1970)
        guard let mine = try? desk.read(now: now).runs.first(where: { $0.drill == scenario.name && !$0.setup && $0.started >= began }) else {
            return "No \(scenario.runbook) run was started: nothing to score."
        }
        var run = mine
        if run.state == .active {
            do { run = try desk.abort(run.runbook, reason: "the drill console was closed before the run ended") } catch {
                return "pbsha: could not close drill run \(run.id): \(error)"
            }
        }
        guard let card = run.scorecard else { return "pbsha: drill run \(run.id) ended without a scorecard in the journal" }
        let verdict = "Drill \(card.passed ? "PASS" : "FAIL"): \(run.id) \(card.state) in \(Durations.exact(card.totalSeconds)) against an RTO of "
            + "\(Durations.exact(card.rtoSeconds))\(card.shortfalls.isEmpty ? "" : "; short of a good run: \(card.shortfalls.joined(separator: "; "))")."
        return "\(card.markdown)\n\n\(verdict)\nSaved in the journal: pbsha report \(run.id)\(given.map { " --config \($0.file)" } ?? "") prints it again."
    }

    func close() async { await session.close() }
}
