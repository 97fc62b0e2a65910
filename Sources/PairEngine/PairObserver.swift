import ProxmoxAPI

/// Reads both PBS nodes and every PVE host concurrently and returns one `PairState`.
/// A slow or hung node costs at most the transport's timeouts and never delays the others.
public struct PairObserver: Sendable {
    public let config: PairConfig
    let transport: any HTTPTransport
    let clock: any WallClock
    /// How many of the secondary's recent sync/verify tasks to read for history.
    public var taskHistory = 100
    /// For a console that refreshes: each node's lists from the last read (`SnapshotCache`).
    let caches: [NodeRole: SnapshotCache]
    /// For a console that refreshes: each node's recent tasks (`TaskHistory`).
    let histories: [NodeRole: TaskHistory]
    /// For a console that refreshes: what each node changes seldom (`Occasional`).
    let occasional: [NodeRole: OccasionalReads]
    /// Past this many snapshots a namespace is read group by group (`SnapshotCache.wholeListLimit`).
    let wholeListLimit: Int
    /// For a console that refreshes: whether each node's last version call failed.
    let refused: [NodeRole: LastVersionCall]
    /// For a console that refreshes: each PVE host's version, by host name (`Occasional`).
    let pveVersions: [String: Occasional<VersionInfo>]

    /// `caching`: keep snapshot lists between observations and read again only what changed.
    public init(config: PairConfig, transport: any HTTPTransport, clock: any WallClock = SystemClock(), caching: Bool = false) {
        self.init(config: config, transport: transport, clock: clock, caching: caching, wholeListLimit: SnapshotCache.wholeListLimit)
    }

    /// `wholeListLimit`: see `SnapshotCache.wholeListLimit` (tests make it small).
    init(config: PairConfig, transport: any HTTPTransport, clock: any WallClock, caching: Bool, wholeListLimit: Int) {
        self.config = config
        self.transport = transport
        self.clock = clock
        let interval = Double(config.fullReadIntervalSeconds)
        self.wholeListLimit = wholeListLimit
        caches = caching ? [.primary: SnapshotCache(fullReadInterval: interval, wholeListLimit: wholeListLimit),
                                .secondary: SnapshotCache(fullReadInterval: interval, wholeListLimit: wholeListLimit)] : [:]
        histories = caching ? [.primary: TaskHistory(limit: taskHistory), .secondary: TaskHistory(limit: taskHistory)] : [:]
        occasional = caching ? [.primary: OccasionalReads(interval: interval), .secondary: OccasionalReads(interval: interval)] : [:]
        refused = caching ? [.primary: LastVersionCall(), .secondary: LastVersionCall()] : [:]
        pveVersions = caching ? Dictionary(config.pve.map { ($0.name, Occasional<VersionInfo>(interval: interval)) }, uniquingKeysWith: { first, _ in first }) : [:]
    }

    /// The next observation reads every snapshot list again.
    public func readEverythingNext() async {
        for cache in caches.values { await cache.readEverythingNext() }
        for reads in occasional.values { await reads.readAgainNext() }
        for version in pveVersions.values { await version.readAgainNext() }
    }

    public func observe() async -> PairState {
        async let primary = read(.primary)
        async let secondary = read(.secondary)
        async let hosts = readHosts()
        let (primaryReading, secondaryReading, (pveReadings, addresses)) = (await primary, await secondary, await hosts)
        var state = PairState(observedAt: clock.now(), primary: primaryReading, secondary: secondaryReading, pve: pveReadings)
        state.addresses = addresses
        return state
    }

    /// One PBS node.
    func read(_ role: NodeRole) async -> NodeReading {
        await read(role, role == .primary ? config.primary : config.secondary)
    }

    /// Every PVE host, and the addresses of the names the PVE targets are matched by.
    func readHosts() async -> ([PVEReading], [String: Set<String>]) {
        let readings = await readPVE()
        return (readings, await resolve([config.primary.host, config.secondary.host] + readings.compactMap(\.storage?.server)))
    }

    /// Addresses of every name, resolved concurrently.
    private func resolve(_ names: [String]) async -> [String: Set<String>] {
        await withTaskGroup(of: (String, Set<String>).self) { group in
            for name in Set(names) { group.addTask { (name, await AddressResolver.addresses(of: name)) } }
            var result: [String: Set<String>] = [:]
            for await (name, addresses) in group { result[name] = addresses }
            return result
        }
    }

    private func read(_ role: NodeRole, _ node: NodeConfig) async -> NodeReading {
        var reading = NodeReading(role: role, host: node.host, datastoreName: node.datastore)
        let client = PBSClient(transport: transport, endpoint: node.endpoint, token: node.token)
        let started = clock.now()
        // A node whose version failed last time is asked the version alone first: a wrong
        // token would otherwise fail every call of every refresh (ten authentication
        // failures in the node's log each time, where fail2ban may be counting).
        var asked: Result<VersionInfo, APIError>?
        if let refused = refused[role], await refused.failed {
            let answer = await attempt { () async throws(APIError) in try await client.version() }
            await refused.record(answer)
            if case .failure(let error) = answer {
                reading.failure = error
                return reading
            }
            asked = answer
        }
        // Otherwise everything at once, the version too: a node 50 ms away costs round trips,
        // not requests. A node that does not answer the version is down, whatever else came.
        async let versionRead = { [asked] () async -> Result<VersionInfo, APIError> in
            if let asked { return asked }
            return await attempt { () async throws(APIError) in try await client.version() }
        }()
        let store = node.datastore
        async let time = attempt { () async throws(APIError) in try await client.time() }
        async let list = attempt { () async throws(APIError) in try await client.datastores() }
        async let status = attempt { () async throws(APIError) in try await client.datastoreStatus(store) }
        // A console keeps each node's lists between reads; a one-shot read (`status`, `check`)
        // has a cache for this read alone, so it too reads the group rows first and a big
        // namespace group by group (its whole list could pass the client's size cap).
        let cache = caches[role] ?? SnapshotCache(fullReadInterval: 0, wholeListLimit: wholeListLimit)
        let seldom = occasional[role]
        async let rows = attempt { () async throws(APIError) in try await groupRows(client, store: store, seldom) }
        async let secondaryExtras = role == .secondary ? readSecondary(client, store: store, seldom) : nil
        async let history = readHistory(client, role: role, store: store)

        let version = await versionRead
        await refused[role]?.record(version)
        switch version {
        case .failure(let error):
            reading.failure = error
            return reading
        case .success(let version):
            reading.version = version
            reading.latencyMs = ((clock.now() - started) * 10_000).rounded() / 10
        }
        let askedAt = started
        let timeResult = await time
        if case .success(let nodeTime) = timeResult {
            reading.clockSkew = Int(clamping: (Double(nodeTime.time) - (askedAt + clock.now()) / 2).rounded())
        }
        reading.time = take(timeResult, "time", into: &reading)
        if let stores = take(await list, "datastore list", into: &reading) {
            reading.datastore = stores.first { $0.store == store }
            reading.datastoreListed = reading.datastore != nil
        }
        reading.status = take(await status, "datastore status", into: &reading)
        let (syncTasks, verifyTasks) = await history
        let rowsRead = await rows
        let tasks = (try? syncTasks.get()).flatMap { sync in (try? verifyTasks.get()).map { sync + $0 } }
        let reads = SnapshotReads(namespace: { ns throws(APIError) in try await client.snapshots(store, namespace: ns) },
                                  group: { ns, type, id throws(APIError) in try await client.snapshots(store, namespace: ns, type: type, id: id) })
        let snapshots = await attempt { () async throws(APIError) in
            try await cache.snapshots(rows: try rowsRead.get(), tasks: tasks, now: clock.now(), read: reads)
        }
        reading.snapshotSet = take(snapshots, "snapshots", into: &reading)
        reading.syncTasks = take(syncTasks, "sync tasks", into: &reading)
        reading.verifyTasks = take(verifyTasks, "verify tasks", into: &reading)
        if let extras = await secondaryExtras {
            if let jobs = take(extras.jobs, "sync jobs", into: &reading) {
                reading.syncJob = jobs.first { $0.id == config.syncJob }
                reading.syncJobListed = reading.syncJob != nil
            }
            reading.verifyJobs = take(extras.verifyJobs, "verify jobs", into: &reading)
            reading.remote = take(extras.remotes, "remotes", into: &reading)?.first { $0.name == config.remote }
        }
        return reading
    }

    /// The secondary's job configuration.
    private struct SecondaryExtras: Sendable {
        var jobs: Result<[ScheduledJob<SyncJob>], APIError>
        var verifyJobs: Result<[ScheduledJob<VerifyJob>], APIError>
        var remotes: Result<[RemoteConfig], APIError>
    }

    /// The sync job each time (its status says when it last ran); verify jobs and remotes
    /// occasionally in a console.
    private func readSecondary(_ client: PBSClient, store: String, _ seldom: OccasionalReads?) async -> SecondaryExtras? {
        let now = clock.now()
        async let jobs = attempt { () async throws(APIError) in try await client.syncJobs(store: store) }
        async let verifyJobs = attempt { () async throws(APIError) in
            guard let seldom else { return try await client.verifyJobs(store: store) }
            return try await seldom.verifyJobs.get(now: now) { () throws(APIError) in try await client.verifyJobs(store: store) }
        }
        async let remotes = attempt { () async throws(APIError) in
            guard let seldom else { return try await client.remotes() }
            return try await seldom.remotes.get(now: now) { () throws(APIError) in try await client.remotes() }
        }
        return SecondaryExtras(jobs: await jobs, verifyJobs: await verifyJobs, remotes: await remotes)
    }

    /// Recent sync and verify tasks touching the datastore, newest first.
    private func readHistory(_ client: PBSClient, role: NodeRole, store: String) async
        -> (Result<[TaskListItem], APIError>, Result<[TaskListItem], APIError>) {
        let limit = taskHistory
        let job = config.syncJob
        let ownRuns = { @Sendable (task: TaskListItem) in role == .primary || (task.workerID?.hasSuffix(":" + job) ?? false) }
        guard let history = histories[role] else {
            async let sync = attempt { () async throws(APIError) in try await syncRuns(client, role: role, store: store) }
            async let verify = attempt { () async throws(APIError) in try await client.tasks(typeFilter: "verif", store: store, limit: limit) }
            return (await sync, await verify)
        }
        async let sync = attempt { () async throws(APIError) in
            try await history.tasks("sync", all: { () throws(APIError) in try await syncRuns(client, role: role, store: store) }) { mark throws(APIError) in
                let page = try await client.tasks(typeFilter: "syncjob", store: store, limit: limit, since: mark)
                return page.count < limit ? page.filter(ownRuns) : nil
            }
        }
        async let verify = attempt { () async throws(APIError) in
            try await history.tasks("verify", all: { () throws(APIError) in try await client.tasks(typeFilter: "verif", store: store, limit: limit) }) { mark throws(APIError) in
                let page = try await client.tasks(typeFilter: "verif", store: store, limit: limit, since: mark)
                return page.count < limit ? page : nil
            }
        }
        return (await sync, await verify)
    }

    /// On the secondary, the configured job's own runs: PBS cannot filter tasks by job, so
    /// pages of the store's sync tasks are read until `taskHistory` runs of the job are found
    /// or the list ends (at most five pages), and other jobs into the same store cannot
    /// crowd it out. On the primary every sync task counts (a reverse sync lives there
    /// after a failback).
    private func syncRuns(_ client: PBSClient, role: NodeRole, store: String) async throws(APIError) -> [TaskListItem] {
        var runs: [TaskListItem] = []
        var start = 0
        for _ in 0..<5 {
            let page = try await client.tasks(typeFilter: "syncjob", store: store, limit: taskHistory, start: start)
            runs += page.filter { role == .primary || ($0.workerID?.hasSuffix(":" + config.syncJob) ?? false) }
            if role == .primary || page.count < taskHistory || runs.count >= taskHistory { break }
            start += page.count
        }
        return Array(runs.prefix(taskHistory))
    }

    /// `read` for every namespace at once; the first failure fails the whole.
    private func eachNamespace<T: Sendable>(_ namespaces: [String],
                                            _ read: @escaping @Sendable (String) async throws(APIError) -> T) async throws(APIError) -> [String: T] {
        let results = await withTaskGroup(of: (String, Result<T, APIError>).self) { group in
            for ns in namespaces {
                group.addTask { (ns, await attempt { () async throws(APIError) in try await read(ns) }) }
            }
            var collected: [(String, Result<T, APIError>)] = []
            for await result in group { collected.append(result) }
            return collected
        }
        var values: [String: T] = [:]
        for (ns, result) in results { values[ns] = try result.get() }
        return values
    }

    /// Every namespace's group rows (count, newest finished backup, owner).
    private func groupRows(_ client: PBSClient, store: String, _ seldom: OccasionalReads?) async throws(APIError) -> [String: [GroupListItem]] {
        let namespaces = if let seldom {
            try await seldom.namespaces.get(now: clock.now()) { () throws(APIError) in try await client.namespaces(store).map(\.ns) }
        } else {
            try await client.namespaces(store).map(\.ns)
        }
        return try await eachNamespace(namespaces) { ns throws(APIError) in try await client.groups(store, namespace: ns) }
    }

    private func readPVE() async -> [PVEReading] {
        await withTaskGroup(of: (Int, PVEReading).self) { group in
            for (index, host) in config.pve.enumerated() {
                group.addTask { (index, await readPVE(host)) }
            }
            var readings: [(Int, PVEReading)] = []
            for await reading in group { readings.append(reading) }
            return readings.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// The version first, and alone while the host refuses it (each refused call is an
    /// authentication failure in its log). A console keeps the version (it changes with an
    /// upgrade) and asks only the storage entries each refresh (a failover changes them); a
    /// host that does not answer them is down, whatever version was kept.
    private func readPVE(_ host: PVEHostConfig) async -> PVEReading {
        var reading = PVEReading(name: host.name, host: host.host, storageID: host.storage)
        let client = PVEClient(transport: transport, endpoint: host.endpoint, token: host.token)
        do {
            if let seldom = pveVersions[host.name] {
                reading.version = try await seldom.get(now: clock.now()) { () throws(APIError) in try await client.version() }
            } else {
                reading.version = try await client.version()
            }
            reading.storage = try await client.pbsStorages().first { $0.storage == host.storage }
        } catch {
            reading.failure = error
            if error.isUnreachable { reading.version = nil }
        }
        return reading
    }
}

/// Runs a call and keeps its result or error as a value.
func attempt<T: Sendable>(_ body: () async throws(APIError) -> T) async -> Result<T, APIError> {
    do { return .success(try await body()) } catch { return .failure(error) }
}

/// The value of a result, recording its error under `name` when it failed.
private func take<T>(_ result: Result<T, APIError>, _ name: String, into reading: inout NodeReading) -> T? {
    switch result {
    case .success(let value): return value
    case .failure(let error):
        reading.problems[name] = error
        return nil
    }
}

/// Whether a node's last version call failed.
actor LastVersionCall {
    private(set) var failed = false

    func record(_ answer: Result<VersionInfo, APIError>) {
        if case .failure = answer { failed = true } else { failed = false }
    }
}
