import ProxmoxAPI

/// One node's recent sync and verify tasks, kept between a console's refreshes: after the
/// first read, a refresh asks PBS only for tasks started since the oldest one that was still
/// running at the last read (or, with none running, since the newest start seen), so a task
/// that runs across refreshes is read again until it ended and none is missed.
actor TaskHistory {
    private var kept: [String: [TaskListItem]] = [:]
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    /// `kind`'s tasks, newest first. `all` reads the whole history; `since` the tasks
    /// started since a time, nil when more did than one page holds (then `all` reads).
    func tasks(_ kind: String, all: @Sendable () async throws(APIError) -> [TaskListItem],
               since: @Sendable (Int64) async throws(APIError) -> [TaskListItem]?) async throws(APIError) -> [TaskListItem] {
        guard let previous = kept[kind], let mark = Self.mark(previous), let new = try await since(mark) else {
            let read = try await all()
            kept[kind] = read
            return read
        }
        let fresh = Set(new.map(\.upid))
        let merged = (new + previous.filter { !fresh.contains($0.upid) }).sorted { $0.starttime > $1.starttime }
        kept[kind] = Array(merged.prefix(limit))
        return kept[kind]!
    }

    /// Where the next read starts: the oldest start among tasks still running, else the newest start.
    static func mark(_ tasks: [TaskListItem]) -> Int64? {
        tasks.filter { $0.endtime == nil }.map(\.starttime).min() ?? tasks.map(\.starttime).max()
    }
}
