@testable import PairEngine
import ProxmoxAPI
import Testing

@Suite struct SyncRulesTests {
    @Test func aHealthyPairHasNoFindings() {
        let fixture = PairFixture()
        #expect(fixture.report.findings.isEmpty)
        #expect(fixture.report.overall == .ok)
        #expect(fixture.report.sync.ageSeconds == 1700)
        #expect(fixture.report.sync.lastRunState == .ok)
    }

    @Test func ageComesFromTheLastSuccessNotTheLastRun() {
        var fixture = PairFixture()
        fixture.syncHistory(["sync failed with some errors.", "OK"])
        fixture.state.secondary.syncJob?.status.lastRunState = "sync failed with some errors."
        fixture.state.secondary.syncJob?.status.lastRunEndtime = PairFixture.now - 3500
        let sync = fixture.report.sync
        #expect(sync.lastRunEnd == PairFixture.now - 3500)
        #expect(sync.lastSuccessEnd == PairFixture.now - 7200 + 100)
        #expect(sync.ageSeconds == 7100)
        #expect(sync.lastRunState == .error)
    }

    @Test func rpoWarningAtThreeQuartersAndCriticalAtTheRPO() {
        var fixture = PairFixture()
        fixture.setSyncTasks([PairFixture.syncTask(start: PairFixture.now - 10_900, status: "OK")])
        #expect(fixture.finding("sync-stale")?.severity == .warning)   // 10 800 s = 75 %
        #expect(fixture.report.sync.status == .warning)
        fixture.setSyncTasks([PairFixture.syncTask(start: PairFixture.now - 14_500, status: "OK")])
        #expect(fixture.finding("sync-stale")?.severity == .critical)
        #expect(fixture.finding("sync-stale")?.message.contains("past the RPO of 4h") == true)
        fixture.setSyncTasks([PairFixture.syncTask(start: PairFixture.now - 10_000, status: "OK")])
        #expect(fixture.finding("sync-stale") == nil)
    }

    @Test func ageIsMeasuredOnTheSecondarysClock() {
        var fixture = PairFixture()
        // The console's clock is a day ahead; the node's own clock decides.
        fixture.state.observedAt += 86_400
        #expect(fixture.report.sync.ageSeconds == 1700)
    }

    @Test func warningsAndPartialFailuresCountAsFailures() {
        var fixture = PairFixture()
        fixture.syncHistory(["WARNINGS: 2", "OK"])
        #expect(fixture.report.sync.consecutiveFailures == 1)
        #expect(fixture.finding("sync-failing")?.severity == .warning)
        fixture.syncHistory(["sync failed with some errors.", "WARNINGS: 1", "sync failed with some errors.", "OK"])
        #expect(fixture.report.sync.consecutiveFailures == 3)
        let finding = fixture.finding("sync-failing")
        #expect(finding?.severity == .critical)
        #expect(finding?.message.contains("3 runs in a row") == true)
        #expect(finding?.message.contains("sync failed with some errors.") == true)
    }

    @Test func aRunningTaskNeitherSucceedsNorFails() {
        var fixture = PairFixture()
        fixture.setSyncTasks([PairFixture.syncTask(start: PairFixture.now - 60, status: nil),
                                             PairFixture.syncTask(start: PairFixture.now - 3600, status: "OK")])
        fixture.state.secondary.syncJob?.status.lastRunState = nil
        fixture.state.secondary.syncJob?.status.lastRunEndtime = nil
        #expect(fixture.report.sync.lastRunState == .running)
        #expect(fixture.report.sync.consecutiveFailures == 0)
        #expect(fixture.report.sync.ageSeconds == 3500)
    }

    @Test func aHiddenTaskHistoryFallsBackToTheJobAndSaysSo() {
        var fixture = PairFixture()
        fixture.state.secondary.syncTasks = []
        fixture.state.secondary.verifyTasks = []
        #expect(fixture.report.sync.ageSeconds == 1700)
        #expect(fixture.finding("sync-history-hidden")?.message.contains("Sys.Audit on /system/tasks") == true)
        #expect(fixture.report.verify.ageSeconds == 3600)
        #expect(fixture.finding("verify-history-hidden")?.severity == .warning)
        #expect(fixture.finding("verify-never-succeeded") == nil)
        fixture.state.secondary.syncJob?.status.lastRunState = "sync failed with some errors."
        #expect(fixture.report.sync.consecutiveFailures == 1)
        #expect(fixture.finding("sync-failing")?.severity == .warning)
    }

    @Test func historyIsHiddenOnlyWhenTheJobsLastRunIsMissingFromIt() {
        var fixture = PairFixture()
        // A token that may run the job sees its runs without Sys.Audit: nothing is hidden.
        fixture.state.secondary.verifyTasks = [PairFixture.secondaryVerify]
        #expect(fixture.finding("sync-history-hidden") == nil)
        #expect(fixture.finding("verify-history-hidden") == nil)
        // A token that sees only its own manual runs does not see the scheduled ones.
        let manual = PairFixture.task("syncjob", "primary-hub:main:mirror::primary-mirror", start: PairFixture.now - 90_000,
                                      end: PairFixture.now - 89_900, status: "OK")
        fixture.state.secondary.syncTasks = [manual]
        #expect(fixture.finding("sync-history-hidden")?.severity == .warning)
        #expect(fixture.report.sync.ageSeconds == 1700, "the job's own last run decides")
    }

    @Test func verifyAgeComesFromTheJobsRunsNotFromAManualVerify() {
        var fixture = PairFixture()
        let manual = PairFixture.task("verify_snapshot", "mirror:/vm/100/6A0F0000", start: PairFixture.now - 100, end: PairFixture.now - 50, status: "OK")
        fixture.state.secondary.verifyTasks = [manual, PairFixture.secondaryVerify]
        #expect(fixture.report.verify.ageSeconds == 3600)
    }

    @Test func copiedVerifyStatesAreCountedApart() {
        var fixture = PairFixture()
        // The newest snapshot's state came with the primary's manifest: same UPID on both.
        let newest = fixture.state.primary.snapshots![2]
        fixture.state.secondary.snapshots![2] = newest
        // An older one the primary pruned, verified on another node: copied too.
        let pruned = PairFixture.snapshot("100", PairFixture.now - 90_000, verified: "ok", by: PairFixture.primaryVerify)
        fixture.state.secondary.snapshots!.append(pruned)
        #expect(fixture.report.verify.snapshotsVerifiedUpstreamOnly == 2)
        #expect(fixture.report.verify.snapshotsOK == 2)
        #expect(fixture.finding("verify-upstream-only")?.severity == .info)
        #expect(fixture.finding("verify-upstream-only")?.message.hasPrefix("2 snapshots on the secondary are verified upstream only") == true)
        #expect(fixture.report.overall == .ok, "information, not a problem by itself")
        // Both nodes called "pbs": with the primary's copy at hand the UPID decides, not the name.
        let sameName = UPID.pbs(node: "pbs2", pid: 9, pstart: 9, taskID: 9, startTime: PairFixture.now - 6000,
                                workerType: "verificationjob", workerID: "main:v", authID: "root@pam").raw
        fixture.state.primary.snapshots![0].item.verification = .init(state: "ok", upid: sameName)
        fixture.state.secondary.snapshots![0].item.verification = .init(state: "ok", upid: sameName)
        #expect(fixture.report.verify.snapshotsVerifiedUpstreamOnly == 3)
    }

    /// The "did not run" rule measures the schedule on the node's wall clock: a 02:30 job
    /// does not run on the day Berlin skips 02:00-03:00, so it is not overdue that day.
    @Test func aSyncThatDidNotRunIsJudgedOnTheNodesClockAcrossDaylightSaving() throws {
        var fixture = PairFixture()
        let due = try #require(Timestamps.parse("2026-03-28T02:30:00+01:00"))
        let now = try #require(Timestamps.parse("2026-03-29T12:00:00Z"))
        fixture.state.secondary.time = NodeTime(timezone: "Europe/Berlin", time: now, localtime: now + 7200)
        fixture.state.secondary.syncJob?.schedule = "02:30"
        fixture.state.secondary.syncJob?.status.nextRun = due
        #expect(fixture.finding("sync-not-running") == nil)
        fixture.state.secondary.time = NodeTime(timezone: "UTC", time: now, localtime: now)
        #expect(fixture.finding("sync-not-running") != nil, "in UTC the same run would be overdue")
    }

    @Test func noSuccessInHistoryIsCritical() {
        var fixture = PairFixture()
        fixture.syncHistory(["error trying to connect", "error trying to connect"])
        #expect(fixture.finding("sync-never-succeeded")?.severity == .critical)
        #expect(fixture.report.sync.ageSeconds == nil)
    }

    @Test func aSyncThatDidNotRunIsNoticed() {
        var fixture = PairFixture()
        // Due 61 minutes ago on an hourly schedule: a whole interval overdue.
        fixture.state.secondary.syncJob?.status.nextRun = PairFixture.now - 3660
        #expect(fixture.finding("sync-not-running")?.severity == .critical)
        fixture.state.secondary.syncJob?.status.nextRun = PairFixture.now - 1800
        #expect(fixture.finding("sync-not-running") == nil)
    }

    @Test func aMissingJobOrScheduleIsReported() {
        var fixture = PairFixture()
        fixture.state.secondary.syncJob?.schedule = nil
        #expect(fixture.finding("sync-no-schedule")?.severity == .warning)
        fixture.state.secondary.syncJob = nil
        fixture.state.secondary.syncJobListed = false
        #expect(fixture.finding("sync-job-missing")?.severity == .critical)
    }

    @Test func syncIsUnknownWhenTheSecondaryIsDown() {
        var fixture = PairFixture()
        fixture.state.secondary.version = nil
        fixture.state.secondary.failure = .connectionRefused(host: "pbs2", port: 8007, detail: "Connection refused")
        #expect(fixture.report.sync.status == .unknown)
        #expect(fixture.finding("node-unreachable")?.severity == .critical)
        #expect(fixture.report.overall == .critical)
    }
}

@Suite struct VerifyAndDriftRulesTests {
    @Test func countsVerificationStatesAndFailsOnAFailedSnapshot() {
        var fixture = PairFixture()
        fixture.state.secondary.snapshots = [PairFixture.snapshot("100", 1, verified: "ok"), PairFixture.snapshot("100", 2, verified: "failed"),
                                             PairFixture.snapshot("100", 3), PairFixture.snapshot("100", 4, size: nil)]
        let verify = fixture.report.verify
        #expect(verify.snapshotsOK == 1)
        #expect(verify.snapshotsFailed == 1)
        #expect(verify.snapshotsUnverified == 1)
        #expect(fixture.finding("verify-failed")?.severity == .critical)
        #expect(fixture.finding("verify-failed")?.message.contains("vm/100/1970-01-01T00:00:02Z") == true)
    }

    @Test func staleOrMissingVerification() {
        var fixture = PairFixture()
        let old = PairFixture.task("verificationjob", "mirror:v", start: PairFixture.now - 9 * 86_400, end: PairFixture.now - 9 * 86_400 + 60, status: "OK")
        fixture.state.secondary.verifyTasks = [old]
        fixture.state.secondary.verifyJobs?[0].status.lastRunUPID = old.upid
        #expect(fixture.finding("verify-stale")?.severity == .warning)
        fixture.state.secondary.verifyJobs = []
        #expect(fixture.finding("verify-job-missing")?.severity == .warning)
    }

    @Test func driftSeparatesPendingFromMissed() {
        var fixture = PairFixture()
        let older = PairFixture.snapshot("101", PairFixture.now - 20_000)
        let newer = PairFixture.snapshot("101", PairFixture.now - 100)
        let running = PairFixture.snapshot("101", PairFixture.now - 50, size: nil)
        fixture.state.primary.snapshots! += [older, newer, running]
        fixture.state.secondary.snapshots! += [PairFixture.snapshot("999", PairFixture.now - 30_000)]
        let drift = fixture.report.drift
        #expect(drift?.missingOnSecondary == 2)
        #expect(drift?.missedBySync == 1)
        #expect(drift?.onlyOnSecondary == 1)
        #expect(fixture.finding("drift-missed")?.severity == .warning)
        #expect(fixture.finding("drift-pending")?.severity == .info)
        #expect(fixture.finding("drift-only-on-secondary")?.severity == .info)
        #expect(fixture.report.overall == .warning)
    }

    @Test func driftMapsTheJobsNamespaces() {
        var fixture = PairFixture()
        fixture.state.secondary.syncJob?.remoteNs = "prod"
        fixture.state.secondary.syncJob?.ns = "copy"
        fixture.state.primary.snapshots = [NamespacedSnapshot(ns: "prod/a", item: PairFixture.snapshot("1", 5).item),
                                           NamespacedSnapshot(ns: "other", item: PairFixture.snapshot("2", 5).item)]
        fixture.state.secondary.snapshots = [NamespacedSnapshot(ns: "copy/a", item: PairFixture.snapshot("1", 5).item)]
        #expect(fixture.report.drift?.missingOnSecondary == 0)
        #expect(fixture.report.drift?.onlyOnSecondary == 0)
    }

    @Test func aFailbacksCopiesCountAsHeldByTheSecondary() {
        var fixture = PairFixture()
        let old = PairFixture.now - 90_000
        fixture.state.primary.snapshots = [PairFixture.snapshot("100", old), PairFixture.snapshot("100", old + 10)]
        fixture.state.secondary.snapshots = [PairFixture.snapshot("100", old + 10)]
        #expect(fixture.report.drift?.missedBySync == 1, "the pull skips the older one")
        let copies = [PairFixture.snapshot("100", old), PairFixture.snapshot("100", old + 10), PairFixture.snapshot("100", old - 10)]
        fixture.state.secondary.snapshots! += copies.map { NamespacedSnapshot(ns: "pbsha-failback-20261201", item: $0.item) }
        #expect(fixture.report.drift?.missingOnSecondary == 0)
        #expect(fixture.report.drift?.onlyOnSecondary == 1, "a copy the primary pruned since")
        fixture.state.secondary.snapshots = [PairFixture.snapshot("100", old + 10), NamespacedSnapshot(ns: "other", item: PairFixture.snapshot("100", old).item)]
        #expect(fixture.report.drift?.missedBySync == 1, "only the failback's namespaces count")
    }

    @Test func driftHonoursTheJobsGroupFilterMaxDepthAndTransferLast() {
        var fixture = PairFixture()
        let old = PairFixture.now - 90_000
        fixture.state.primary.snapshots = [PairFixture.snapshot("100", old), PairFixture.snapshot("200", old),
                                           PairFixture.snapshot("300", old), PairFixture.snapshot("300", old + 10),
                                           PairFixture.snapshot("300", old + 20),
                                           NamespacedSnapshot(ns: "deep/er", item: PairFixture.snapshot("100", old).item)]
        fixture.state.secondary.snapshots = []
        #expect(fixture.report.drift?.missedBySync == 6)
        fixture.state.secondary.syncJob?.groupFilter = ["regex:^vm/[13]00$", "exclude:group:vm/100"]
        #expect(fixture.report.drift?.missingOnSecondary == 3, "only vm/300 is selected")
        fixture.state.secondary.syncJob?.transferLast = 1
        #expect(fixture.report.drift?.missingOnSecondary == 1, "only the newest of vm/300 is copied")
        fixture.state.secondary.syncJob?.groupFilter = nil
        fixture.state.secondary.syncJob?.transferLast = nil
        fixture.state.secondary.syncJob?.maxDepth = 1
        #expect(fixture.report.drift?.missingOnSecondary == 5, "deep/er is two levels down")
    }

    @Test func groupFiltersParseAndMatchAsPBSDoes() {
        let filters = ["type:vm", "exclude:regex:^vm/9", "include:group:ct/200"].compactMap(GroupFilter.init)
        #expect(filters.count == 3)
        #expect(GroupFilter.selects(filters, type: "vm", id: "100"))
        #expect(!GroupFilter.selects(filters, type: "vm", id: "900"))
        #expect(GroupFilter.selects(filters, type: "ct", id: "200"))
        #expect(!GroupFilter.selects(filters, type: "ct", id: "201"))
        #expect(GroupFilter.selects([GroupFilter("exclude:type:ct")!], type: "vm", id: "1"), "only excludes: the rest is included")
        #expect(GroupFilter("kind:vm") == nil && GroupFilter("regex:(") == nil)
    }
}

@Suite struct NodeRulesTests {
    @Test func maintenanceFullnessAndMissingDatastore() {
        var fixture = PairFixture()
        fixture.state.primary.datastore?.maintenance = "type=read-only,message=disk%20swap"
        #expect(fixture.finding("maintenance-mode")?.severity == .critical)
        #expect(fixture.finding("maintenance-mode")?.message.contains("disk swap") == true)
        fixture.state.secondary.status = DatastoreStatus(total: 100, used: 90, avail: 10, counts: nil)
        #expect(fixture.report.findings.first { $0.code == "datastore-full" }?.severity == .warning)
        fixture.state.secondary.status = DatastoreStatus(total: 100, used: 96, avail: 4, counts: nil)
        #expect(fixture.report.findings.first { $0.code == "datastore-full" }?.severity == .critical)
        fixture.state.secondary.datastore = nil
        fixture.state.secondary.datastoreListed = false
        #expect(fixture.finding("datastore-missing")?.severity == .critical)
    }

    @Test func clockSkewBetweenNodesAndConsole() {
        var fixture = PairFixture()
        fixture.state.primary.clockSkew = 90
        #expect(fixture.finding("clock-skew")?.message.contains("1m") == true)
        fixture.state.primary.clockSkew = 400
        fixture.state.secondary.clockSkew = 400
        #expect(fixture.finding("clock-skew") == nil)
        #expect(fixture.finding("console-clock-skew")?.severity == .info)
    }

    @Test func theRemoteMustPinThePrimarysCertificate() {
        var fixture = PairFixture()
        fixture.state.secondary.remote?.fingerprint = String(repeating: "cd:", count: 31) + "cd"
        let finding = fixture.finding("remote-fingerprint-mismatch")
        #expect(finding?.severity == .critical)
        #expect(finding?.message.contains(PairFixture.fingerprint.description) == true)
    }

    /// A renewed primary certificate: the remote pinned to the old one is named, with the
    /// new fingerprint and the command that fixes it.
    @Test func aRenewedPrimaryCertificateNamesTheRemoteFix() throws {
        var fixture = PairFixture()
        let renewed = try #require(Fingerprint(String(repeating: "ef:", count: 31) + "ef"))
        fixture.state.primary.version = nil
        fixture.state.primary.failure = .fingerprintMismatch(host: "pbs1", expected: PairFixture.fingerprint, presented: renewed)
        let finding = try #require(fixture.finding("remote-fingerprint-stale"))
        #expect(finding.severity == .critical)
        #expect(finding.message.contains("remote update") && finding.message.contains("--fingerprint \(renewed)"), "\(finding.message)")
        fixture.state.secondary.remote?.fingerprint = renewed.description
        #expect(fixture.finding("remote-fingerprint-stale") == nil, "a remote already updated is not named")
    }

    @Test func permissionProblemsNameThePrivilege() {
        var fixture = PairFixture()
        fixture.state.secondary.problems["verify jobs"] = .forbidden(host: "pbs2", path: "/admin/verify",
                                                                     message: "permission check failed - missing Datastore.Audit on /datastore/mirror")
        #expect(fixture.finding("permission-denied")?.message.contains("needs Datastore.Audit") == true)
    }

    @Test func oneFindingPerConditionWorstFirst() {
        var fixture = PairFixture()
        fixture.state.primary.version = nil
        fixture.state.primary.failure = .requestTimeout(host: "pbs1", port: 8007, seconds: 8)
        fixture.syncHistory(["x", "x", "x"])
        let report = fixture.report
        #expect(report.findings.filter { $0.code == "sync-failing" }.count == 1)
        #expect(report.findings.first?.severity == .critical)
        #expect(report.findings.map(\.severity) == report.findings.map(\.severity).sorted(by: >))
    }

    @Test func overallIsUnknownWhenNeitherNodeAnswers() {
        var fixture = PairFixture()
        for role in NodeRole.allCases {
            var node = fixture.state.node(role)
            node.version = nil
            node.failure = .connectTimeout(host: node.host, port: 8007, seconds: 3)
            if role == .primary { fixture.state.primary = node } else { fixture.state.secondary = node }
        }
        #expect(fixture.report.overall == .unknown)
        #expect(fixture.report.overall.exitCode == 3)
    }

    @Test func pveTargetsAreClassified() {
        var fixture = PairFixture()
        var a = PVEReading(name: "pve-a", host: "pve1", storageID: "backup-primary")
        a.version = VersionInfo(version: "8.3.2", release: "8.3", repoid: "x")
        a.storage = PVEStorage(storage: "backup-primary", type: "pbs", server: "pbs2", datastore: "mirror", fingerprint: nil, username: nil)
        var b = a
        b.name = "pve-b"
        b.storage?.server = "10.9.9.9"
        fixture.state.pve = [a, b]
        #expect(fixture.report.targets == [.secondary, .other])
        #expect(fixture.finding("pve-target-other")?.message.contains("pve-b") == true)
    }

    @Test func anIPInStorageCfgAndADNSNameInTheConfigAreTheSameNodeByAddress() {
        var fixture = PairFixture()
        var a = PVEReading(name: "pve-a", host: "pve1", storageID: "backup-primary")
        a.version = VersionInfo(version: "8.3.2", release: "8.3", repoid: "x")
        a.storage = PVEStorage(storage: "backup-primary", type: "pbs", server: "10.0.0.5", datastore: "main", fingerprint: nil, username: nil)
        fixture.state.pve = [a]
        #expect(fixture.report.targets == [.other])
        fixture.state.addresses = ["10.0.0.5": ["10.0.0.5"], "pbs1": ["10.0.0.5", "fd00::5"], "pbs2": ["10.0.0.6"]]
        #expect(fixture.report.targets == [.primary])
    }

    @Test func namesResolveToTheirAddresses() async {
        #expect(AddressResolver.resolve("127.0.0.1") == ["127.0.0.1"])
        #expect(AddressResolver.resolve("[::1]") == ["::1"])
        #expect(!(await AddressResolver.addresses(of: "localhost")).isEmpty)
        #expect(AddressResolver.resolve("no-such-host.invalid").isEmpty)
    }

    @Test func anIPInStorageCfgAndADNSNameInTheConfigAreTheSameNodeByFingerprint() {
        var fixture = PairFixture()
        let secondaryPin = Fingerprint(String(repeating: "cd:", count: 31) + "cd")!
        fixture.policy.secondaryFingerprint = secondaryPin
        var a = PVEReading(name: "pve-a", host: "pve1", storageID: "backup-primary")
        a.version = VersionInfo(version: "8.3.2", release: "8.3", repoid: "x")
        a.storage = PVEStorage(storage: "backup-primary", type: "pbs", server: "192.168.1.10", datastore: "main",
                               fingerprint: PairFixture.fingerprint.description.uppercased(), username: nil)
        var b = a
        b.name = "pve-b"
        b.storage = PVEStorage(storage: "backup-primary", type: "pbs", server: "[fd00::20]", datastore: "mirror",
                               fingerprint: secondaryPin.description, username: nil)
        var c = a
        c.name = "pve-c"
        c.storage?.datastore = "other-store"
        fixture.state.pve = [a, b, c]
        #expect(fixture.report.targets == [.primary, .secondary, .other], "a fingerprint names the node, the datastore must match too")
    }
}

@Suite struct OutputTests {
    @Test func checkLineHasNagiosShapeAndPerfdata() throws {
        var fixture = PairFixture()
        fixture.syncHistory(["sync failed with some errors.", "sync failed with some errors.", "sync failed with some errors."])
        let config = try ConfigFixture().load(ConfigFixture.text())
        let line = CheckLine.render(fixture.report, config: config)
        #expect(line.hasPrefix("PBSHA CRITICAL - sync-never-succeeded"))
        #expect(line.contains(" | consecutive_failures=3;0;2;0"))
        #expect(!line.contains("\n"))
    }

    /// A monitoring system reading only the perfdata must reach the same verdict as pbsha:
    /// Nagios alerts when a value is above its threshold.
    @Test func perfdataThresholdsAgreeWithTheVerdict() throws {
        let config = try ConfigFixture().load(ConfigFixture.text())
        func thresholds(_ line: String, _ label: String) throws -> (value: Int, warn: Int?, crit: Int?) {
            let item = try #require(line.split(separator: "|")[1].split(separator: " ").first { $0.hasPrefix(label + "=") })
            let fields = item.dropFirst(label.count + 1).split(separator: ";", omittingEmptySubsequences: false).map(String.init)
            return (Int(fields[0].trimmingCharacters(in: .letters))!, Int(fields[1]), Int(fields[2]))
        }
        func nagios(_ t: (value: Int, warn: Int?, crit: Int?)) -> HealthStatus {
            if let crit = t.crit, t.value > crit { return .critical }
            if let warn = t.warn, t.value > warn { return .warning }
            return .ok
        }
        for age in [10_799, 10_800, 10_801, 14_399, 14_400] {
            var fixture = PairFixture()
            fixture.setSyncTasks([PairFixture.syncTask(start: PairFixture.now - Int64(age) - 100, status: "OK")])
            let line = CheckLine.render(fixture.report, config: config)
            #expect(nagios(try thresholds(line, "sync_age")) == HealthStatus(worstOf: [fixture.finding("sync-stale")].compactMap { $0 }), "age \(age): \(line)")
        }
        for failures in 0...4 {
            var fixture = PairFixture()
            fixture.syncHistory(Array(repeating: "sync failed with some errors.", count: failures) + ["OK"])
            let line = CheckLine.render(fixture.report, config: config)
            #expect(nagios(try thresholds(line, "consecutive_failures")) == HealthStatus(worstOf: [fixture.finding("sync-failing")].compactMap { $0 }), "\(failures)")
        }
        for failed in 0...2 {
            var fixture = PairFixture()
            for index in 0..<failed { fixture.state.secondary.snapshots![index].item.verification?.state = "failed" }
            let line = CheckLine.render(fixture.report, config: config)
            #expect(nagios(try thresholds(line, "verify_failed")) == HealthStatus(worstOf: [fixture.finding("verify-failed")].compactMap { $0 }), "\(failed)")
        }
        for days in [7, 8, 9] {
            var fixture = PairFixture()
            let run = PairFixture.task("verificationjob", "mirror:v", start: PairFixture.now - Int64(days) * 86_400 - 100,
                                       end: PairFixture.now - Int64(days) * 86_400 - (days == 8 ? 0 : 1), status: "OK")
            fixture.state.secondary.verifyTasks = [run]
            fixture.state.secondary.verifyJobs?[0].status.lastRunUPID = run.upid
            let line = CheckLine.render(fixture.report, config: config)
            #expect(nagios(try thresholds(line, "verify_age")) == HealthStatus(worstOf: [fixture.finding("verify-stale")].compactMap { $0 }), "\(days)d: \(line)")
        }
    }

    @Test func statusJSONFollowsTheContract() throws {
        let fixture = PairFixture()
        let config = try ConfigFixture().load(ConfigFixture.text())
        let json = StatusDocument.build(fixture.state, fixture.report, config: config).serialized()
        for key in ["\"generated-at\": \"2026-11-27T06:00:00Z\"", "\"rpo-seconds\": 14400", "\"overall\": \"ok\"", "\"latency-ms\": 3",
                    "\"last-run-state\": \"ok\"", "\"age-seconds\": 1700", "\"consecutive-failures\": 0", "\"snapshots-ok\": 3",
                    "\"missing-on-secondary\": 0", "\"findings\": []"] {
            #expect(json.contains(key), "missing \(key)")
        }
        #expect(!json.contains("token-p"))
    }

    @Test func statusTextFitsEightyColumns() throws {
        var fixture = PairFixture()
        fixture.state.secondary.version = nil
        fixture.state.secondary.failure = .fingerprintMismatch(host: "pbs2", expected: PairFixture.fingerprint, presented: PairFixture.fingerprint)
        let config = try ConfigFixture().load(ConfigFixture.text())
        let text = StatusText.render(fixture.state, fixture.report, config: config)
        #expect(text.split(separator: "\n").allSatisfy { $0.count <= 80 })
        #expect(text.contains("SECONDARY  DOWN"))
        #expect(text.contains("CRITICAL fingerprint-mismatch"))
    }
}
