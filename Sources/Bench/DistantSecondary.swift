import Foundation
import Lab
import PairEngine
import ProxmoxAPI

/// A console's refreshes over HTTPS against a lab whose secondary is 50 ms away
/// (`lab ctl node secondary latency 50ms`): what a steady refresh costs in round trips.
enum DistantSecondary {
    static let roundTrip = 0.05

    static func measure(in directory: String) async throws {
        print("== a lab over HTTPS on loopback, the secondary \(Int(roundTrip * 1000)) ms away")
        let lab = try await LabRuntime.start(stateDir: "\(directory)/lab")
        let answer = await lab.control(["node", "secondary", "latency", "\(Int(roundTrip * 1000))ms"])
        guard answer.ok else { throw LabError("lab ctl latency: \(answer.message)") }
        let config = try ConfigLoader.load(path: lab.configPath)
        let reader = PairReader(config: config, transport: try PinnedHTTPSClient(), readOnly: true, patience: 30)
        let first = await Usage.measure { await reader.observe() }
        report("first full read (every connection new)", String(format: "%.0f ms = %.1f round trips", first.wall * 1000, first.wall / roundTrip),
               target: "≤ 6 round trips", met: first.wall <= 6 * roundTrip)
        var walls: [Double] = []
        for _ in 0..<9 {
            try await Task.sleep(nanoseconds: 300_000_000)
            walls.append(await Usage.measure { await reader.observe() }.wall)
        }
        walls.sort()
        let median = walls[walls.count / 2]
        report("steady refresh (median of 9)", String(format: "%.0f ms = %.1f round trips", median * 1000, median / roundTrip),
               target: "≤ 3 round trips (200 ms)", met: median <= 0.2)
        await lab.shutdown()
    }
}
