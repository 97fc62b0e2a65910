import Console
import Foundation
import Lab
import PairEngine
import ProxmoxAPI

// pbsha-bench: the figures of docs/performance.md that one process can measure (a release
// build: `swift run -c release pbsha-bench`; bench/measure.sh runs it after its own).
//   --groups G --per-group M   datastore size for the scale figures (default 1000 x 1000)
//   --log-lines N              task log size (default 100000)
//   --refreshes N              steady refreshes timed (default 5; the median is printed)
//   --skip-lab                 leave out the distant-secondary figures (they start a lab)

func option(_ name: String, _ fallback: Int) -> Int {
    guard let index = CommandLine.arguments.firstIndex(of: name), index + 1 < CommandLine.arguments.count,
          let value = Int(CommandLine.arguments[index + 1]), value > 0 else { return fallback }
    return value
}

let groups = option("--groups", 1000), perGroup = option("--per-group", 1000), logLines = option("--log-lines", 100_000)
let refreshes = option("--refreshes", 5)
let ms = { (seconds: Double) in String(format: "%.1f ms", seconds * 1000) }

do {
    print("== \(groups * perGroup) snapshots a node (\(groups) groups of \(perGroup)), in memory, answered from bodies encoded ahead")
    let pair = SyntheticPair(groups: groups, perGroup: perGroup, logLines: logLines)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pbsha-bench-\(getpid())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let config = try SyntheticConfig.write(in: directory)

    // Decoding: the primary's whole list as one answer, read by pbsha's client.
    pair.prepareWholeList(node: 0)
    let client = PBSClient(transport: pair, endpoint: config.primary.endpoint, token: config.primary.token)
    let bytesBefore = pair.bytes
    let decoded = try await Usage.measure { try await client.snapshots("main") }
    let megabytes = Double(pair.bytes - bytesBefore) / 1_000_000
    report("decode one node's list (\(String(format: "%.0f", megabytes)) MB of JSON)", String(format: "%.0f MB/s", megabytes / decoded.wall),
           target: "(reported)")
    precondition(decoded.value.count == groups * perGroup)

    // The console's first read, then what the rules cost on the decoded lists.
    let reader = PairReader(config: config, transport: pair, readOnly: true, patience: 600)
    let first = await Usage.measure { await reader.observe() }
    report("console's first read of both nodes (wall / CPU)", "\(ms(first.wall)) / \(ms(first.cpu))", target: "(reported)")
    Usage.resetPeak()
    let residentBefore = Usage.residentMB().now
    let rules = await Usage.measure { HealthReport.evaluate(first.value.0, policy: HealthPolicy(config), memo: RuleMemo()) }
    let beyond = Usage.residentMB().peak - residentBefore
    precondition(rules.value.drift?.missingOnSecondary == groups, "each group's newest is missing on the secondary")
    report("drift and verify counts from decoded lists: CPU", ms(rules.cpu), target: "≤ 1000 ms", met: rules.cpu <= 1)
    report("  memory beyond the decoded data (peak over resident)", String(format: "%.0f MB over %.0f MB", beyond, residentBefore),
           target: "≤ 300 MB", met: beyond <= 300)

    // Steady refreshes: nothing changed, then one new backup in one group each time.
    let (requests0, bytes0) = (pair.requests, pair.bytes)
    var idle: [Double] = []
    for _ in 0..<refreshes { idle.append(await Usage.measure { await reader.observe() }.cpu) }
    idle.sort()
    report("refresh, nothing changed: CPU (median of \(refreshes))", ms(idle[refreshes / 2]), target: "(reported)")
    report("  requests / KB for both nodes, each", "\((pair.requests - requests0) / refreshes) / \((pair.bytes - bytes0) / 1024 / refreshes)",
           target: "(reported)")
    var costs: [Double] = []
    for round in 1...5 {
        pair.backUp(group: round * 7 % groups)
        let changed = await Usage.measure { await reader.observe() }
        precondition(changed.value.1.drift?.missingOnSecondary == groups + round, "the new backup is seen")
        costs.append(changed.cpu)
    }
    costs.sort()
    report("refresh after one group changed: CPU (median of 5)", ms(costs[2]), target: "≤ 50 ms", met: costs[2] <= 0.05)

    // A task log of `logLines` lines: open it in the log viewer, then search it (its pages
    // encoded ahead by reading it once).
    _ = try await reader.taskLog(node: .secondary, upid: SyntheticPair.syncUPID.raw, from: 1)
    var console = ConsoleState(mode: .readOnly, pairName: "bench", rpoSeconds: 14_400, width: 80, height: 24, now: Date().timeIntervalSince1970)
    _ = Update.apply(&console, .observed(first.value.0, first.value.1))
    console.screen = .logs
    let opened = try await Usage.measure {
        guard case let .loadLog(node, upid, from)? = Update.apply(&console, .key(.enter)).first else { fatalError("no log to open") }
        let (lines, active) = try await reader.taskLog(node: node, upid: upid, from: from)
        _ = Update.apply(&console, .logLoaded(upid: upid, from: from, lines: lines, active: active))
        return Render.frame(console)
    }
    precondition(console.logs.viewer?.lines.count == logLines)
    report("open a task log of \(logLines) lines (read, load, draw)", ms(opened.wall), target: "≤ 300 ms", met: opened.wall <= 0.3)
    let searched = await Usage.measure {
        for key in [Key.char("/")] + "vm/1042/".map(Key.char) + [.enter] { _ = Update.apply(&console, .key(key)) }
        return Render.frame(console)
    }
    report("  search it (\(console.logs.viewer?.matches.count ?? 0) matches) and draw", ms(searched.wall), target: "≤ 100 ms", met: searched.wall <= 0.1)

    if !CommandLine.arguments.contains("--skip-lab") { try await DistantSecondary.measure(in: directory) }
} catch {
    print("pbsha-bench: \(error)")
    exit(1)
}
