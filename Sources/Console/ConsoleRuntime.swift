import CNCurses
import Foundation
import PairEngine
import ProxmoxAPI

/// Runs the console: the loop that feeds messages to `Update`, performs effects off the
/// loop, renders, and paints through curses. Input never waits for the network.
///
/// The loop runs on a thread of its own, never on one of Swift's cooperative threads (there
/// are only as many as CPUs; on a one-vCPU jump host a blocked one would starve every
/// network read). It sleeps until a key, a message from an effect (the inbox wakes it), a
/// signal, or the next whole second (the header's clock and the ages), whichever is first.
public enum ConsoleRuntime {
    /// How the terminal session ended.
    public enum Outcome: Sendable, Equatable {
        case quit
        /// No terminfo entry for $TERM or any fallback.
        case noTerminal(String)
    }

    public static func run(_ initial: ConsoleState, reader: PairReader, desk: RunbookDesk? = nil, clock: any WallClock = SystemClock(),
                           environment: [String: String] = ProcessInfo.processInfo.environment) async -> Outcome {
        await onOwnThread {
            pbsha_signals_install()
            defer { pbsha_signals_restore() }
            guard pbsha_wake_open() == 0 else { return .noTerminal("cannot create the wake-up pipe: \(String(cString: strerror(errno)))") }
            defer { pbsha_wake_close() }
            setlocale(LC_ALL, "")
            var state = initial
            if pbsha_locale_is_utf8() == 0 { state.ascii = true }
            guard let terminal = CursesTerminal(environment: environment) else {
                return .noTerminal("no terminal description for TERM=\(environment["TERM"] ?? "(unset)") or xterm-256color, xterm, vt100; try TERM=xterm-256color, or use pbsha status")
            }
            defer { terminal.stop() }
            state.notice = terminal.notice
            return loop(state, terminal: terminal, reader: reader, desk: desk, clock: clock, signals: { Int(pbsha_signal_take()) })
        }
    }

    /// Runs `body` on a new thread and waits for it without holding a cooperative thread.
    static func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                pbsha_thread_set_name("pbsha-terminal")
                continuation.resume(returning: body())
            }
            thread.start()
        }
    }

    /// The loop itself, on whatever terminal; returns when the operator quits or a
    /// termination signal arrives (`signals` returns the one pending, or 0).
    static func loop(_ initial: ConsoleState, terminal: any TerminalBackend, reader: PairReader, desk: RunbookDesk? = nil, clock: any WallClock,
                     signals: () -> Int) -> Outcome {
        var state = initial
        (state.width, state.height) = terminal.size
        state.runbook.readable = desk != nil
        state.runbook.enabled = desk != nil && !state.wallboard
        state.runbook.problems = desk?.problems ?? [:]
        let effects = Effects(reader: reader, desk: desk, clock: clock, inbox: Inbox(wake: terminal.waker))
        let inbox = effects.inbox
        var lastSecond = -1
        var dirty = true
        _ = effects.perform(Update.apply(&state, .tick(clock.now())))

        while !state.quitRequested {
            var messages: [Msg] = inbox.drain()
            if signals() != 0 { messages.append(.terminate) }
            if messages.isEmpty {
                // Until the next whole second: the clock and the ages are drawn in seconds.
                let now = clock.now()
                let untilNextSecond = Int(((now.rounded(.down) + 1 - now) * 1000).rounded(.up))
                for event in terminal.wait(milliseconds: max(1, untilNextSecond)) {
                    switch event {
                    case .key(let key): messages.append(.key(key))
                    case .resize:
                        let size = terminal.size
                        messages.append(.resize(width: size.width, height: size.height))
                        terminal.forget()
                    case .ignored: break
                    }
                }
                messages += inbox.drain()
                if signals() != 0 { messages.append(.terminate) }
            }
            let now = clock.now()
            messages.append(.tick(now))
            for message in messages {
                if Update.changesView(message, state) { dirty = true }
                if case .runbookAnswered(let kind, _) = message { effects.finished(.runbook(kind)) }
                if effects.perform(Update.apply(&state, message)) { state.quitRequested = true }
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

}

/// Performs effects off the loop; each answers with a message in the inbox. Effects with an
/// identity are kept by it: a second start of the same is not begun, `cancel` stops one.
final class Effects: @unchecked Sendable {
    let reader: PairReader
    let desk: RunbookDesk?
    let clock: any WallClock
    let inbox: Inbox
    /// Only the loop's thread touches it.
    private var running: [EffectID: Task<Void, Never>] = [:]

    init(reader: PairReader, desk: RunbookDesk?, clock: any WallClock, inbox: Inbox) {
        self.reader = reader
        self.desk = desk
        self.clock = clock
        self.inbox = inbox
    }

    /// Starts each effect; true when one of them is `quit`.
    func perform(_ effects: [Effect]) -> Bool {
        var quit = false
        for effect in effects {
            switch effect {
            case .quit:
                quit = true
            case .refresh, .refreshEverything:
                let (reader, inbox) = (reader, inbox)
                Task.detached {
                    let (pair, report) = await reader.observe(everything: effect == .refreshEverything)
                    inbox.post(.observed(pair, report))
                }
            case let .loadLog(node, upid, from):
                let (reader, inbox) = (reader, inbox)
                Task.detached {
                    do {
                        let (lines, active) = try await reader.taskLog(node: node, upid: upid, from: from)
                        inbox.post(.logLoaded(upid: upid, from: from, lines: lines, active: active))
                    } catch {
                        inbox.post(.logFailed(upid: upid, message: String(describing: error)))
                    }
                }
            case .readRunbooks:
                guard let desk else { continue }
                let (inbox, now) = (inbox, Int64(clock.now()))
                // Most seconds nothing was written: answered here, on the loop, which drains
                // the inbox before it sleeps again, so nothing needs waking.
                if let reading = desk.readIfUnchanged(now: now) {
                    inbox.post(.runbooksRead(reading), wake: false)
                    continue
                }
                Task.detached {
                    do { inbox.post(.runbooksRead(try desk.read(now: now))) } catch { inbox.post(.runbooksFailed(String(describing: error))) }
                }
            case let .loadRunbookTaskLog(task, from):
                guard let desk else { continue }
                let inbox = inbox
                Task.detached {
                    do {
                        let (lines, active) = try await desk.taskLog(task, from: from)
                        inbox.post(.runbookTaskLogLoaded(upid: task.upid, from: from, lines: lines, active: active))
                    } catch {
                        inbox.post(.runbookTaskLogFailed(upid: task.upid, message: String(describing: error)))
                    }
                }
            case let .runbook(id, command):
                guard let desk, running[id] == nil else { continue }
                let inbox = inbox
                running[id] = Task.detached {
                    let message = await command.perform(on: desk)
                    inbox.post(.runbookAnswered(kind: command.kind, message: message))
                }
            case .cancel(let id):
                running.removeValue(forKey: id)?.cancel()
            }
        }
        return quit
    }

    /// Forgets an effect that answered.
    func finished(_ id: EffectID) { running[id] = nil }
}

/// Messages from effect tasks to the loop; posting one wakes the loop.
final class Inbox: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [Msg] = []
    private let wake: @Sendable () -> Void

    init(wake: @escaping @Sendable () -> Void) { self.wake = wake }

    /// `wake: false` only from the loop's own thread (it drains before it waits).
    func post(_ message: Msg, wake: Bool = true) {
        lock.withLock { messages.append(message) }
        if wake { self.wake() }
    }

    func drain() -> [Msg] {
        lock.withLock {
            defer { messages = [] }
            return messages
        }
    }
}
