import ProxmoxAPI

/// A reading that changes seldom (a namespace list, verify jobs, remotes): a console reads it
/// again only after `interval` (`full-read-interval`) or when asked (`r`), and keeps it between.
actor Occasional<Value: Sendable> {
    private var value: Value?
    private var readAt: Double?
    private var forced = false
    private let interval: Double

    init(interval: Double) { self.interval = interval }

    func readAgainNext() { forced = true }

    func get(now: Double, read: @Sendable () async throws(APIError) -> Value) async throws(APIError) -> Value {
        if let value, let readAt, !forced, now - readAt < interval { return value }
        let fresh = try await read()
        (value, readAt, forced) = (fresh, now, false)
        return fresh
    }
}

/// One node's occasional readings.
struct OccasionalReads: Sendable {
    let namespaces: Occasional<[String]>
    let verifyJobs: Occasional<[ScheduledJob<VerifyJob>]>
    let remotes: Occasional<[RemoteConfig]>

    init(interval: Double) {
        namespaces = Occasional(interval: interval)
        verifyJobs = Occasional(interval: interval)
        remotes = Occasional(interval: interval)
    }

    func readAgainNext() async {
        await namespaces.readAgainNext()
        await verifyJobs.readAgainNext()
        await remotes.readAgainNext()
    }
}
