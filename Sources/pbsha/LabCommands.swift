import ArgumentParser
import Dispatch
import Foundation
import Lab

/// `pbsha lab`: the embedded simulated pair.
struct LabCommandGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab", abstract: "Run or drive the simulated PBS pair.", subcommands: [Serve.self, Control.self])

    /// `pbsha lab serve --state-dir DIR`.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve", abstract: "Run the lab in the foreground; writes DIR/pbsha.toml and prints `ready DIR/pbsha.toml`.")

        @Option(name: .long, help: "Directory for the lab's state, certificates, secrets and config.")
        var stateDir: String

        @Option(name: .long, help: "How fast the simulated clock runs (1 = real time).")
        var speed: Double = 1

        func run() async throws {
            guard speed > 0, speed <= 10_000 else {
                Output.error("pbsha: --speed must be above 0 and at most 10000")
                throw Exit.usage
            }
            let directory = URL(fileURLWithPath: stateDir).standardizedFileURL.path
            let runtime: LabRuntime
            do {
                runtime = try await LabRuntime.start(stateDir: directory, speed: speed)
            } catch {
                Output.error("pbsha: cannot start the lab: \(error)")
                throw Exit.usage
            }
            Output.line("ready \(runtime.configPath)")
            await Signals.wait(for: [SIGINT, SIGTERM, SIGHUP])
            await runtime.shutdown()
        }
    }

    /// `pbsha lab ctl --state-dir DIR COMMAND…`.
    struct Control: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ctl", abstract: "Drive a running lab: node primary|secondary down|up|hang; sync fail|warn|heal; "
                + "corrupt secondary N; backup now; advance DURATION; show pve; status.")

        @Option(name: .long, help: "The state directory of the running lab.")
        var stateDir: String

        @Argument(help: "The command, e.g. `node primary down`.")
        var command: [String]

        func run() async throws {
            let directory = URL(fileURLWithPath: stateDir).standardizedFileURL.path
            do {
                let (ok, message) = try await LabControl.send(command, stateDir: directory)
                ok ? Output.line(message) : Output.error("pbsha: \(message)")
                if !ok { throw Exit.usage }
            } catch let error as LabError {
                Output.error("pbsha: \(error)")
                throw Exit.unreachable
            }
        }
    }
}
