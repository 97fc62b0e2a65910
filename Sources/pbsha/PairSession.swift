import Foundation
import Lab
import PairEngine
import ProxmoxAPI

/// A loaded config with the transport to reach it; for `--lab`, also the lab serving it.
struct PairSession {
    let config: PairConfig
    let transport: PinnedHTTPSClient
    let lab: LabRuntime?

    /// Opens the pair the options name. Config errors exit 2 with the message.
    static func open(_ source: PairSource) async throws -> PairSession {
        let limits = PinnedHTTPSClient.Limits(connectTimeout: min(3, source.timeout), requestTimeout: source.timeout)
        let transport = try PinnedHTTPSClient(limits: limits)
        if source.lab {
            let directory = try temporaryDirectory()
            do {
                let lab = try await LabRuntime.start(stateDir: directory, pbshaCommand: Executable.path)
                do {
                    return PairSession(config: try load(lab.configPath), transport: transport, lab: lab)
                } catch {
                    await lab.shutdown()
                    throw error
                }
            } catch {
                try? FileManager.default.removeItem(atPath: directory)
                throw error
            }
        }
        let path: String
        do {
            path = try ConfigLoader.locate(explicit: source.config)
        } catch {
            Output.error("pbsha: \(error)")
            throw Exit.usage
        }
        return PairSession(config: try load(path), transport: transport, lab: nil)
    }

    private static func load(_ path: String) throws -> PairConfig {
        do {
            return try ConfigLoader.load(path: path)
        } catch {
            Output.error("pbsha: \(error)")
            throw Exit.usage
        }
    }

    /// The engine's view of the pair; `status`, `check` and the wallboard only ever read.
    /// `patience`: for a console, how long a refresh waits for a slow node before showing the others.
    func reader(readOnly: Bool, patience: Double? = nil) -> PairReader {
        PairReader(config: config, transport: transport, readOnly: readOnly, patience: patience, rehearsals: rehearsals())
    }

    /// What the drill findings read: the journal, and the runbooks that load (a broken one is
    /// the runbook screen's to explain).
    private func rehearsals() -> RehearsalLedger {
        let runbooks = ["failover", "failback"].compactMap { try? Runbooks.load($0, config) }
        return RehearsalLedger(journalPath: Runbooks.journalPath(config), runbooks: runbooks, maxAgeSeconds: config.drillMaxAgeSeconds)
    }

    func close() async {
        if let lab {
            await lab.shutdown()
            try? FileManager.default.removeItem(atPath: lab.stateDir)
        }
    }

    static func temporaryDirectory() throws -> String {
        var template = Array((NSTemporaryDirectory() + "pbsha-lab-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw Lab.LabError("cannot create a temporary directory for the lab") }
        return String(cString: made)
    }
}
