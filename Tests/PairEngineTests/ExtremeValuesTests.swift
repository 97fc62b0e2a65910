import Foundation
@testable import PairEngine
import ProxmoxAPI
import Testing

/// Numbers a broken or hostile node may send: nothing traps, sizes stay exact.
@Suite struct ExtremeValuesTests {
    @Test func integersAbove2To53DecodeExactly() throws {
        let body = #"{"data":{"total":9007199254740993,"used":9223372036854775807,"avail":-9223372036854775808}}"#
        let status = try JSONDecoder().decode(Envelope<DatastoreStatus>.self, from: Data(body.utf8)).data
        #expect(status.total == 9_007_199_254_740_993)
        #expect(status.used == Int64.max)
        #expect(status.avail == Int64.min)
    }

    @Test(arguments: [Int64.max, Int64.min, Int64.max - 1, Int64.min + 1, 0])
    func extremeTimesAndSizesNeverTrap(value: Int64) throws {
        var fixture = PairFixture()
        for role in NodeRole.allCases {
            var node = fixture.state.node(role)
            node.time = NodeTime(timezone: "UTC", time: value, localtime: value)
            node.status = DatastoreStatus(total: value, used: value, avail: value, counts: nil)
            node.snapshots = [PairFixture.snapshot("100", value, verified: "ok", size: value)]
            if role == .primary { fixture.state.primary = node } else { fixture.state.secondary = node }
        }
        fixture.state.secondary.syncTasks = [TaskListItem(upid: try UPID(PairFixture.syncTask(start: 1, status: "OK").upid), endtime: value, status: "OK")]
        fixture.state.secondary.syncTasks![0].starttime = value
        fixture.state.secondary.syncJob?.status = JobScheduleStatus(nextRun: value, lastRunUPID: fixture.state.secondary.syncTasks![0].upid,
                                                                    lastRunState: "OK", lastRunEndtime: value)
        fixture.state.secondary.verifyTasks = [TaskListItem(upid: PairFixture.secondaryVerify.parsedUPID, endtime: value, status: "OK")]
        fixture.state.observedAt = Double(value)
        let report = fixture.report
        let config = try ConfigFixture().load(ConfigFixture.text())
        _ = StatusText.render(fixture.state, report, config: config)
        _ = CheckLine.render(report, config: config)
        _ = StatusDocument.build(fixture.state, report, config: config).serialized()
        _ = Durations.format(Int.min)
        _ = Timestamps.rfc3339(value)
    }
}

private extension TaskListItem {
    var parsedUPID: UPID { try! UPID(upid) }
}
