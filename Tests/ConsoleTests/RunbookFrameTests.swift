@testable import Console
import Foundation
import PairEngine
import Testing

/// The runbook screen at 80x24 in each state a run passes, compared with reviewed golden
/// copies: the text, the colours a colour terminal gets, the attributes NO_COLOR gets, and
/// the text in ASCII. `PBSHA_RECORD_GOLDEN=1 swift test --filter RunbookFrameTests` writes
/// them anew for review.
@Suite struct RunbookFrameTests {
    @Test(arguments: RunbookFixture.Stage.allCases)
    func eachStateMatchesItsGolden(stage: RunbookFixture.Stage) throws {
        let unicode = Render.frame(RunbookFixture.state(stage))
        let ascii = Render.frame(RunbookFixture.state(stage, ascii: true))
        let rendered = [unicode.text, "-- colour: pair letter (g ok, y warning, r critical, u unknown, a accent), upper case bold --",
                        Self.colours(unicode), "-- NO_COLOR: R bold+reverse, r reverse, B bold, u underline, d dim --",
                        Self.attributes(unicode), "-- ASCII --", ascii.text].joined(separator: "\n")
        let name = "runbook-\(stage.rawValue)-80x24"
        if ProcessInfo.processInfo.environment["PBSHA_RECORD_GOLDEN"] == "1" {
            let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
            try (rendered + "\n").write(to: directory.appendingPathComponent("\(name).txt"), atomically: true, encoding: .utf8)
        }
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "txt", subdirectory: "Golden"), "no golden \(name).txt")
        let golden = try String(contentsOf: url, encoding: .utf8).trimmingCharacters(in: .newlines)
        #expect(rendered == golden, "\nGOLDEN-BEGIN\n\(rendered)\nGOLDEN-END")
        #expect(ascii.text.unicodeScalars.allSatisfy { $0.isASCII }, "ASCII mode draws ASCII only")
    }

    static func colours(_ frame: Frame) -> String {
        grid(frame) { cell in
            let attributes = Palette.attributes(for: cell.style, color: true)
            let letter: Character = [1: "g", 2: "y", 3: "r", 4: "u", 5: "a"][attributes.pair] ?? "."
            return attributes.bold ? Character(letter.uppercased()) : letter
        }
    }

    static func attributes(_ frame: Frame) -> String {
        grid(frame) { cell in
            let attributes = Palette.attributes(for: cell.style, color: false)
            switch (attributes.bold, attributes.reverse, attributes.underline, attributes.dim) {
            case (true, true, _, _): return "R"
            case (false, true, _, _): return "r"
            case (true, false, _, _): return "B"
            case (_, _, true, _): return "u"
            case (_, _, _, true): return "d"
            default: return "."
            }
        }
    }

    private static func grid(_ frame: Frame, _ letter: (Cell) -> Character) -> String {
        (0..<frame.height).map { y in String((0..<frame.width).map { x in letter(frame[x, y]) }) }.joined(separator: "\n")
    }

    /// Every state says itself in words, so NO_COLOR and a colour-blind reader lose nothing.
    @Test func statesAreWordsNotOnlyColours() {
        let words: [RunbookFixture.Stage: String] = [
            .plan: "Enter starts a failover run", .softGate: "ACKNOWLEDGE nothing-missed", .confirm: "type FAILOVER to confirm: FAIL_",
            .refused: "REFUSED by secondary-prepared", .running: "RUNNING step 3", .done: "DONE: pbsha report",
        ]
        for (stage, word) in words {
            #expect(Render.frame(RunbookFixture.state(stage)).text.contains(word), "\(stage)")
        }
        let running = Render.frame(RunbookFixture.state(.running)).text
        #expect(running.contains("running LATE"), "step 3 runs past its 5m estimate: \(running)")
        #expect(running.contains("FAILOVER 3/5"), "the header shows the run's progress")
    }

    /// A long pair name leaves less room: the progress drops its times rather than being cut.
    @Test func theHeadersProgressIsShortenedWholeNeverCut() {
        var state = RunbookFixture.state(.running)
        state.pairName = "backup-pair-frankf"
        let header = String(Render.frame(state).text.split(separator: "\n")[0])
        #expect(header.contains(" FAILOVER 3/5  ") && !header.contains("8m/17m"), "\(header)")
        #expect(header.contains("06:08:20Z data 8m old"), "\(header)")
        state.pairName = "backup-pair-frankfurt-01"
        let narrower = String(Render.frame(state).text.split(separator: "\n")[0])
        #expect(!narrower.contains("FAILOVER"), "no room for a whole progress, none shown: \(narrower)")
        #expect(narrower.contains("06:08:20Z data 8m old"), "\(narrower)")
        // A name longer than the room (a drill's scenario) is cut, one column clear of the clock.
        state.mode = .drill
        state.pairName = "5-failback-primary-only-snapshot-and-then-some"
        let drill = String(Render.frame(state).text.split(separator: "\n")[0])
        #expect(drill.contains(" DRILL  5-failback-primary") && drill.contains(" 06:08:20Z data 8m old"), "\(drill)")
    }
}
