import ArgumentParser
import Dispatch
import Foundation
import Lab
import PairEngine

/// `pbsha lab`: the embedded simulated pair.
struct LabCommandGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab", abstract: "Run or drive the simulated PBS pair.", subcommands: [Serve.self, Control.self, Shell.self])

    /// `pbsha lab serve --state-dir DIR`.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve", abstract: "Run the lab in the foreground; writes DIR/pbsha.toml and prints `ready DIR/pbsha.toml`.")

        @Option(name: .long, help: "Directory for the lab's state, certificates, secrets and config.")
        var stateDir: String

        @Option(name: .long, help: "How fast the simulated clock runs (1 = real time).")
        var speed: Double = 1

        @Option(name: .long, help: "A new lab only: this many more groups, of retired guests (vm/5000 on), synced to the secondary.")
        var groups = 0

        @Option(name: .long, help: "A new lab only: hourly snapshots in each of the --groups groups.")
        var snapshotsPerGroup = 0

        @Option(name: .long, help: "A new lab only: stage a drill scenario's events (pbsha drill list names them).")
        var scenario: String?

        func run() async throws {
            guard speed > 0, speed <= 10_000 else {
                Output.error("pbsha: --speed must be above 0 and at most 10000")
                throw Exit.usage
            }
            let archive: LabArchive?
            switch LabArchive.sized(groups: groups, perGroup: snapshotsPerGroup) {
            case .success(let sized): archive = sized
            case .failure(let error):
                Output.error("pbsha: \(error)")
                throw Exit.usage
            }
            let staged = try scenario.map(DrillScenarios.named)
            let directory = URL(fileURLWithPath: stateDir).standardizedFileURL.path
            if staged != nil, FileManager.default.fileExists(atPath: "\(directory)/lab-state.json") {
                Output.error("pbsha: --scenario stages a new lab; \(directory) already holds one: give another --state-dir")
                throw Exit.usage
            }
            let runtime: LabRuntime
            do {
                runtime = try await LabRuntime.start(stateDir: directory, speed: speed, archive: archive, pbshaCommand: Executable.path)
            } catch {
                Output.error("pbsha: cannot start the lab: \(error)")
                throw Exit.usage
            }
            if let staged {
                // A `run` event journals into the lab config's journal, with the built-in runbooks.
                let config = try? ConfigLoader.load(path: runtime.configPath)
                var runbooks: [String: Runbook] = [:]
                for kind in ["failover", "failback"] { runbooks[kind] = config.flatMap { try? Runbooks.load(kind, $0) } }
                let journal = config.flatMap { try? Journal(path: Runbooks.journalPath($0)) }
                switch await runtime.stage(staged, runbooks: runbooks, journal: journal) {
                case .success(let said):
                    Output.line("scenario \(staged.name): \(staged.title)\n\(staged.story)\n" + said.map { "  lab: \($0)" }.joined(separator: "\n"))
                case .failure(let error):
                    Output.error("pbsha: \(error)")
                    await runtime.shutdown()
                    throw Exit.usage
                }
            }
            Output.line("ready \(runtime.configPath)")
            await Signals.wait(for: [SIGINT, SIGTERM, SIGHUP])
            await runtime.shutdown()
        }
    }

    /// `pbsha lab ctl --state-dir DIR COMMAND…`.
    struct Control: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ctl", abstract: "Drive a running lab: node NODE down|up|hang; sync fail|warn|heal; corrupt secondary N; "
                + "backup now; advance DURATION; acl; owner; firewall; cert NODE renew; pve NAME backup-token revoke; "
                + "show pve|notifications; status (run with no valid command for the full list).")

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

    /// `pbsha lab shell --state-dir DIR HOST -- COMMAND…`: what the lab config's
    /// `remote-shell` runs. Behaves like `ssh root@HOST COMMAND…`: the words are joined with
    /// spaces and run by `/bin/sh` on the host's files (`/etc/pve` is the host's directory
    /// in DIR); when the host is down or hung it fails as ssh does, with exit 255.
    struct Shell: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "shell", abstract: "Run a command on a lab PVE host's files, as `ssh root@HOST COMMAND` would.")

        @Option(name: .long, help: "The state directory of the running lab.")
        var stateDir: String

        @Argument(help: "The lab PVE host, e.g. pve-a.")
        var host: String

        @Argument(parsing: .postTerminator, help: "The command, after `--`.")
        var command: [String] = []

        func run() async throws {
            let directory = URL(fileURLWithPath: stateDir).standardizedFileURL.path
            let mode: String
            do {
                let (ok, message) = try await LabControl.send(["shell-target", host], stateDir: directory)
                guard ok else {
                    Output.error("ssh: Could not resolve hostname \(host): Name or service not known")
                    throw ExitCode(255)
                }
                mode = message
            } catch is LabError {
                Output.error("ssh: connect to host \(host) port 22: Connection refused")
                throw ExitCode(255)
            }
            switch mode {
            case "down":
                Output.error("ssh: connect to host \(host) port 22: Connection refused")
                throw ExitCode(255)
            case "hang":
                Output.error("ssh: connect to host \(host) port 22: Connection timed out")
                throw ExitCode(255)
            default:
                break
            }
            // Relative to the host's directory, so a state directory with blanks or quotes
            // never enters the shell's text.
            let line = command.joined(separator: " ").replacingOccurrences(of: "/etc/pve", with: "./etc/pve")
            let process = Process()
            process.currentDirectoryURL = URL(fileURLWithPath: "\(directory)/pve/\(host)")
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", line]
            do { try process.run() } catch {
                Output.error("pbsha: cannot run /bin/sh: \(error)")
                throw ExitCode(255)
            }
            process.waitUntilExit()
            if process.terminationStatus != 0 { throw ExitCode(process.terminationStatus) }
        }
    }
}
