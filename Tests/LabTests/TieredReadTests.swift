import Foundation
@testable import Lab
@testable import PairEngine
import ProxmoxAPI
import TestSupport
import Testing

/// A console's refreshes read snapshot lists only when something changed, and what they
/// keep always equals a full read.
@Suite struct TieredReadTests {
    private struct Watched {
        let transport: WorldTransport
        let clock: ManualClock
        let cached: PairObserver
        let fresh: PairObserver
        let policy: HealthPolicy
        /// The console's memory of the rules' answers, used with every cached observation.
        let memo = RuleMemo()

        /// `wholeListLimit`: past this many snapshots a namespace is read group by group.
        init(wholeListLimit: Int = SnapshotCache.wholeListLimit, withPVE: Bool = false) throws {
            transport = WorldTransport(LabWorld.sample())
            let config = try #require(transport.pairConfig(withPVE: withPVE))
            clock = ManualClock(Double(transport.world { $0.now }))
            cached = PairObserver(config: config, transport: transport, clock: clock, caching: true, wholeListLimit: wholeListLimit)
            fresh = PairObserver(config: config, transport: transport, clock: clock)
            policy = HealthPolicy(config)
        }

        /// The world moves on `seconds` (its scheduler runs), and so does the console's clock.
        func advance(_ seconds: Int64) {
            transport.world { world in _ = world.advance(to: world.now + seconds) }
            clock.advance(by: Double(seconds))
        }

        /// The world moves past the end of every task running now.
        func settle() {
            let end = transport.world { world in (world.primary.tasks + world.secondary.tasks).filter { $0.running(at: world.now) }.map(\.end).max() }
            if let end { advance(end - transport.world { $0.now } + 1) }
        }

        /// One cached observation; the request paths it sent.
        func refresh() async -> (PairState, [String]) {
            let before = transport.paths.count
            let state = await cached.observe()
            return (state, Array(transport.paths[before...]))
        }

        /// Whether the cached observation's lists, and what the rules make of them with the
        /// console's memory, equal a full read now.
        func matchesAFullRead(_ state: PairState) async -> Bool {
            let full = await fresh.observe()
            let kept = HealthReport.evaluate(state, policy: policy, memo: memo), computed = HealthReport.evaluate(full, policy: policy)
            func costly(_ report: HealthReport) -> [String] {
                report.findings.filter { $0.subject == "drift" || $0.subject.hasPrefix("verify:") }.map { "\($0.code) \($0.message)" }
            }
            guard kept.drift == computed.drift, kept.verify == computed.verify, costly(kept) == costly(computed), kept.drift != nil else { return false }
            func sorted(_ snapshots: [NamespacedSnapshot]?) -> [NamespacedSnapshot] {
                (snapshots ?? []).sorted { ($0.ns, $0.item.backupType, $0.item.backupID, $0.item.backupTime) < ($1.ns, $1.item.backupType, $1.item.backupID, $1.item.backupTime) }
            }
            func tasks(_ node: NodeReading) -> Set<String>? {
                guard let sync = node.syncTasks, let verify = node.verifyTasks else { return nil }
                return Set((sync + verify).map { "\($0.upid) \($0.endtime.map(String.init) ?? "running") \($0.status ?? "")" })
            }
            return sorted(state.primary.snapshots) == sorted(full.primary.snapshots) && sorted(state.secondary.snapshots) == sorted(full.secondary.snapshots)
                && state.primary.snapshots != nil && state.secondary.snapshots != nil
                && tasks(state.primary) == tasks(full.primary) && tasks(state.secondary) == tasks(full.secondary) && tasks(state.primary) != nil
        }
    }

    @Test func aRefreshWithNothingChangedReadsNoSnapshotList() async throws {
        let watched = try Watched()
        let (first, firstPaths) = await watched.refresh()
        #expect(firstPaths.filter { $0.contains("/snapshots") }.count == 2, "the first read takes each node's list once: \(firstPaths)")
        #expect(await watched.matchesAFullRead(first))
        watched.clock.advance(by: 5)
        let (second, paths) = await watched.refresh()
        #expect(!paths.contains { $0.contains("/snapshots") }, "\(paths)")
        #expect(paths.filter { $0.contains("/groups") }.count == 2)
        let taskReads = paths.filter { $0.contains("/tasks") }
        // Only tasks started since the last read; a history that is empty (the primary runs
        // no sync) has no mark, and asking for all of nothing costs as little.
        let whole = taskReads.filter { !$0.contains("since=") }
        #expect(taskReads.count == 4 && whole == ["/api2/json/nodes/localhost/tasks?typefilter=syncjob&store=main&limit=100"], "\(taskReads)")
        #expect(await watched.matchesAFullRead(second))
        // What a steady refresh costs each node.
        let before = watched.transport.answers.count
        watched.clock.advance(by: 5)
        _ = await watched.refresh()
        let answers = watched.transport.answers[before...]
        let primary = answers.filter { $0.port == 1 }, secondary = answers.filter { $0.port == 2 }
        #expect(primary.count <= 7 && primary.map(\.bytes).reduce(0, +) <= 8192, "\(primary)")
        #expect(secondary.count <= 8 && secondary.map(\.bytes).reduce(0, +) <= 8192, "\(secondary)")
    }

    /// A failover changes a PVE host's storage: it is read every time; the version changes
    /// with an upgrade: read on the first refresh, the full-read interval, and `r`.
    @Test func aPVEHostsStorageIsReadEachRefreshAndItsVersionSeldom() async throws {
        let watched = try Watched(withPVE: true)
        func pve(_ paths: [String], _ suffix: String) -> Int { paths.filter { $0.hasSuffix(suffix) }.count }
        let (first, firstPaths) = await watched.refresh()
        let hosts = first.pve.count
        #expect(hosts == 2 && first.pve.allSatisfy { $0.reachable && $0.storage?.server != nil })
        #expect(pve(firstPaths, "/version") == 2 + hosts && pve(firstPaths, "/storage?type=pbs") == hosts)
        watched.clock.advance(by: 5)
        let (second, paths) = await watched.refresh()
        #expect(pve(paths, "/version") == 2, "the PBS nodes' alone: \(paths)")
        #expect(pve(paths, "/storage?type=pbs") == hosts && second.pve.allSatisfy { $0.reachable && $0.version == first.pve[0].version })
        // A host that stops answering is down at once, though its version was kept.
        watched.transport.refuse(port: 11)
        watched.clock.advance(by: 5)
        let (down, _) = await watched.refresh()
        #expect(!down.pve[0].reachable && down.pve[0].failure != nil && down.pve[1].reachable)
        watched.transport.refuse(port: 11, false)
        await watched.cached.readEverythingNext()
        let (back, asked) = await watched.refresh()
        #expect(pve(asked, "/version") == 2 + hosts && back.pve.allSatisfy(\.reachable), "r asks every version again: \(asked)")
        // A host that refuses the token is asked one thing a refresh (each refusal is an
        // authentication failure in its log): its storage while the version is kept, then
        // the version alone.
        watched.transport.world { $0.pve[1].tokens.removeAll { $0.authID == LabWorld.pveToken } }
        func requestsToTheSecondHost(_ refresh: () async -> Void) async -> Int {
            let before = watched.transport.answers.count
            await refresh()
            return watched.transport.answers[before...].filter { $0.port == 12 }.count
        }
        var refused: PairState?
        #expect(await requestsToTheSecondHost { refused = await watched.refresh().0 } == 1)
        #expect(refused?.pve[1].failure.map { if case .unauthorized = $0 { true } else { false } } == true)
        await watched.cached.readEverythingNext()
        for _ in 0..<2 {
            #expect(await requestsToTheSecondHost { refused = await watched.refresh().0 } == 1)
            #expect(refused?.pve[1].failure != nil && refused?.pve[0].reachable == true)
        }
    }

    @Test func aChangedGroupIsReadAloneAndTheFullReadIntervalReadsAll() async throws {
        let watched = try Watched()
        _ = await watched.refresh()
        watched.transport.world { world in
            var snapshot = world.primary.snapshots.last { $0.group == "vm/101" }!
            snapshot.time += 60
            snapshot.finished = snapshot.time
            snapshot.verification = nil
            world.primary.snapshots.append(snapshot)
        }
        watched.clock.advance(by: 5)
        let (state, paths) = await watched.refresh()
        let lists = paths.filter { $0.contains("/snapshots") }
        #expect(lists.count == 1 && lists[0].contains("backup-type=vm") && lists[0].contains("backup-id=101"), "\(lists)")
        #expect(await watched.matchesAFullRead(state))
        // Past full-read-interval (15m by default) every list is read again.
        watched.clock.advance(by: 900)
        let (_, later) = await watched.refresh()
        #expect(later.filter { $0.contains("/snapshots") }.count == 2, "\(later)")
    }

    /// A namespace too big for one answer is read group by group, on the first read and on
    /// every full read, and what is kept still equals a full read.
    @Test func aBigNamespaceIsReadGroupByGroup() async throws {
        let watched = try Watched(wholeListLimit: 10)
        let (first, paths) = await watched.refresh()
        let lists = paths.filter { $0.contains("/snapshots") }
        let groups = watched.transport.world { world in Set(world.primary.snapshots.map(\.group)).count + Set(world.secondary.snapshots.map(\.group)).count }
        #expect(lists.count == groups && lists.allSatisfy { $0.contains("backup-type=") && $0.contains("backup-id=") }, "\(lists)")
        #expect(await watched.matchesAFullRead(first))
        watched.clock.advance(by: 900)
        let (later, again) = await watched.refresh()
        #expect(again.filter { $0.contains("/snapshots") }.count == groups)
        #expect(await watched.matchesAFullRead(later))
    }

    /// `status` and `check` read once, without a console's memory: a big namespace is read
    /// group by group there too (its whole list could pass the client's size cap).
    @Test func aOneShotReadTakesABigNamespaceGroupByGroupToo() async throws {
        let transport = WorldTransport(LabWorld.sample())
        let config = try #require(transport.pairConfig())
        let clock = ManualClock(Double(transport.world { $0.now }))
        let before = transport.paths.count
        let state = await PairObserver(config: config, transport: transport, clock: clock, caching: false, wholeListLimit: 10).observe()
        let lists = transport.paths[before...].filter { $0.contains("/snapshots") }
        let groups = transport.world { world in Set(world.primary.snapshots.map(\.group)).count + Set(world.secondary.snapshots.map(\.group)).count }
        #expect(lists.count == groups && lists.allSatisfy { $0.contains("backup-type=") && $0.contains("backup-id=") }, "\(lists)")
        #expect(transport.paths[before...].filter { $0.hasSuffix("/groups") }.count == 2, "each node's rows once")
        let whole = await PairObserver(config: config, transport: transport, clock: clock).observe()
        func sorted(_ snapshots: [NamespacedSnapshot]?) -> [String] { (snapshots ?? []).map { "\($0.ns) \($0.name)" }.sorted() }
        #expect(sorted(state.primary.snapshots) == sorted(whole.primary.snapshots) && sorted(state.secondary.snapshots) == sorted(whole.secondary.snapshots))
        #expect(state.primary.snapshots?.isEmpty == false && state.secondary.snapshots?.isEmpty == false)
    }

    /// A refused token fails every call of the first read (they all start at once); after
    /// that each refresh asks the version alone while it is refused.
    @Test func aRefusedNodeIsAskedTheVersionAloneWhileItRefuses() async throws {
        let transport = WorldTransport(LabWorld.sample())
        var config = try #require(transport.pairConfig())
        let right = config.primary.token
        config.primary.token = APIToken(authID: right.authID, secret: "wrong-secret")
        let clock = ManualClock(Double(transport.world { $0.now }))
        let observer = PairObserver(config: config, transport: transport, clock: clock, caching: true)
        func primaryRequests() async -> (PairState, Int) {
            let before = transport.answers.count
            let state = await observer.observe()
            return (state, transport.answers[before...].filter { $0.port == 1 }.count)
        }
        let (first, all) = await primaryRequests()
        #expect(first.primary.failure != nil && all > 1)
        clock.advance(by: 5)
        let (second, alone) = await primaryRequests()
        #expect(second.primary.failure != nil && alone == 1, "\(alone) requests to a node that refused the version")
    }

    @Test func aSyncRunningAcrossTwoRefreshesIsNotMissed() async throws {
        let watched = try Watched()
        // A primary snapshot verified after the last sync: the next sync's re-sync of each
        // group's newest snapshot rewrites the secondary's manifest, and no group row changes.
        watched.transport.world { world in
            let newest = world.secondary.snapshots.filter { $0.group == "vm/100" }.map(\.time).max()!
            let index = world.primary.snapshots.firstIndex { $0.group == "vm/100" && $0.time == newest }!
            world.primary.snapshots[index].verification = .init(state: "ok", upid: "UPID:pbs-primary:00000001:00000001:00000001:6B000000:verificationjob:main\\x3averify\\x2dmain:root@pam:")
        }
        _ = await watched.refresh()
        let job = try #require(watched.transport.world { $0.secondary.syncJobs.first })
        let end = watched.transport.world { world -> Int64 in
            world.runSync(.secondary, job: job, at: world.now, trigger: "manual")
            return world.secondary.tasks.last!.end
        }
        let (during, _) = await watched.refresh()
        #expect(during.secondary.syncTasks?.first?.endtime == nil, "the sync still runs at this refresh")
        watched.advance(end - watched.transport.world { $0.now } + 1)
        let (after, paths) = await watched.refresh()
        #expect(paths.contains { $0.contains("/datastore/mirror/snapshots") }, "the ended sync makes the secondary's lists read again: \(paths)")
        #expect(await watched.matchesAFullRead(after))
        let resynced = after.secondary.snapshots?.first { $0.item.backupID == "100" && $0.item.verification?.state == "ok" && $0.item.verification?.upid.contains("pbs-primary") == true }
        #expect(resynced != nil, "the copied verify state is seen")
    }

    /// Random histories of the changes a pair goes through: after each, the kept lists equal
    /// a full read.
    @Test(arguments: [1, 2, 3, 4]) func keptListsEqualAFullReadAfterAnyHistory(seed: UInt64) async throws {
        let watched = try Watched()
        var random = SeededRandom(seed)
        for _ in 0..<25 {
            switch random.next() % 6 {
            case 0: watched.advance(Int64(random.next() % 7200) + 60)
            case 1: watched.transport.world { world in
                    // A prune: one old snapshot of some group goes.
                    let index = Int(random.next() % UInt64(world.primary.snapshots.count))
                    world.primary.snapshots.remove(at: index)
                }
            case 2: watched.transport.world { world in
                    let index = Int(random.next() % UInt64(world.secondary.snapshots.count))
                    world.secondary.snapshots[index].owner = "root@pam"
                }
            case 3: watched.transport.world { world in
                    // A verify state changes with no row changing (a manual verify of one snapshot).
                    let index = Int(random.next() % UInt64(world.secondary.snapshots.count))
                    world.secondary.snapshots[index].corrupt = true
                    world.verify(.secondary, due: [index], start: world.now, type: "verify_snapshot", id: "mirror:manual", user: "root@pam", header: [])
                }
            case 4: watched.transport.world { world in
                    world.addNamespace(.secondary, "copies")
                    var copy = world.secondary.snapshots[Int(random.next() % UInt64(world.secondary.snapshots.count))]
                    copy.ns = "copies"
                    world.secondary.snapshots.append(copy)
                }
                // The namespace list is read at the next full read (docs/console.md).
                watched.clock.advance(by: 900)
            default: watched.clock.advance(by: Double(random.next() % 30))
            }
            // While a sync or verify runs, PBS rewrites manifests under unchanged rows; the
            // lists are read again when it ended, so the comparison waits for that.
            _ = await watched.refresh()
            watched.settle()
            let (state, _) = await watched.refresh()
            #expect(await watched.matchesAFullRead(state))
        }
    }
}
