import Foundation
import Synchronization
import Lab
import PairEngine
import ProxmoxAPI
import TestSupport

/// A lab running in a fresh temporary directory, with a manual clock.
struct RunningLab {
    let runtime: LabRuntime
    let clock: ManualClock
    let config: PairConfig
    let slot: LabSlot

    /// 06:20 UTC: twenty minutes after an hourly sync, so none is running.
    static let usualStart: Double = 1_795_759_200 + 1200

    static func start(at time: Double = usualStart) async throws -> RunningLab {
        var template = Array((NSTemporaryDirectory() + "pbsha-labtest-XXXXXX").utf8CString)
        let directory = String(cString: mkdtemp(&template)!)
        let clock = ManualClock(time)
        let slot = await LabSlot.take()
        let runtime = try await LabRuntime.start(stateDir: directory, clock: clock, pbshaCommand: Spawned.binary)
        return RunningLab(runtime: runtime, clock: clock, config: try ConfigLoader.load(path: runtime.configPath), slot: slot)
    }

    /// Ordinary calls get a generous timeout: the in-process lab shares the cooperative thread pool
    /// with whatever else the test run does on two cores.
    func transport(timeout: Double = 20) throws -> PinnedHTTPSClient {
        try PinnedHTTPSClient(limits: .init(connectTimeout: timeout, requestTimeout: timeout))
    }

    func observe(timeout: Double = 10) async throws -> (PairState, HealthReport) {
        let state = await PairObserver(config: config, transport: try transport(timeout: timeout), clock: clock).observe()
        return (state, HealthReport.evaluate(state, policy: HealthPolicy(config)))
    }

    func ctl(_ command: String) async throws -> String {
        let (ok, message) = try await LabControl.send(command.split(separator: " ").map(String.init), stateDir: runtime.stateDir)
        guard ok else { throw LabError(message) }
        return message
    }

    func stop() async {
        await runtime.shutdown()
        try? FileManager.default.removeItem(atPath: runtime.stateDir)
        slot.give()
    }
}

/// A place for one in-process lab. At most `LabSlots.limit` HTTPS labs run at once in the
/// test process: they share two event-loop threads and the cooperative pool, and twenty of
/// them starting together on a two-core machine delayed first answers beyond any sane
/// client timeout. A slot is given back when its lab stops, or when the test that held it
/// ends without stopping it (a thrown `#require`).
final class LabSlot: Sendable {
    private let given = Mutex(false)

    static func take() async -> LabSlot {
        await LabSlots.shared.acquire()
        return LabSlot()
    }

    func give() {
        guard given.withLock({ was in defer { was = true }; return !was }) else { return }
        Task { await LabSlots.shared.release() }
    }

    deinit { give() }
}

/// The counting semaphore behind `LabSlot`.
actor LabSlots {
    static let limit = 4
    static let shared = LabSlots()
    private var free = limit
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}
