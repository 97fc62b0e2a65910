import Foundation
import GRDB

/// Follows a journal that other processes write (a second console, `pbsha runs --follow`):
/// one long-lived read-only connection whose `PRAGMA data_version` changes when another
/// connection commits, so a poll that finds nothing new costs one pragma. Poll it once a
/// second to see another process's events within a second.
public final class JournalFollower {
    private let queue: DatabaseQueue
    private let path: String
    private var version: Int64?
    private var last: Int64 = 0

    /// Opens the journal at `path` (it must exist: `Journal` creates it) for reading.
    public init(path: String) throws(JournalError) {
        self.path = path
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        do { queue = try DatabaseQueue(path: path, configuration: configuration) } catch {
            throw JournalError("cannot open the journal \(path): \(error); no run was journaled there yet")
        }
    }

    /// The events committed since the last poll (on the first, every event), in order.
    public func poll() throws(JournalError) -> [JournalEvent] {
        do {
            return try queue.read { db in
                let now = try Int64.fetchOne(db, sql: "PRAGMA data_version") ?? 0
                guard now != version else { return [] }
                version = now
                let events = try Journal.fetch(db, run: nil, after: last)
                last = events.last?.sequence ?? last
                return events
            }
        } catch {
            throw JournalError("cannot read the journal \(path): \(error)")
        }
    }
}
