import Foundation
import GRDB

/// Where the step engine writes and reads events: the journal, or a test's wrapper of it.
public protocol EventStore: Sendable {
    @discardableResult
    func append(_ events: [JournalEvent], check: (@Sendable ([JournalEvent]) throws(JournalError) -> Void)?) throws(JournalError) -> [JournalEvent]
    func events(run: String?) throws(JournalError) -> [JournalEvent]
    /// Every event written after `sequence`, in order: a reader that keeps what it read
    /// asks only for what is new.
    func events(after sequence: Int64) throws(JournalError) -> [JournalEvent]
    /// Changes whenever a commit may have landed, read without a query; nil when the store
    /// cannot tell (then every read asks it).
    func changeStamp() -> JournalStamp?
}

extension EventStore {
    public func changeStamp() -> JournalStamp? { nil }

    /// For stores that wrap a journal and pass its events on (they carry its sequences).
    public func events(after sequence: Int64) throws(JournalError) -> [JournalEvent] {
        try events(run: nil).filter { ($0.sequence ?? 0) > sequence }
    }
}

/// The append-only event log in `pair.state-dir/journal.sqlite` (SQLite in WAL mode through
/// GRDB). Several processes may share it: writers wait for each other (busy timeout), and a
/// reader follows other processes' commits with a `JournalFollower`, because GRDB's
/// observation cannot see them.
public final class Journal: EventStore {
    private let pool: DatabasePool
    public let path: String

    /// Opens (creating, migrating) the journal at `path`.
    public init(path: String) throws(JournalError) {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw JournalError("cannot open the journal \(path): \(error); check that pair.state-dir is writable")
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: events") { db in
            try db.create(table: "event") { table in
                table.autoIncrementedPrimaryKey("sequence")
                table.column("run", .text).notNull().indexed()
                table.column("kind", .text).notNull()
                table.column("step", .integer)
                table.column("actor", .text).notNull()
                table.column("host", .text).notNull()
                table.column("time", .integer).notNull()
                table.column("detail", .text).notNull()
            }
            // The journal only grows: SQLite itself refuses changes to what was written.
            try db.execute(sql: "CREATE TRIGGER event_no_update BEFORE UPDATE ON event BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END")
            try db.execute(sql: "CREATE TRIGGER event_no_delete BEFORE DELETE ON event BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END")
        }
        return migrator
    }

    /// Appends events in one transaction and answers them with their sequence numbers.
    /// `check` runs inside the same transaction on the events already there and may refuse
    /// (one active run per pair is enforced this way, across processes).
    @discardableResult
    public func append(_ events: [JournalEvent], check: (@Sendable ([JournalEvent]) throws(JournalError) -> Void)? = nil) throws(JournalError) -> [JournalEvent] {
        do {
            return try pool.writeWithoutTransaction { db in
                var written: [JournalEvent] = []
                try db.inTransaction(.immediate) {
                    if let check { try check(try Self.fetch(db, run: nil)) }
                    for var event in events {
                        try db.execute(sql: "INSERT INTO event (run, kind, step, actor, host, time, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                       arguments: [event.run, event.kind.rawValue, event.step, event.actor, event.host, event.time, Self.encode(event.detail)])
                        event.sequence = db.lastInsertedRowID
                        written.append(event)
                    }
                    return .commit
                }
                return written
            }
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError("cannot write to the journal \(path): \(error)")
        }
    }

    /// The database file and its write-ahead log as `stat` sees them: every commit appends
    /// to the log or, after a checkpoint, rewrites it (a new modification time).
    public func changeStamp() -> JournalStamp? {
        JournalStamp(files: [path, path + "-wal"])
    }

    /// Every event, or one run's, in the order they were written.
    public func events(run: String? = nil) throws(JournalError) -> [JournalEvent] {
        do { return try pool.read { db in try Self.fetch(db, run: run) } } catch let error as JournalError { throw error } catch {
            throw JournalError("cannot read the journal \(path): \(error)")
        }
    }

    public func events(after sequence: Int64) throws(JournalError) -> [JournalEvent] {
        do { return try pool.read { db in try Self.fetch(db, run: nil, after: sequence) } } catch let error as JournalError { throw error } catch {
            throw JournalError("cannot read the journal \(path): \(error)")
        }
    }

    static func fetch(_ db: Database, run: String?, after sequence: Int64 = 0) throws -> [JournalEvent] {
        let sql = "SELECT sequence, run, kind, step, actor, host, time, detail FROM event WHERE sequence > ?" + (run == nil ? "" : " AND run = ?")
            + " ORDER BY sequence"
        let arguments: StatementArguments = run.map { [sequence, $0] } ?? [sequence]
        // Cached: a console reads the journal every second.
        return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map { row in
            let kindText: String = row["kind"]
            guard let kind = JournalEvent.Kind(rawValue: kindText) else {
                throw JournalError("the journal holds an event kind '\(kindText)' this pbsha does not know; use the pbsha that wrote it")
            }
            var event = JournalEvent(run: row["run"], kind: kind, step: row["step"], actor: row["actor"], host: row["host"], time: row["time"],
                                     detail: decode(row["detail"]))
            event.sequence = row["sequence"]
            return event
        }
    }

    private static func encode(_ detail: [String: String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: detail, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    private static func decode(_ text: String) -> [String: String] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: String] ?? [:]
    }
}

/// A journal problem, with what to do about it.
public struct JournalError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
