import Foundation
import TestSupport
import Testing

/// Answers a failover's prompts in a console the way the operator does: ACK for the soft
/// gates, FAILOVER, the ticket, Enter for the checklist, until the run is done. Records an
/// issue with the screen when the run is refused, waits for a person, or a prompt stays 30 s.
struct FailoverPrompts {
    let tmux: Tmux
    var ticket = "INC-4242"

    /// `whileRunning`: called while a step runs (to push the lab's clock); `eachScreen`: with
    /// every screen read (to start a second console, watch a wallboard).
    func drive(timeout: Double = 240, whileRunning: () async -> Void = {}, eachScreen: ([Substring]) async -> Void = { _ in })
        async -> (done: Bool, answered: [String], screen: String) {
        var answered: [String] = []
        let deadline = Date().addingTimeInterval(timeout)
        var (lastPrompt, lastChange) = ("", Date())
        var screen = ""
        while Date() < deadline {
            screen = await tmux.screen()
            // The prompt line is the one above the footer (row 23 of 24).
            let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
            let prompt = lines.count > 22 ? String(lines[22]) : ""
            if prompt != lastPrompt { (lastPrompt, lastChange) = (prompt, Date()) }
            if Date().timeIntervalSince(lastChange) > 30 {
                Issue.record("the prompt stayed the same for 30 s:\n\(screen)")
                return (false, answered, screen)
            }
            if prompt.contains("DONE: pbsha report") { return (true, answered, screen) }
            if prompt.contains("REFUSED") || prompt.contains("WAITING:") {
                Issue.record("the run stopped:\n\(screen)")
                return (false, answered, screen)
            }
            await eachScreen(lines)
            if prompt.contains("ACKNOWLEDGE") {
                await answer("ACK", &answered)
            } else if prompt.contains("then type FAILOVER") {
                await answer("FAILOVER", &answered)
            } else if prompt.contains("TICKET") {
                await answer(ticket, &answered)
            } else if prompt.contains("CONFIRM: Enter.") {
                await tmux.keys("Enter")
                answered.append("Enter")
                try? await Task.sleep(for: .seconds(1))
            } else {
                if prompt.contains("RUNNING") { await whileRunning() }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        Issue.record("the run did not end within \(Int(timeout)) s:\n\(screen)")
        return (false, answered, screen)
    }

    /// Enter opens the prompt line; the answer is typed and submitted.
    private func answer(_ text: String, _ answered: inout [String]) async {
        await tmux.keys("Enter")
        await tmux.waitFor("_", timeout: 5)
        await tmux.type(text)
        await tmux.keys("Enter")
        answered.append(text)
        try? await Task.sleep(for: .seconds(1))
    }
}
