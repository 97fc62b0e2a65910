import BuiltIn
@testable import Console
import PairEngine

/// A failover told as journal events, cut at each state the runbook screen can show.
enum RunbookFixture {
    static let runbook: Runbook = {
        let builtIn = BuiltIn.runbook("failover")!
        return try! RunbookLoader.parse(builtIn.text, file: builtIn.path, kind: "failover")
    }()

    static let t0 = ConsoleFixture.now
    static let id = "failover-20261127060000"
    static let backupUPID = "UPID:pve1:0001A2B3:00C4D5E6:6746C2FA:vzdump:100:pve@pbs!failover:"
    /// The test backup's log as far as the running stage has read it.
    static let backupLog = [
        "INFO: starting new backup job: vzdump 100 --storage backup-primary --remove 0 --node pve1",
        "INFO: Starting Backup of VM 100 (qemu)",
        "INFO: Backup started at 2026-11-27 06:02:02",
        "INFO: creating Proxmox Backup Server archive 'vm/100/2026-11-27T06:02:02Z'",
        "INFO: started backup task 'c1e4b0d2-8a7f-4c1e-9d2a-5f3b6a7c8d9e'",
        "INFO:  14% (2.2 GiB of 16.0 GiB) in 3s, read: 750.0 MiB/s, write: 120.0 MiB/s",
        "INFO:  35% (5.6 GiB of 16.0 GiB) in 6s, read: 1.1 GiB/s, write: 98.0 MiB/s",
    ]

    /// The states of the golden frames, in the order a run passes them.
    enum Stage: String, CaseIterable {
        case plan, softGate = "soft-gate", confirm, refused = "hard-gate-refused", running, done
    }

    static func events(_ stage: Stage) -> [JournalEvent] {
        var events: [JournalEvent] = []
        func add(_ kind: JournalEvent.Kind, _ step: Int?, at seconds: Int64, _ detail: [String: String] = [:]) {
            events.append(JournalEvent(run: id, kind: kind, step: step, actor: "alice", host: "jump1", time: t0 + seconds, detail: detail))
        }
        func start(_ step: Int, at seconds: Int64) {
            let definition = runbook.steps[step - 1]
            add(.stepStarted, step, at: seconds, ["title": definition.title, "owner": definition.owner,
                                                  "estimate-seconds": definition.estimateSeconds.map(String.init) ?? "async"])
            add(.assigned, step, at: seconds, ["assignee": "alice"])
        }
        func check(_ step: Int, _ name: String, _ passed: Bool, hard: Bool, _ message: String, at seconds: Int64) {
            add(.checkResult, step, at: seconds, ["check": name, "passed": String(passed), "hard": String(hard), "message": message])
        }
        func finish(_ step: Int, at seconds: Int64) { add(.stepFinished, step, at: seconds, ["result": "done"]) }
        guard stage != .plan else { return [] }

        add(.runStarted, nil, at: 0, ["runbook": "failover", "steps": "5", "file": "failover.toml"])
        start(1, at: 0)
        check(1, "secondary-reachable", true, hard: true, "the secondary answers (10.0.0.6)", at: 2)
        check(1, "pve-token-on-secondary", true, hard: true, "pve@pbs!backup may back up into mirror", at: 2)
        check(1, "sync-within-rpo", true, hard: false, "last good sync 25m ago (RPO 4h)", at: 2)
        check(1, "nothing-missed", false, hard: false, "3 snapshots of the last 4h are on the primary only: vm/100, vm/101, ct/200", at: 2)
        add(.changePlanned, 1, at: 3, ["target": "secondary", "change": "pause sync job primary-mirror",
                                       "diff": "- schedule hourly\n+ schedule (none; restored at failback)"])
        add(.waiting, 1, at: 3, ["waiting": "acknowledge: nothing-missed: 3 snapshots of the last 4h are on the primary only"])
        guard stage != .softGate else { return events }

        add(.acknowledged, 1, at: 40, ["check": "nothing-missed"])
        add(.confirmed, 1, at: 40, ["word": "enter"])
        add(.changeApplied, 1, at: 42, ["target": "secondary", "change": "pause sync job primary-mirror", "result": "ok", "message": "paused"])
        finish(1, at: 45)
        start(2, at: 50)
        check(2, "previous-steps-done", true, hard: true, "steps 1–1 are done", at: 51)
        check(2, "secondary-prepared", stage != .refused, hard: true,
              stage == .refused ? "the forward sync job primary-mirror still has a schedule: run step 1 again" : "the forward sync is paused", at: 51)
        guard stage != .refused else { return events }
        for (target, port) in [("pve-a", "8007"), ("pve-b", "8007")] {
            add(.changePlanned, 2, at: 52, ["target": target, "change": "rewrite pbs entry backup-primary",
                                            "diff": "pbs: backup-primary\n-\tserver 10.0.0.5\n+\tserver 10.0.0.6\n-\tdatastore main\n+\tdatastore mirror\n \tport \(port)"])
        }
        add(.waiting, 2, at: 52, ["waiting": "2 change(s) on pve-a, pve-b: type FAILOVER"])
        guard stage != .confirm else { return events }

        add(.confirmed, 2, at: 90, ["word": "FAILOVER"])
        for target in ["pve-a", "pve-b"] {
            add(.changeApplied, 2, at: 95, ["target": target, "change": "rewrite pbs entry backup-primary", "result": "ok", "message": "rewritten"])
        }
        add(.apiWrite, 2, at: 95, ["method": "PUT", "host": "10.0.0.21:8006", "path": "/api2/json/storage/backup-primary", "status": "200",
                                   "parameters": "password=(secret removed)"])
        finish(2, at: 100)
        start(3, at: 110)
        check(3, "previous-steps-done", true, hard: true, "steps 1–2 are done", at: 111)
        add(.changePlanned, 3, at: 112, ["target": "pve-a", "change": "test backup of 100",
                                         "diff": "vzdump 100 on pve1 --storage backup-primary --remove 0, then verify it on the secondary"])
        add(.confirmed, 3, at: 120, ["word": "enter"])
        add(.intent, 3, at: 121, ["target": "pve-a", "change": "test backup of 100"])
        add(.taskStarted, 3, at: 122, ["upid": backupUPID, "task": "test backup of 100 on pve1", "on": "pve", "pve-host": "pve-a", "pve-node": "pve1"])
        guard stage != .running else { return events }

        add(.changeApplied, 3, at: 500, ["target": "pve-a", "change": "test backup of 100", "result": "ok", "message": "verified"])
        finish(3, at: 500)
        start(4, at: 510)
        finish(4, at: 600)
        start(5, at: 610)
        add(.note, 5, at: 650, ["text": "ticket: INC-4242"])
        finish(5, at: 700)
        add(.runFinished, nil, at: 700, ["state": "done"])
        return events
    }

    /// The console on the runbook screen at `stage`, 80x24 unless told.
    static func state(_ stage: Stage, ascii: Bool = false) -> ConsoleState {
        var state = ConsoleFixture.state(ascii: ascii)
        let now: Int64 = t0 + (stage == .running ? 500 : stage == .done ? 800 : 60)
        state.now = Double(now)
        let runs = RunState.runs(from: events(stage))
        let board = RunbookBoard(runbook, run: runs.last, now: now)
        state.runbook.enabled = true
        state.runbook.reading = RunbookDesk.Reading(boards: ["failover": board], runs: runs.reversed(),
                                                    active: runs.last?.state == .active ? "failover" : nil)
        state.screen = .runbook("failover")
        if stage == .running {
            state.runbook.running = ["failover"]
            state.runbook.taskLog = RunbookScreenState.TaskLogFollow(upid: backupUPID, lines: backupLog, read: backupLog.count, loading: false,
                                                                      lastPoll: Double(now))
        }
        if stage == .confirm {
            state.runbook.editor = LineEditor(label: "type FAILOVER to confirm: ")
            state.runbook.purpose = .word("FAILOVER")
            for character in "FAIL" { _ = state.runbook.editor!.handle(.char(character)) }
        }
        return state
    }
}
