import ArgumentParser
import Foundation

/// pbsha: an operator console for a Proxmox Backup Server pair.
@main
struct App: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pbsha",
        abstract: "Operator console for a Proxmox Backup Server primary/secondary pair.",
        subcommands: [ConsoleCommand.self, WallboardCommand.self, StatusCommand.self, CheckCommand.self,
                      CalendarCommand.self, StorageCfgCommand.self, FailoverCommand.self, FailbackCommand.self, RunsCommand.self, ReportCommand.self,
                      DrillCommand.self, LabCommandGroup.self])

    @OptionGroup var source: PairSource
    @OptionGroup var screen: ScreenOptions

    /// Like ArgumentParser's own entry point, but a usage error exits 2 (design.md section 4),
    /// not 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                Output.error(fullMessage(for: error))
                Foundation.exit(Exit.usage.rawValue)
            }
            exit(withError: error)
        }
    }

    func run() async throws {
        try await Screens.open(source: source, options: screen, wallboard: false)
    }
}

/// Where the pair comes from: a config file, or the embedded lab.
struct PairSource: ParsableArguments {
    @Option(name: .long, help: "Config file (default: $PBSHA_CONFIG, ./pbsha.toml, ~/.config/pbsha/config.toml, /etc/pbsha/config.toml).")
    var config: String?

    @Flag(name: .long, help: "Use the embedded simulated lab (no config needed).")
    var lab = false

    @Option(name: .long, help: "Seconds to wait for a node before calling it unreachable (0.5 to 600).")
    var timeout: Double = 8

    func validate() throws {
        guard timeout.isFinite, (0.5...600).contains(timeout) else {
            throw ValidationError("--timeout takes seconds from 0.5 to 600, got \(timeout)")
        }
    }
}

/// Writing to the terminal without buffering surprises.
enum Output {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// pbsha's documented exit codes.
enum Exit {
    static let success = ExitCode(0)
    static let refused = ExitCode(1)
    static let usage = ExitCode(2)
    static let unreachable = ExitCode(3)
}
