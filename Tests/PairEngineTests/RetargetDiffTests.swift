@testable import PairEngine
import Testing

/// The storage.cfg diff an operator confirms before a retarget.
@Suite struct RetargetDiffTests {
    /// After a failover both entries name the secondary; pointing one back must show that
    /// entry's three changed lines, not a shuffle of both entries.
    @Test func twoEntriesOnOneDatastoreDiffOnlyTheChangedLines() throws {
        let old = """
            dir: local
            \tpath /var/lib/vz

            pbs: backup-primary
            \tdatastore mirror
            \tserver 10.0.0.2
            \tfingerprint bb
            \tusername pve@pbs!backup

            pbs: backup-secondary
            \tdatastore mirror
            \tserver 10.0.0.2
            \tfingerprint bb
            \tusername pve@pbs!backup

            """
        let new = old.replacingOccurrences(of: "pbs: backup-primary\n\tdatastore mirror\n\tserver 10.0.0.2\n\tfingerprint bb",
                                           with: "pbs: backup-primary\n\tdatastore main\n\tserver 10.0.0.1\n\tfingerprint aa")
        #expect(Retarget.diff(old, new) == """
              pbs: backup-primary
            -\tdatastore mirror
            -\tserver 10.0.0.2
            -\tfingerprint bb
            +\tdatastore main
            +\tserver 10.0.0.1
            +\tfingerprint aa
            """)
        #expect(Retarget.diff(old, old).isEmpty)
    }
}
