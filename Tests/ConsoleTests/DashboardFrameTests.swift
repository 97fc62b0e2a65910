@testable import Console
import Foundation
import PairEngine
import ProxmoxAPI
import Testing

@Suite struct DashboardFrameTests {
    /// The whole 80x24 dashboard of a healthy pair, compared with the reviewed golden copy.
    @Test func healthyDashboardAt80x24MatchesTheGolden() throws {
        let frame = Render.frame(ConsoleFixture.state())
        let url = try #require(Bundle.module.url(forResource: "dashboard-80x24", withExtension: "txt", subdirectory: "Golden"))
        let golden = try String(contentsOf: url, encoding: .utf8)
        #expect(frame.text == golden.trimmingCharacters(in: .newlines), "\nGOLDEN-BEGIN\n\(frame.text)\nGOLDEN-END")
    }

    @Test func everyRowFitsAndTheHeaderSaysModePairAndVerdict() {
        for (width, height) in [(80, 24), (132, 43)] {
            let frame = Render.frame(ConsoleFixture.state(width: width, height: height))
            #expect(frame.lines.count == height)
            #expect(frame.lines.allSatisfy { $0.count == width })
            #expect(frame.lines[0].contains("LAB"))
            #expect(frame.lines[0].contains("lab-pair"))
            #expect(frame.lines[0].hasSuffix(" OK "))
            #expect(frame.text.contains("PRIMARY pbs1") && frame.text.contains("SECONDARY pbs2"))
            #expect(frame.text.contains("LAST SUCCESS"))
            #expect(frame.text.contains("VERIFY OK mirror: last ok 2h ago  4 ok  0 failed  0 unverified"))
        }
    }

    @Test func aNodeThatHasNotAnsweredSaysForHowLongAndKeepsItsLastFigures() {
        var pair = ConsoleFixture.pair()
        pair.secondary.waitingSince = Double(ConsoleFixture.now) - 21
        let frame = Render.frame(ConsoleFixture.state(pair))
        #expect(frame.text.contains("NO ANSWER for 23s  (last answer)"), "\(frame.text)")
        #expect(frame.text.contains("datastore mirror"), "the last figures stay")
        var fresh = ConsoleFixture.pair()
        fresh.secondary = NodeReading(role: .secondary, host: "pbs2", datastoreName: "mirror")
        fresh.secondary.waitingSince = Double(ConsoleFixture.now) - 5
        #expect(Render.frame(ConsoleFixture.state(fresh)).text.contains("NO ANSWER for 7s"))
    }

    @Test func verifyStatesCopiedFromThePrimaryAreShownApart() {
        var pair = ConsoleFixture.pair()
        pair.secondary.snapshots = pair.primary.snapshots
        pair.secondary.snapshots![0].item.verification?.upid = ConsoleFixture.verifyRun.upid
        let frame = Render.frame(ConsoleFixture.state(pair))
        let line = frame.lines.first { $0.contains("VERIFY") } ?? ""
        #expect(line.contains("1 ok  0 failed  0 unverified  3 ok via sync"), "\(line)")
        #expect(line.count == 80)
        // With larger numbers it no longer fits: it is left out rather than cut to "3 ok".
        pair.secondary.snapshots! += (10..<130).map { ConsoleFixture.snapshot("1\($0)", ConsoleFixture.now - 90_000 - Int64($0), verified: nil) }
        let crowded = Render.frame(ConsoleFixture.state(pair)).lines.first { $0.contains("VERIFY") } ?? ""
        #expect(!crowded.contains("via"), "\(crowded)")
        #expect(crowded.trimmingCharacters(in: .whitespaces).hasSuffix("unverified"))
    }

    @Test func theWideLayoutShowsMore() {
        let frame = Render.frame(ConsoleFixture.state(width: 132, height: 43))
        #expect(frame.text.contains("clock +0s vs console"))
        #expect(frame.lines[1].count == 132)
    }

    @Test func aDownNodeSaysSinceWhenAndWhyWhileTheOtherKeepsUpdating() {
        var state = ConsoleFixture.state()
        let pair = ConsoleFixture.down(ConsoleFixture.pair(), .primary)
        _ = Update.apply(&state, .observed(pair, HealthReport.evaluate(pair, policy: ConsoleFixture.policy)))
        _ = Update.apply(&state, .tick(Double(ConsoleFixture.now) + 185))
        let text = Render.frame(state).text
        #expect(text.contains("● DOWN since 06:00:02Z (3m)"))
        #expect(text.contains("pbs1:8007 refused the connection"))
        #expect(text.contains("● UP  3 ms  PBS 3.4.1"))
        #expect(text.contains("CRITICAL primary (pbs1) is unreachable"))
        #expect(Render.frame(state).lines[0].hasSuffix(" CRITICAL "))
    }

    @Test func aFailingSyncShowsFailuresAndTheFindingWorstFirst() {
        let pair = ConsoleFixture.pair(syncStatuses: ["sync failed with some errors.", "sync failed with some errors.", "WARNINGS: 1", "OK"])
        let frame = Render.frame(ConsoleFixture.state(pair))
        #expect(frame.text.contains("last run ERROR"))
        #expect(frame.text.contains("failures in a row: 3"))
        let findings = frame.lines.drop { !$0.contains("FINDINGS") }.dropFirst()
        #expect(findings.first?.hasPrefix(" CRITICAL sync failing for 3 runs in a row") == true)
    }

    @Test func asciiModeUsesNoLineDrawingCharacters() {
        var state = ConsoleFixture.state(ascii: true)
        _ = Update.apply(&state, .key(.char("r")))
        #expect(state.refreshing)
        let text = Render.frame(state).text
        #expect(!text.unicodeScalars.contains { $0.value > 0x7E }, "\n\(text)")
        #expect(text.contains("+- PRIMARY pbs1"))
        #expect(text.contains("* UP") == true)
        var logs = state
        _ = Update.apply(&logs, .key(.char("l")))
        let wallboard = ConsoleFixture.state(wallboard: true, ascii: true)
        for other in [Render.frame(logs).text, Render.frame(wallboard).text] {
            #expect(!other.unicodeScalars.contains { $0.value > 0x7E }, "\n\(other)")
        }
    }

    @Test func tooSmallSaysWhatIsNeeded() {
        let frame = Render.frame(ConsoleFixture.state(width: 60, height: 20))
        #expect(frame.text.contains("terminal too small (need 80x24, have 60x20)"))
        #expect(frame.lines.count == 20 && frame.lines.allSatisfy { $0.count == 60 })
    }
}

@Suite struct PaletteTests {
    @Test func noColorMeansAttributesOnly() {
        for tone in [Tone.normal, .ok, .warning, .critical, .unknown, .accent, .title, .dim] {
            #expect(Palette.attributes(for: Style(tone), color: false).pair == 0)
        }
        #expect(Palette.attributes(for: Style(.critical), color: false) == .init(bold: true, reverse: true))
        #expect(Palette.attributes(for: Style(.warning), color: false) == .init(bold: true))
        #expect(Palette.attributes(for: Style(.unknown), color: false) == .init(underline: true))
    }

    @Test func colourMapsTonesToPairs() {
        #expect(Palette.attributes(for: Style(.ok), color: true).pair == 1)
        #expect(Palette.attributes(for: Style(.critical, bold: true), color: true) == .init(bold: true, pair: 3))
    }

    @Test func everyStatusIsAlsoAWord() {
        // Without colour the verdict must still be readable: it is printed as a word.
        let pair = ConsoleFixture.down(ConsoleFixture.pair(), .secondary)
        let text = Render.frame(ConsoleFixture.state(pair)).text
        #expect(text.contains("CRITICAL"))
        #expect(text.contains("DOWN"))
        #expect(text.contains("unknown: the secondary could not be read"))
    }
}

@Suite struct FrameTests {
    @Test func changesListsOnlyDifferentCells() {
        var a = Frame(width: 4, height: 2)
        a.put("ab", x: 0, y: 0)
        var b = a
        b.put("c", x: 3, y: 1)
        #expect(b.changes(since: a).map { "\($0.x),\($0.y)" } == ["3,1"])
        #expect(b.changes(since: nil).count == 8)
        #expect(b.changes(since: Frame(width: 3, height: 2)).count == 8)
    }

    @Test func putClipsAtTheEdge() {
        var frame = Frame(width: 5, height: 1)
        frame.put("abcdefgh", x: 2, y: 0)
        #expect(frame.lines == ["  abc"])
        frame.put("zz", x: 0, y: 5)
        #expect(frame.lines == ["  abc"])
    }
}

/// A node sending times and sizes at the limits of Int64 is drawn, not trapped on.
@Suite struct ExtremeFrameTests {
    @Test(arguments: [Int64.max, Int64.min, 0])
    func extremeNumbersRender(value: Int64) {
        var pair = ConsoleFixture.pair()
        for role in NodeRole.allCases {
            var node = pair.node(role)
            node.time = NodeTime(timezone: "UTC", time: value, localtime: value)
            node.status = DatastoreStatus(total: value, used: value, avail: value, counts: nil)
            node.snapshots = [ConsoleFixture.snapshot("100", value)]
            node.latencyMs = Double(value)
            if role == .primary { pair.primary = node } else { pair.secondary = node }
        }
        pair.secondary.syncTasks?[0].starttime = value
        pair.secondary.syncTasks?[0].endtime = value
        pair.secondary.syncJob?.status.nextRun = value
        pair.secondary.syncJob?.status.lastRunEndtime = value
        for wallboard in [false, true] {
            var state = ConsoleFixture.state(pair, wallboard: wallboard)
            _ = Update.apply(&state, .tick(Double(value)))
            let frame = Render.frame(state)
            #expect(frame.lines.count == 24 && frame.lines.allSatisfy { $0.count == 80 })
        }
    }
}
