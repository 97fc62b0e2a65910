import ArgumentParser
import Foundation
import PairEngine
import ProxmoxAPI

/// `pbsha storage-cfg`: PVE's storage.cfg, read and changed the way the failover runbook does.
struct StorageCfgCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage-cfg", abstract: "Read and rewrite PVE's /etc/pve/storage.cfg.",
        subcommands: [Retarget.self])

    /// `pbsha storage-cfg retarget FILE …`: the file with one pbs: entry pointed elsewhere.
    struct Retarget: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print FILE with the pbs: entry STORAGE pointing at another PBS; every other byte as it was.")

        @Argument(help: "A storage.cfg (e.g. a copy of /etc/pve/storage.cfg).")
        var file: String

        @Option(name: .long, help: "The pbs: entry's storage ID.")
        var storage: String

        @Option(name: .long, help: "The PBS's address as PVE should reach it.")
        var server: String

        @Option(name: .long, help: "The datastore on that PBS.")
        var datastore: String

        @Option(name: .long, help: "The PBS's TLS certificate fingerprint (SHA-256).")
        var fingerprint: String

        @Option(name: .long, help: "The PBS user or API token PVE authenticates as.")
        var username: String?

        @Option(name: .long, help: "The PBS's port (8007 is not written).")
        var port: Int?

        @Option(name: .long, help: "The namespace on that datastore.")
        var namespace: String?

        func validate() throws {
            guard Fingerprint(fingerprint) != nil else {
                throw ValidationError("--fingerprint must be 32 colon-separated hex bytes (proxmox-backup-manager cert info), got '\(fingerprint)'")
            }
            for (name, value) in [("--server", server), ("--datastore", datastore), ("--storage", storage)] + (username.map { [("--username", $0)] } ?? [])
                where value.isEmpty || value.contains(where: { $0.isWhitespace }) {
                throw ValidationError("\(name) must be one word without spaces, got '\(value)'")
            }
            if let port, !(1...65_535).contains(port) { throw ValidationError("--port must be 1 to 65535, got \(port)") }
        }

        func run() throws {
            guard let data = FileManager.default.contents(atPath: file) else {
                Output.error("pbsha: cannot read \(file) (\(String(cString: strerror(errno)))); check the path")
                throw Exit.usage
            }
            guard let text = String(data: data, encoding: .utf8) else {
                Output.error("pbsha: \(file) is not UTF-8 text; PVE writes storage.cfg as UTF-8")
                throw Exit.usage
            }
            let target = StorageConfig.Target(server: server, datastore: datastore, fingerprint: fingerprint,
                                              username: username, port: port, namespace: namespace)
            do {
                let changed = try StorageConfig(text).retargeting(storage, to: target)
                FileHandle.standardOutput.write(Data(changed.text.utf8))
            } catch {
                Output.error("pbsha: \(file): \(error)")
                throw Exit.usage
            }
        }
    }
}
