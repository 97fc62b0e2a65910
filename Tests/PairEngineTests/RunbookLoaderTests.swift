import BuiltIn
@testable import PairEngine
import Testing

/// Runbook files: the built-in one loads; a user's file is refused with the file, the line
/// and the known names when it names something the engine cannot do.
@Suite struct RunbookLoaderTests {
    @Test func theBuiltInFailoverRunbookHasTheSeedsFiveSteps() throws {
        let file = try #require(BuiltIn.runbook("failover"))
        let runbook = try RunbookLoader.parse(file.text, file: file.path, kind: "failover")
        #expect(runbook.steps.map(\.owner) == ["on-call", "on-call", "on-call", "comms or on-call", "ops lead"])
        #expect(runbook.steps.map(\.estimateSeconds) == [120, 300, 300, 300, nil])
        #expect(runbook.steps[1].confirmation == .word("FAILOVER") && runbook.steps[1].hardGates.contains("secondary-prepared"))
    }

    @Test func theBuiltInFailbackRunbookGuardsTheRetargetWithOverridableGates() throws {
        let file = try #require(BuiltIn.runbook("failback"))
        let runbook = try RunbookLoader.parse(file.text, file: file.path, kind: "failback")
        #expect(runbook.steps.map(\.action) == ["reverse-sync", "catch-up", "verify-primary", "retarget-to-primary", "retire-reverse-sync"])
        #expect(runbook.steps[3].hardGates.contains("caught-up") && runbook.steps[3].hardGates.contains("primary-verified"))
        #expect(runbook.steps[3].overridable == ["caught-up", "primary-verified"] && runbook.steps[3].confirmation == .word("FAILBACK"))
    }

    private let valid = """
        kind = "failover"
        title = "Ours"

        [[step]]
        title = "Call the vendor"
        owner = "ops lead"
        estimate = "10m"
        action = "manual"
        confirm = "enter"

        [[step]]
        title = "Move"
        owner = "on-call"
        estimate = "5m"
        action = "retarget-to-secondary"
        hard-gates = ["previous-steps-done"]
        confirm = "type MOVE"
        """

    @Test func aUsersFileMayReorderRewordAndAddManualSteps() throws {
        let runbook = try RunbookLoader.parse(valid, file: "ours.toml", kind: "failover")
        #expect(runbook.steps.map(\.action) == ["manual", "retarget-to-secondary"] && runbook.steps[1].confirmation == .word("MOVE"))
    }

    @Test(arguments: [
        ("action = \"retarget-to-secondary\"", "action = \"teleport\"", 15, "unknown action 'teleport'; known failover actions: manual, notify, prepare-secondary"),
        ("[\"previous-steps-done\"]", "[\"moon-phase\"]", 16, "unknown gate 'moon-phase'; known gates: caught-up, encryption-keys, failover-done"),
        ("estimate = \"5m\"", "estimate = \"soon\"", 14, "estimate 'soon' is not a duration"),
        ("confirm = \"type MOVE\"", "confirm = \"type move\"", 17, "confirm is \"none\", \"enter\" or \"type WORD\""),
        ("confirm = \"enter\"", "confirm = \"none\"", 9, "a manual step waits for the operator"),
        ("owner = \"on-call\"", "owner = \"on-call\"\ncolour = \"red\"", 14, "unknown key 'colour'"),
        ("confirm = \"type MOVE\"", "overridable-gates = [\"secondary-reachable\"]\nconfirm = \"type MOVE\"", 17,
         "'secondary-reachable' is not among this step's hard-gates; only a hard gate can be overridden"),
    ])
    func mistakesAreRefusedWithFileLineAndTheKnownNames(replace: String, with: String, line: Int, message: String) {
        let text = valid.replacingOccurrences(of: replace, with: with)
        #expect { try RunbookLoader.parse(text, file: "ours.toml", kind: "failover") } throws: { error in
            guard let error = error as? RunbookError else { return false }
            return error.file == "ours.toml" && error.line == line && error.message.contains(message)
        }
    }

    @Test func aFileOfTheWrongKindOrNotTOMLIsRefused() {
        #expect(throws: RunbookError.self) { try RunbookLoader.parse(valid, file: "ours.toml", kind: "failback") }
        #expect { try RunbookLoader.parse("kind = ", file: "x.toml", kind: "failover") } throws: { ($0 as? RunbookError)?.line == 1 }
    }
}
