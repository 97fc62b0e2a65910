import CNCurses
import Foundation
import PairEngine
import ProxmoxAPI

/// Runs the console: the loop that feeds messages to `Update`, performs effects off the
/// loop, renders, and paints through curses. Input never waits for the network.
public enum ConsoleRuntime {
    /// How the terminal session ended.
    public enum Outcome: Sendable, Equatable {
        case quit
        /// No terminfo entry for $TERM or any fallback.
        case noTerminal(String)
    }

    public static func run(_ initial: ConsoleState, reader: PairReader, clock: any WallClock = SystemClock(),
                           environment: [String: String] = ProcessInfo.processInfo.environment) -> Outcome {
        pbsha_signals_install()
        setlocale(LC_ALL, "")
        var state = initial
        if pbsha_locale_is_utf8() == 0 { state.ascii = true }
        guard let terminal = CursesTerminal(environment: environment) else {
            return .noTerminal("no terminal description for TERM=\(environment["TERM"] ?? "(unset)") or xterm-256color, xterm, vt100; try TERM=xterm-256color, or use pbsha status")
        }
        defer { terminal.stop() }
        state.notice = terminal.notice
        (state.width, state.height) = terminal.size
        let inbox = Inbox()
        var lastSecond = -1
        var dirty = true
        _ = perform(Update.apply(&state, .tick(clock.now())), reader: reader, inbox: inbox)

        while !state.quitRequested {
            var messages: [Msg] = inbox.drain()
            if pbsha_signal_take() != 0 { messages.append(.terminate) }
            switch terminal.read(milliseconds: messages.isEmpty ? 250 : 0) {
            case .key(let key)?: messages.append(.key(key))
            case .resize?:
                let size = terminal.size
                messages.append(.resize(width: size.width, height: size.height))
                terminal.forget()
            case .ignored?, nil: break
            }
            let now = clock.now()
            messages.append(.tick(now))
            for message in messages {
                if case .tick = message {} else { dirty = true }
                if perform(Update.apply(&state, message), reader: reader, inbox: inbox) { state.quitRequested = true }
            }
            // Redraw for news, or once a second for the clock and the ages.
            if dirty || Int(clamping: now) != lastSecond {
                terminal.paint(Render.frame(state))
                lastSecond = Int(clamping: now)
                dirty = false
            }
        }
        return .quit
    }

    /// Starts each effect; true when one of them is `quit`.
    private static func perform(_ effects: [Effect], reader: PairReader, inbox: Inbox) -> Bool {
        var quit = false
        for effect in effects {
            switch effect {
            case .quit:
                quit = true
            case .refresh:
                Task.detached {
                    let (pair, report) = await reader.observe()
                    inbox.post(.observed(pair, report))
                }
            case let .loadLog(node, upid, from):
                Task.detached {
                    do {
                        let (lines, active) = try await reader.taskLog(node: node, upid: upid, from: from)
                        inbox.post(.logLoaded(upid: upid, from: from, lines: lines, active: active))
                    } catch {
                        inbox.post(.logFailed(upid: upid, message: String(describing: error)))
                    }
                }
            }
        }
        return quit
    }
}

/// Messages from effect tasks to the loop.
final class Inbox: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [Msg] = []

    func post(_ message: Msg) { lock.withLock { messages.append(message) } }

    func drain() -> [Msg] {
        lock.withLock {
            defer { messages = [] }
            return messages
        }
    }
}
