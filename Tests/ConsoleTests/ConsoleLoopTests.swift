import CNCurses
@testable import Console
import Foundation
@testable import PairEngine
import ProxmoxAPI
import Testing

/// A terminal whose `wait` never times out: only input or a wake-up ends it, so a loop that
/// relied on polling would hang here instead of passing.
final class SleepyTerminal: TerminalBackend, @unchecked Sendable {
    let size = (width: 80, height: 24)
    let notice: String? = nil
    private let condition = NSCondition()
    private var woken = false
    private var typed: [TerminalEvent] = []
    private(set) var frames: [Frame] = []
    private(set) var waits: [(thread: String?, milliseconds: Int)] = []
    /// Called with each painted frame; may type keys.
    var onPaint: (Frame, SleepyTerminal) -> Void = { _, _ in }

    var waker: @Sendable () -> Void {
        { [self] in
            condition.lock()
            woken = true
            condition.signal()
            condition.unlock()
        }
    }

    func paint(_ frame: Frame) {
        frames.append(frame)
        onPaint(frame, self)
    }

    func forget() {}
    func stop() {}

    func wait(milliseconds: Int) -> [TerminalEvent] {
        condition.lock()
        defer { condition.unlock() }
        var name = [CChar](repeating: 0, count: 32)
        pbsha_thread_name(&name, Int32(name.count))
        waits.append((String(cString: name), milliseconds))
        while !woken && typed.isEmpty { condition.wait() }
        woken = false
        defer { typed = [] }
        return typed
    }

    func type(_ key: Key) {
        condition.lock()
        typed.append(.key(key))
        condition.signal()
        condition.unlock()
    }
}

@Suite(.timeLimit(.minutes(1))) struct ConsoleLoopTests {
    struct Unreachable: HTTPTransport {
        func send(_ request: HTTPRequest, to endpoint: Endpoint) async throws(APIError) -> HTTPResponse {
            throw .connectionRefused(host: endpoint.host, port: endpoint.port, detail: "Connection refused")
        }
    }

    static func reader() -> PairReader {
        let pin = Fingerprint(String(repeating: "00", count: 32))!
        func node(_ host: String, _ store: String) -> NodeConfig {
            NodeConfig(host: host, port: 8007, fingerprint: pin, token: APIToken(authID: "monitor@pbs!console", secret: "s"), datastore: store)
        }
        let config = PairConfig(file: "memory", name: "loop", rpoSeconds: 14_400, verifyMaxAgeSeconds: 8 * 86_400, stateDir: "/nonexistent",
                                primary: node("pbs1", "main"), secondary: node("pbs2", "mirror"), syncJob: "primary-mirror",
                                remote: "primary-hub", pve: [], notify: nil)
        return PairReader(config: config, transport: Unreachable(), readOnly: true)
    }

    /// The loop runs on its own thread, sleeps until the next whole second (not a fixed
    /// poll), and is woken by a network result the moment it arrives.
    @Test func theLoopSleepsOnItsOwnThreadUntilInputAWakeUpOrTheNextSecond() async {
        let terminal = SleepyTerminal()
        terminal.onPaint = { frame, terminal in
            if frame.text.contains("DOWN") { terminal.type(.char("q")) }
        }
        let state = ConsoleState(mode: .live, wallboard: false, pairName: "loop", rpoSeconds: 14_400, width: 80, height: 24,
                                 now: 1_795_759_200.5)
        let clock = ManualClock(1_795_759_200.5)
        let outcome = await ConsoleRuntime.onOwnThread {
            ConsoleRuntime.loop(state, terminal: terminal, reader: Self.reader(), clock: clock, signals: { 0 })
        }
        #expect(outcome == .quit)
        #expect(terminal.frames.last?.text.contains("DOWN") == true)
        #expect(!terminal.waits.isEmpty)
        #expect(terminal.waits.allSatisfy { $0.thread == "pbsha-terminal" }, "\(terminal.waits.map { $0.thread ?? "nil" })")
        #expect(terminal.waits.allSatisfy { $0.milliseconds == 500 }, "half a second to the next whole one: \(terminal.waits)")
    }

    @Test func aTerminationSignalEndsTheLoop() async {
        let terminal = SleepyTerminal()
        let state = ConsoleState(mode: .live, wallboard: false, pairName: "loop", rpoSeconds: 14_400, width: 80, height: 24, now: 0)
        let outcome = await ConsoleRuntime.onOwnThread {
            ConsoleRuntime.loop(state, terminal: terminal, reader: Self.reader(), clock: ManualClock(0), signals: { Int(SIGTERM) })
        }
        #expect(outcome == .quit)
    }
}
