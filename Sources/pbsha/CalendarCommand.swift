import ArgumentParser
import Foundation
import PairEngine

/// `pbsha calendar EXPR`: the next runs of a PBS calendar event.
struct CalendarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar", abstract: "Print the next runs of a PBS calendar event, one per line (ISO 8601, this machine's time zone).")

    @Argument(help: "A calendar event such as 'mon..fri 02:00' or '*:0/15'.")
    var expression: String

    @Option(name: .long, help: "Start after this time (ISO 8601), default now.")
    var from: String?

    @Option(name: .long, help: "How many runs to print.")
    var count = 5

    func run() throws {
        let event: CalendarEvent
        do { event = try CalendarEvent(expression) } catch {
            Output.error("pbsha: \(error)")
            throw Exit.usage
        }
        var start = Int64(Date().timeIntervalSince1970)
        if let from {
            guard let parsed = Timestamps.parse(from) else {
                Output.error("pbsha: --from '\(from)' is not an ISO 8601 time such as 2026-11-27T06:00:00Z")
                throw Exit.usage
            }
            start = parsed
        }
        guard count > 0 else {
            Output.error("pbsha: --count must be at least 1")
            throw Exit.usage
        }
        // This machine's zone ($TZ), with its daylight-saving changes: each run carries its own offset.
        let zone = ZoneRules(TimeZone.current)
        let runs = event.upcoming(after: start, count: count, in: zone)
        if runs.isEmpty { Output.error("pbsha: '\(expression)' has no run after \(Timestamps.rfc3339(start))") }
        for run in runs { Output.line(Timestamps.rfc3339(run, utcOffset: zone.offset(at: run))) }
    }
}
