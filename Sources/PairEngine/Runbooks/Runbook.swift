/// A runbook as data (`Resources/runbooks/*.toml`, or the operator's own file): the steps
/// the generic step engine runs, each naming one engine action and the gates before it.
public struct Runbook: Sendable, Equatable {
    /// `failover` or `failback`.
    public var kind: String
    public var title: String
    public var steps: [Step]
    /// Where it was read from, for messages.
    public var file: String
    /// SHA-256 of the file's text, hex: a drill records it, so a changed runbook is seen as
    /// not rehearsed since (`drill-stale`).
    public var digest: String

    /// One step of a runbook.
    public struct Step: Sendable, Equatable {
        public var title: String
        /// The role that owns it (`on-call`, `comms or on-call`, `ops lead`).
        public var owner: String
        /// Seconds; nil for an asynchronous step (a ticket, a follow-up).
        public var estimateSeconds: Int?
        /// The engine capability that does the step (`RunbookCatalog.actions`), or `manual`
        /// for a checklist item the operator confirms.
        public var action: String
        /// What must hold before it may run: refused otherwise.
        public var hardGates: [String]
        /// What should hold: passed over only with a typed acknowledgment.
        public var softGates: [String]
        /// Hard gates a person may pass over with a typed reason (journaled as an override).
        public var overridable: [String] = []
        public var confirmation: Confirmation
        /// What the operator reads while the step is current.
        public var guidance: String
    }

    /// What a step needs from the operator before it changes anything.
    public enum Confirmation: Sendable, Equatable {
        case none
        /// Enter (or `--yes`).
        case enter
        /// The word typed in full, naming the blast radius (or `--yes`).
        case word(String)
    }
}

/// The names a runbook file may use, with what each does (the loader lists them when a
/// file names something else).
public enum RunbookCatalog {
    /// Engine capabilities by runbook kind.
    public static let actions: [String: [String: String]] = [
        "failover": [
            "prepare-secondary": "check the secondary, fix group ownership for PVE's token, pause the forward sync",
            "retarget-to-secondary": "point every [[pve]] target's pbs: entry (or backup jobs) at the secondary",
            "test-backup-secondary": "back up each target's test-vmid to the secondary (remove=0) and verify it there",
            "notify": "build the message from the run's facts, show it, post it to the webhook",
            "recovery-ticket": "record the primary's recovery ticket reference",
            "manual": "a checklist item the operator confirms",
        ],
        "failback": [
            "reverse-sync": "a Remote and a pull job on the primary from the secondary (remove-vanished off, no schedule), run once",
            "catch-up": "run the reverse sync until the primary holds every failover-era snapshot",
            "verify-primary": "verify each pulled snapshot on the primary (ignore-verified=false), recording the tasks",
            "retarget-to-primary": "point every [[pve]] target's pbs: entry (or backup jobs) back at the primary",
            "retire-reverse-sync": "remove the reverse job and its Remote, restore and run the forward sync",
            "notify": "build the message from the run's facts, show it, post it to the webhook",
            "manual": "a checklist item the operator confirms",
        ],
    ]

    /// Gates: hard ones refuse, soft ones need an acknowledgment.
    public static let gates: [String: String] = [
        "secondary-reachable": "the secondary answers its API",
        "secondary-writable": "the secondary's datastore is not in maintenance",
        "pve-token-on-secondary": "the secondary knows PVE's token there (pve-auth-id) and it may back up into the datastore",
        "previous-steps-done": "every earlier step is done or skipped",
        "secondary-prepared": "the forward sync is paused and ownership is fixed (step 1)",
        "sync-within-rpo": "the last successful sync is younger than the RPO",
        "sync-not-failing": "the last sync run did not fail",
        "verify-recent": "the secondary's last verify is recent and found nothing broken",
        "nothing-missed": "the secondary holds every finished primary snapshot",
        "free-space": "the secondary's datastore has room (below 90% used)",
        "encryption-keys": "a target that encrypts its backups keeps encrypting after the failover",
        "primary-reachable": "the primary answers its API",
        "failover-done": "the journal holds a finished failover to undo",
        "caught-up": "the primary holds every snapshot the secondary took since the failover (step 2)",
        "primary-verified": "the primary verified each pulled snapshot in this run, ok (step 3)",
    ]
}
