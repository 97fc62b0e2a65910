import ArgumentParser
import PairEngine

/// `pbsha status [--json]`: one snapshot of the pair.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show one snapshot of the pair (exit 3 when a node is unreachable).")

    @OptionGroup var source: PairSource

    @Flag(name: .long, help: "Print the JSON document described in docs/status-json.md.")
    var json = false

    func run() async throws {
        try await Self.show(source, json: json)
    }

    /// Reads the pair once and prints it; exit 3 when a node could not be reached.
    static func show(_ source: PairSource, json: Bool) async throws {
        let session = try await PairSession.open(source)
        let (state, report) = await session.reader(readOnly: true).observe()
        await session.close()
        if json {
            Output.line(StatusDocument.build(state, report, config: session.config).serialized())
        } else {
            Output.line(StatusText.render(state, report, config: session.config))
        }
        if !state.primary.reachable || !state.secondary.reachable { throw Exit.unreachable }
    }
}

/// `pbsha check`: a Nagios/Icinga plugin.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Monitoring plugin: one line with perfdata; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.")

    @OptionGroup var source: PairSource

    func run() async throws {
        let session: PairSession
        do {
            session = try await PairSession.open(source)
        } catch {
            Output.line("PBSHA UNKNOWN - cannot load the config; run `pbsha status` for details")
            throw ExitCode(3)
        }
        let (_, report) = await session.reader(readOnly: true).observe()
        await session.close()
        Output.line(CheckLine.render(report, config: session.config))
        throw ExitCode(report.overall.exitCode)
    }
}
