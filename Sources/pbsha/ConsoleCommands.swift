import ArgumentParser
import Console
import Foundation
import PairEngine

/// Options of the full-screen views.
struct ScreenOptions: ParsableArguments {
    @Option(name: .long, help: "Seconds between refreshes (2 to 3600).")
    var refresh: Double = 5

    @Flag(name: .long, help: "Draw lines with ASCII characters only.")
    var ascii = false

    func validate() throws {
        guard refresh.isFinite, (2...3600).contains(refresh) else {
            throw ValidationError("--refresh takes seconds from 2 to 3600, got \(refresh)")
        }
    }
}

/// `pbsha console` (also plain `pbsha`): the operator's dashboard.
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "console", abstract: "The full-screen console (the default command).")

    @OptionGroup var source: PairSource
    @OptionGroup var screen: ScreenOptions

    func run() async throws {
        try await Screens.open(source: source, options: screen, wallboard: false)
    }
}

/// `pbsha wallboard`: read-only, glanceable, no action keys.
struct WallboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wallboard", abstract: "Read-only wallboard: no key starts any action.")

    @OptionGroup var source: PairSource
    @OptionGroup var screen: ScreenOptions

    func run() async throws {
        try await Screens.open(source: source, options: screen, wallboard: true)
    }
}

enum Screens {
    /// Opens the console or wallboard; without a terminal (no TTY, TERM=dumb) prints `status` instead.
    static func open(source: PairSource, options: ScreenOptions, wallboard: Bool) async throws {
        let environment = ProcessInfo.processInfo.environment
        guard isatty(0) == 1, isatty(1) == 1, environment["TERM"] != "dumb" else {
            Output.error("pbsha: no interactive terminal (or TERM=dumb); printing the status once instead")
            try await StatusCommand.show(source, json: false)
            return
        }
        let session = try await PairSession.open(source)
        // A hung node must not hold back the other's figures: a refresh waits two seconds at most.
        let reader = session.reader(readOnly: wallboard, patience: 2)
        let state = ConsoleState(mode: source.lab ? .lab : .live, wallboard: wallboard, pairName: session.config.name,
                                 rpoSeconds: session.config.rpoSeconds, width: 80, height: 24, now: Date().timeIntervalSince1970,
                                 refreshInterval: options.refresh, ascii: options.ascii)
        // Without a journal the console still watches; the runbook screen then says why not.
        let desk = try? Runbooks.desk(session, actor: nil, readOnly: wallboard)
        let outcome = await ConsoleRuntime.run(state, reader: reader, desk: desk)
        await session.close()
        if case .noTerminal(let message) = outcome {
            Output.error("pbsha: \(message)")
            throw Exit.usage
        }
    }
}
