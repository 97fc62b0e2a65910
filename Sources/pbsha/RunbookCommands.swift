import ArgumentParser
import BuiltIn
import Foundation
import PairEngine
import ProxmoxAPI

/// `pbsha failover`: the failover runbook without the console (scripted mode).
struct FailoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failover", abstract: "Run (or resume) the failover runbook: exit 0 done, 1 at a gate or waiting for a person, 2 config.")

    @OptionGroup var source: PairSource
    @OptionGroup var options: RunbookOptions

    func run() async throws { try await options.execute("failover", source: source) }
}

/// `pbsha failback`: the failback runbook without the console (scripted mode).
struct FailbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failback", abstract: "Run (or resume) the failback runbook: exit 0 done, 1 at a gate or waiting for a person, 2 config.")

    @OptionGroup var source: PairSource
    @OptionGroup var options: RunbookOptions

    func run() async throws { try await options.execute("failback", source: source) }
}

/// What `failover` and `failback` take besides the config.
struct RunbookOptions: ParsableArguments {
    @Flag(name: .long, help: "Plan every step and change nothing (nothing is journaled).")
    var dryRun = false

    @Option(name: .long, help: "Who acts (journaled with every event; default $USER).")
    var `operator`: String?

    @Flag(name: .long, help: "Type the confirmations and acknowledgments (never overrides a hard gate).")
    var yes = false

    @Option(name: .long, help: "The primary's recovery ticket reference (step 5).")
    var ticket: String?

    @Option(name: .long, help: "Say that manual step N is done (repeatable).")
    var done: [Int] = []

    @Option(name: .long, help: "Skip step N of the active run (needs --reason), then stop.")
    var skip: Int?

    @Option(name: .long, help: "Why the step is skipped or the gate overridden (journaled).")
    var reason: String?

    @Option(name: .long, help: "Pass over an overridable hard gate (needs --reason), e.g. caught-up.")
    var override: String?

    @Flag(name: .long, help: "End the active run unfinished (needs --reason); nothing on the nodes changes.")
    var abort = false

    @Option(name: .long, help: "Give step N of the active run to a person (needs --to), then stop.")
    var assign: Int?

    @Option(name: .long, help: "Who takes the step.")
    var to: String?

    @Option(name: .long, help: "Add a note to step N of the active run (needs --text), then stop.")
    var note: Int?

    @Option(name: .long, help: "The note.")
    var text: String?

    func validate() throws {
        if skip != nil, (reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--skip needs --reason TEXT") }
        if override != nil, (reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--override needs --reason TEXT") }
        if override != nil, skip != nil { throw ValidationError("give --skip or --override, not both (--reason belongs to one)") }
        if abort, (reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--abort needs --reason TEXT") }
        if abort, skip != nil || override != nil || assign != nil || note != nil { throw ValidationError("--abort stands alone (with --reason)") }
        if assign != nil, (to ?? "").isEmpty { throw ValidationError("--assign needs --to NAME") }
        if note != nil, (text ?? "").isEmpty { throw ValidationError("--note needs --text TEXT") }
        if [skip, assign, note].compactMap({ $0 }).count > 1 { throw ValidationError("give one of --skip, --assign, --note at a time") }
    }

    func execute(_ kind: String, source: PairSource) async throws {
        let session = try await PairSession.open(source)
        // Closed before any exit, so a throw-away lab (--lab) is removed too.
        do {
            try await run(session, kind: kind)
        } catch {
            await session.close()
            throw error
        }
        await session.close()
    }

    private func run(_ session: PairSession, kind: String) async throws {
        let desk = try Runbooks.desk(session, actor: self.operator)
        guard let runbook = desk.runbooks[kind] else {
            Output.error("pbsha: \(desk.problems[kind] ?? "no \(kind) runbook")")
            throw Exit.usage
        }
        if dryRun {
            Output.line(try await desk.dryRun(kind))
            return
        }
        if abort {
            do {
                let run = try desk.abort(kind, reason: reason ?? "")
                Output.line(Runbooks.progress(run, runbook: runbook, now: Int64(Date().timeIntervalSince1970)))
                Output.line("\(kind) \(run.id) aborted: what its done steps changed stays as it is (pbsha report \(run.id) lists it)")
                return
            } catch {
                Output.error("pbsha: \(error)")
                throw Exit.refused
            }
        }
        if skip != nil || assign != nil || note != nil {
            do {
                let run = try skip.map { try desk.skip(kind, step: $0, reason: reason ?? "") }
                    ?? assign.map { try desk.assign(kind, step: $0, to: to ?? "") } ?? desk.note(kind, step: note ?? 0, text ?? "")
                Output.line(Runbooks.progress(run, runbook: runbook, now: Int64(Date().timeIntervalSince1970)))
                return
            } catch {
                Output.error("pbsha: \(error)")
                throw Exit.refused
            }
        }
        let outcome: StepEngine.Outcome
        do { outcome = try await desk.advance(kind, Decisions(confirmAll: yes, ticket: ticket, manualDone: Set(done),
                                                                     overrides: override.map { [$0: reason ?? ""] } ?? [:])) } catch {
            Output.error("pbsha: \(error)")
            throw Exit.usage
        }
        Output.line(Runbooks.progress(outcome.run, runbook: runbook, now: Int64(Date().timeIntervalSince1970)))
        switch outcome {
        case .finished(let run):
            Output.line("\(kind) \(run.id) done; report: pbsha report \(run.id)")
        case .waiting(let run, let step, let reason):
            // What a confirmation would apply: the operator reads it before running with --yes.
            Output.line(Runbooks.pending(run, step: step))
            Output.line("waiting for the operator at step \(step): \(reason)")
            throw Exit.refused
        case .refused(_, let step, let reason):
            Output.line("refused at step \(step): \(reason)")
            throw Exit.refused
        }
    }
}

/// `pbsha runs [--json] [--follow]`: the journal's runbook runs, newest first; with
/// `--follow`, then every event another process journals, within a second.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runs", abstract: "List the journal's runbook runs, newest first.")

    @OptionGroup var source: PairSource

    @Flag(name: .long, help: "An array of {id, kind, state, started, operator, drill} (drill: the scenario, or null for a live run).")
    var json = false

    @Flag(name: .long, help: "Then print each new journal event as it is written (by any process), until interrupted.")
    var follow = false

    func validate() throws {
        if json && follow { throw ValidationError("--follow prints lines; it does not combine with --json") }
    }

    func run() async throws {
        if follow { return try await followEvents() }
        let runs = try await Runbooks.runs(source).reversed()
        if json {
            Output.line(JSONValue.array(runs.map { run in
                .object([("id", .string(run.id)), ("kind", .string(run.runbook)), ("state", .string(run.state.rawValue)),
                         ("started", .time(run.started)), ("operator", .string(run.startedBy)), ("drill", .text(run.drill))])
            }).serialized())
        } else if runs.isEmpty {
            Output.line("no runs in the journal")
        } else {
            for run in runs {
                let drill = run.drill.map { run.setup ? "  DRILL \($0) (its story's setup)" : "  DRILL \($0)" } ?? ""
                Output.line("\(run.id)  \(run.runbook)  \(run.state.rawValue)  \(Timestamps.rfc3339(run.started))  \(run.startedBy)\(drill)")
            }
        }
    }
}

extension RunsCommand {
    /// Polls the journal once a second and prints what other processes wrote.
    private func followEvents() async throws {
        let session = try await PairSession.open(source)
        let path = Runbooks.journalPath(session.config)
        await session.close()
        let follower: JournalFollower
        do {
            _ = try Journal(path: path) // creates and migrates it, so there is something to follow
            follower = try JournalFollower(path: path)
            _ = try follower.poll()
        } catch {
            Output.error("pbsha: \(error)")
            throw Exit.usage
        }
        Output.line("following \(path) (Ctrl-C ends)")
        while true {
            do {
                for event in try follower.poll() { Output.line(Self.line(event)) }
            } catch {
                Output.error("pbsha: \(error)")
                throw Exit.usage
            }
            try await Task.sleep(for: .seconds(1))
        }
    }

    /// One event on one line: time, run, step, kind, who, and its details (a diff's lines
    /// are left to the report).
    static func line(_ event: JournalEvent) -> String {
        let details = event.detail.filter { $0.key != "diff" }.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.replacingOccurrences(of: "\n", with: " | "))" }
        let step = event.step.map { " step \($0)" } ?? ""
        return (["#\(event.sequence ?? 0) \(Timestamps.rfc3339(event.time)) \(event.run)\(step) \(event.kind.rawValue) by \(event.actor)@\(event.host)"] + details)
            .joined(separator: " ")
    }
}

/// `pbsha report RUN [--format md|json]`: one run's timeline.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "Print a run's timeline for a post-incident review.")

    @OptionGroup var source: PairSource

    @Argument(help: "The run's id (see pbsha runs).")
    var run: String

    @Option(name: .long, help: "md or json.")
    var format = "md"

    func validate() throws {
        guard ["md", "json"].contains(format) else { throw ValidationError("--format takes md or json, got \(format)") }
    }

    func run() async throws {
        guard let found = try await Runbooks.runs(source).first(where: { $0.id == run }) else {
            Output.error("pbsha: no run '\(run)' in the journal; pbsha runs lists them")
            throw Exit.usage
        }
        let now = Int64(Date().timeIntervalSince1970)
        Output.line(format == "json" ? RunReport.json(found, now: now).serialized() : RunReport.markdown(found, now: now))
    }
}

/// What the runbook commands share.
enum Runbooks {
    /// Both runbooks, the journal and the run context of a session: what the scripted
    /// commands and the console act through. Prints the problem and exits 2 when a runbook
    /// file, the journal or the webhook's trust store cannot be read.
    /// `readOnly` (the wallboard): only GET requests can leave, whatever is asked. `drill`:
    /// the desk of a drill console (its runs are drills, scored when they end).
    static func desk(_ session: PairSession, actor: String?, readOnly: Bool = false, drill: Scenario? = nil) throws -> RunbookDesk {
        var runbooks: [String: Runbook] = [:]
        var problems: [String: String] = [:]
        for kind in ["failover", "failback"] {
            do { runbooks[kind] = try load(kind, session.config) } catch { problems[kind] = "\(error)" }
        }
        let webhooks: any HTTPTransport
        do {
            webhooks = session.config.notify?.webhookFingerprint == nil
                ? try PinnedHTTPSClient(limits: session.transport.limits, trust: .authorities(pemFile: nil)) : session.transport
        } catch {
            Output.error("pbsha: cannot load the system's CA store for the webhook: \(error)")
            throw Exit.usage
        }
        let context = RunContext(config: session.config, reads: ReadOnlyTransport(session.transport),
                                 writes: readOnly ? ReadOnlyTransport(session.transport) : session.transport,
                                 webhooks: readOnly ? ReadOnlyTransport(webhooks) : webhooks, clock: SystemClock())
        let store: KillSwitchStore
        do {
            store = try KillSwitchStore(try Journal(path: journalPath(session.config)), setting: ProcessInfo.processInfo.environment["PBSHA_KILL_AFTER"])
        } catch {
            Output.error("pbsha: \(error)")
            throw Exit.usage
        }
        return RunbookDesk(runbooks: runbooks, problems: problems, journal: store, context: context,
                           actions: ["failover": FailoverActions.all(), "failback": FailbackActions.all()],
                           actor: actor ?? ProcessInfo.processInfo.environment["USER"] ?? "operator", drill: drill)
    }

    /// The config's own runbook file for `kind`, else the built-in one.
    static func load(_ kind: String, _ config: PairConfig) throws -> Runbook {
        if let path = config.runbookFiles[kind] { return try RunbookLoader.load(path: path, kind: kind) }
        guard let builtIn = BuiltIn.runbook(kind) else { throw RunbookError(file: "\(kind).toml", line: nil, message: "the built-in runbook is missing from this installation") }
        return try RunbookLoader.parse(builtIn.text, file: builtIn.path, kind: kind)
    }

    static func journalPath(_ config: PairConfig) -> String { "\(config.stateDir)/journal.sqlite" }

    static func runs(_ source: PairSource) async throws -> [RunState] {
        let session = try await PairSession.open(source)
        let journal = Result { try Journal(path: journalPath(session.config)).events() }
        await session.close()
        do {
            return RunState.runs(from: try journal.get())
        } catch {
            Output.error("pbsha: \(error)")
            throw Exit.usage
        }
    }

    /// The planned changes of a step that are not applied yet, with their diffs.
    static func pending(_ run: RunState, step number: Int) -> String {
        guard let step = run.steps.first(where: { $0.number == number }) else { return "" }
        let open = step.planned.filter { !step.applied($0.change, on: $0.target) }
        guard !open.isEmpty else { return "" }
        return (["planned at step \(number):"] + open.map { change in
            (["  \(change.target): \(change.change)"] + (change.detail["diff"] ?? "").split(separator: "\n").map { "      \($0)" }).joined(separator: "\n")
        }).joined(separator: "\n")
    }

    /// One line per step: state, elapsed against the estimate.
    static func progress(_ run: RunState, runbook: Runbook, now: Int64) -> String {
        runbook.steps.enumerated().map { index, step in
            let state = run.steps.first { $0.number == index + 1 }
            let elapsed = state?.elapsed(now: now).map { Durations.format(Int($0)) } ?? "-"
            let estimate = step.estimateSeconds.map(Durations.format) ?? "async"
            let late = (state?.elapsed(now: now) ?? 0) > Int64(step.estimateSeconds ?? .max) ? " LATE" : ""
            return "step \(index + 1)/\(runbook.steps.count) \(state?.status.rawValue ?? "pending")  \(step.title) (\(step.owner)) \(elapsed) of \(estimate)\(late)"
        }.joined(separator: "\n")
    }
}
