import Foundation
import Lab
import PairEngine
import ProxmoxAPI
import TestSupport

/// A lab running in a fresh temporary directory, with a manual clock.
struct RunningLab {
    let runtime: LabRuntime
    let clock: ManualClock
    let config: PairConfig

    /// 06:20 UTC: twenty minutes after an hourly sync, so none is running.
    static let usualStart: Double = 1_795_759_200 + 1200

    static func start(at time: Double = usualStart) async throws -> RunningLab {
        var template = Array((NSTemporaryDirectory() + "pbsha-labtest-XXXXXX").utf8CString)
        let directory = String(cString: mkdtemp(&template)!)
        let clock = ManualClock(time)
        let runtime = try await LabRuntime.start(stateDir: directory, clock: clock, pbshaCommand: Spawned.binary)
        return RunningLab(runtime: runtime, clock: clock, config: try ConfigLoader.load(path: runtime.configPath))
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
    }
}
