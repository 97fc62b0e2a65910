import Foundation
import GRDB
@testable import PairEngine
import Testing

/// The journal: append-only in SQLite itself, one active run per pair across connections,
/// another connection's writes noticed through data_version, and a run's state as a fold.
@Suite struct JournalTests {
    private func temporaryPath() -> String {
        NSTemporaryDirectory() + "pbsha-journal-\(UUID().uuidString)/journal.sqlite"
    }

    private func event(_ kind: JournalEvent.Kind, run: String = "failover-1", step: Int? = nil, _ detail: [String: String] = [:]) -> JournalEvent {
        JournalEvent(run: run, kind: kind, step: step, actor: "alice", host: "ops1", time: 1_000 + Int64(step ?? 0), detail: detail)
    }

    @Test func aRunIsAFoldOverItsEvents() throws {
        let journal = try Journal(path: temporaryPath())
        try journal.append([
            event(.runStarted, ["runbook": "failover"]),
            event(.stepStarted, step: 1, ["title": "Readiness", "owner": "on-call", "estimate-seconds": "120"]),
            event(.checkResult, step: 1, ["check": "sync-within-rpo", "passed": "false", "hard": "false", "message": "5h ago"]),
            event(.acknowledged, step: 1, ["check": "sync-within-rpo"]),
            event(.intent, step: 1, ["target": "secondary", "change": "pause sync job x"]),
            event(.changeApplied, step: 1, ["target": "secondary", "change": "pause sync job x", "result": "ok"]),
            event(.stepFinished, step: 1, ["result": "done"]),
            event(.stepStarted, step: 2, ["title": "Retarget", "owner": "on-call", "estimate-seconds": "300"]),
            event(.skipped, step: 2, ["reason": "done by hand"]),
        ])
        let run = try #require(RunState.runs(from: try journal.events()).first)
        #expect(run.state == .active && run.startedBy == "alice")
        #expect(run.steps.map(\.status) == [.done, .skipped])
        #expect(run.steps[0].acknowledged == ["sync-within-rpo"] && run.steps[0].applied("pause sync job x", on: "secondary"))
        #expect(run.steps[0].elapsed(now: 2_000) == 0 && run.steps[1].skippedReason == "done by hand")
    }

    /// A console reads the journal every second for months: it asks only for what another
    /// process wrote since, and folds the same runs a whole read would.
    @Test func aKeptReadFollowsAnotherWriterAndEqualsAWholeRead() throws {
        let path = temporaryPath()
        let writer = try Journal(path: path), reader = try Journal(path: path)
        let kept = KeptJournal()
        #expect(try kept.runs(reader, now: 0).isEmpty)
        try writer.append([event(.runStarted, ["runbook": "failover"]),
                           event(.stepStarted, step: 1, ["title": "Readiness", "owner": "on-call", "estimate-seconds": "120"])])
        let first = try kept.runs(reader, now: 0)
        #expect(first == RunState.runs(from: try reader.events()) && first.count == 1)
        let last = try #require(try reader.events().last?.sequence)
        #expect(try reader.events(after: last).isEmpty)
        try writer.append([event(.stepFinished, step: 1, ["result": "done"]), event(.runStarted, run: "failback-1", ["runbook": "failback"])])
        #expect(try reader.events(after: last).map(\.kind) == [.stepFinished, .runStarted])
        let second = try kept.runs(reader, now: 0)
        #expect(second == RunState.runs(from: try reader.events()) && second.count == 2 && second != first)
    }

    /// Between real reads the console only looks at the journal's files: another process's
    /// commit shows at once, and a real read comes at least every `recheckSeconds`.
    @Test func anUnchangedJournalIsNotAskedAgainUntilAWriteOrTheRecheck() throws {
        let path = temporaryPath()
        let writer = try Journal(path: path), reader = try Journal(path: path)
        let kept = KeptJournal()
        #expect(kept.runsIfUnchanged(reader, now: 100, recheckSeconds: 10) == nil, "nothing read yet")
        try writer.append([event(.runStarted, ["runbook": "failover"])])
        let first = try kept.runs(reader, now: 100)
        #expect(first.count == 1)
        #expect(kept.runsIfUnchanged(reader, now: 105, recheckSeconds: 10) == first)
        #expect(kept.runsIfUnchanged(reader, now: 110, recheckSeconds: 10) == nil, "ten seconds: read for real")
        #expect(kept.runsIfUnchanged(reader, now: 99, recheckSeconds: 10) == nil, "the clock went back")
        try writer.append([event(.stepStarted, step: 1, ["title": "Readiness", "owner": "on-call", "estimate-seconds": "120"])])
        #expect(kept.runsIfUnchanged(reader, now: 101, recheckSeconds: 10) == nil, "another process wrote")
        let second = try kept.runs(reader, now: 101)
        #expect(second == RunState.runs(from: try reader.events()) && second != first)
        #expect(kept.runsIfUnchanged(reader, now: 102, recheckSeconds: 10) == second)
    }

    @Test func theJournalRefusesChangesToWhatWasWritten() throws {
        let path = temporaryPath()
        let journal = try Journal(path: path)
        try journal.append([event(.runStarted, ["runbook": "failover"])])
        // Another program opening the file directly cannot rewrite history either.
        let direct = try DatabaseQueue(path: path)
        #expect(throws: DatabaseError.self) { try direct.write { try $0.execute(sql: "UPDATE event SET actor = 'mallory'") } }
        #expect(throws: DatabaseError.self) { try direct.write { try $0.execute(sql: "DELETE FROM event") } }
        #expect(try journal.events().count == 1)
    }

    @Test func twoConnectionsShareOneActiveRunAndNoticeEachOther() throws {
        let path = temporaryPath()
        let first = try Journal(path: path)
        let second = try Journal(path: path)
        let follower = try JournalFollower(path: path)
        #expect(try follower.poll().isEmpty)
        try second.append([event(.runStarted, ["runbook": "failover"])]) { events throws(JournalError) in
            if RunState.active(in: events, drill: false) != nil { throw JournalError("busy") }
        }
        #expect(try follower.poll().map(\.sequence) == [1], "the other connection's commit is seen through data_version")
        #expect(try follower.poll().isEmpty, "nothing new: nothing read twice")
        #expect(try first.events().map(\.sequence) == [1])
        #expect(throws: JournalError("a run is active")) {
            try first.append([event(.runStarted, run: "failback-1", ["runbook": "failback"])]) { events throws(JournalError) in
                if RunState.active(in: events, drill: false) != nil { throw JournalError("a run is active") }
            }
        }
        #expect(try second.events().count == 1)
    }
}
