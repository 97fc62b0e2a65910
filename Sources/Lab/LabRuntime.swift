import Foundation
import NIOCore
import NIOPosix
import PairEngine
import ProxmoxAPI

/// A running lab: the world on a clock, one HTTPS server per node, persistence in the
/// state directory, and the config file that points pbsha at it.
public actor LabRuntime {
    public nonisolated let stateDir: String
    public nonisolated let speed: Double
    /// The command that runs `pbsha` (the config's `remote-shell` runs `lab shell` with it).
    nonisolated let pbshaCommand: String
    var world: LabWorld
    let clock: any WallClock
    var servers: [String: LabHTTPSServer] = [:]
    var fingerprints: [String: Fingerprint] = [:]
    /// World time = worldAnchor + (real - realAnchor) * speed.
    private(set) var realAnchor: Double
    private(set) var worldAnchor: Int64
    private var ticker: Task<Void, Never>?
    private var controlChannel: (any Channel)?
    private var webhookServer: LabHTTPSServer?
    /// What each host's PVE files looked like when last read (see `loadPVEFiles`).
    private var pveFileStamps: [String: [String]] = [:]
    /// Each host's files as the lab last read or wrote them: only a world that moved away
    /// from these is written, so an edit `lab shell` renames in is read, never overwritten.
    private var pveFilesOnDisk: [String: PVEFiles] = [:]
    /// Events ran since the last save.
    private var unsaved = false
    /// Requests other than GET since the lab started, accepted or not (`lab ctl status`
    /// reports them, so a test can prove a read-only command sent none).
    private var writesReceived = 0
    /// A staged scenario's events still to come, at world times (not saved: a restarted lab
    /// has none).
    var scheduledEvents: [(time: Int64, words: [String])] = []

    public nonisolated var configPath: String { "\(stateDir)/pbsha.toml" }
    nonisolated var statePath: String { "\(stateDir)/lab-state.json" }

    /// Loads the world from `stateDir` (or creates one with 14 days of history), serves it,
    /// and writes `pbsha.toml`.
    /// `pbshaCommand` is how the config's `remote-shell` starts pbsha (its absolute path).
    public static func start(stateDir: String, speed: Double = 1, archive: LabArchive? = nil, clock: any WallClock = SystemClock(), pbshaCommand: String = "pbsha",
                             group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> LabRuntime {
        for directory in ["secrets", "certs"] {
            try FileManager.default.createDirectory(atPath: "\(stateDir)/\(directory)", withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        let now = clock.now()
        var world: LabWorld
        if let data = FileManager.default.contents(atPath: "\(stateDir)/lab-state.json") {
            if archive != nil {
                throw LabError("\(stateDir) holds a lab already; --groups and --snapshots-per-group size a new one (give a new --state-dir)")
            }
            do {
                let saved = try JSONDecoder().decode(SavedLab.self, from: data)
                world = saved.world
                // The world went on while the lab was stopped.
                world.advance(to: world.now + Int64(max(0, now - saved.savedAt) * speed))
            } catch {
                throw LabError("cannot read \(stateDir)/lab-state.json (\(error)); move it away to start a fresh lab")
            }
        } else {
            // The certificates come first: the world's remote and PVE entries pin them.
            var fingerprints: [NodeRole: String] = [:]
            for (role, name) in LabWorld.nodeNames {
                fingerprints[role] = try LabIdentity.load(named: name, in: "\(stateDir)/certs") { try LabIdentity.pbs(nodeName: $0) }.fingerprint.description
            }
            world = LabWorld.fresh(now: Int64(now), fingerprints: fingerprints)
            if let archive { world.add(archive) }
        }
        let runtime = LabRuntime(stateDir: stateDir, speed: speed, world: world, clock: clock, realAnchor: now, pbshaCommand: pbshaCommand)
        try await runtime.loadPVEFiles()
        try await runtime.serve(group: group)
        try await runtime.writePVEFiles()
        try await runtime.save()
        try await runtime.writeConfig()
        await runtime.startTicking()
        try await runtime.startControl(group: group)
        return runtime
    }

    /// `realAnchor` is the real time that `world.now` corresponds to.
    private init(stateDir: String, speed: Double, world: LabWorld, clock: any WallClock, realAnchor: Double, pbshaCommand: String) {
        self.stateDir = stateDir
        self.pbshaCommand = pbshaCommand
        self.speed = speed
        self.world = world
        self.clock = clock
        self.realAnchor = realAnchor
        self.worldAnchor = world.now
    }

    private func serve(group: any EventLoopGroup) async throws {
        let certs = "\(stateDir)/certs"
        for role in NodeRole.allCases {
            let identity = try LabIdentity.load(named: world.node(role).nodeName, in: certs) { try LabIdentity.pbs(nodeName: $0) }
            let server = LabHTTPSServer(context: try identity.serverContext(), group: group) { [weak self] request in
                await LabRuntime.delayed(await self?.answerPBS(role, request))
            }
            let port = try await Self.bind(server, preferred: world.node(role).port)
            world.bind(role, port: port, fingerprint: identity.fingerprint)
            servers[role.rawValue] = server
            fingerprints[role.rawValue] = identity.fingerprint
            if world.node(role).mode == .down { await server.stop() }
        }
        for index in world.pve.indices {
            let host = world.pve[index]
            let identity = try LabIdentity.load(named: host.name, in: certs) { try LabIdentity.pve(nodeName: $0) }
            let server = LabHTTPSServer(context: try identity.serverContext(), group: group) { [weak self] request in
                await LabRuntime.delayed(await self?.answerPVE(index, request))
            }
            world.pve[index].port = try await Self.bind(server, preferred: host.port)
            world.pve[index].fingerprint = identity.fingerprint.description
            servers[host.name] = server
            fingerprints[host.name] = identity.fingerprint
            if host.mode == .down { await server.stop() }
        }
        let hook = try LabIdentity.load(named: "webhook", in: certs) { try LabIdentity.pve(nodeName: $0) }
        let sink = LabHTTPSServer(context: try hook.serverContext(), group: group) { [weak self] request in
            await self?.answerWebhook(request)
        }
        world.webhook.port = try await Self.bind(sink, preferred: world.webhook.port)
        webhookServer = sink
        fingerprints["webhook"] = hook.fingerprint
    }


    /// Binds the remembered port, or any free one if it is taken.
    /// New ports come from below Linux's ephemeral range (32768 and up): a port the kernel
    /// hands to outgoing connections could be taken while a node is down, and the node
    /// could not come back up on it.
    private static func bind(_ server: LabHTTPSServer, preferred: Int) async throws -> Int {
        if preferred != 0, let port = try? await server.start(port: preferred) { return port }
        for _ in 0..<64 {
            if let port = try? await server.start(port: Int.random(in: 20_000..<32_768)) { return port }
        }
        return try await server.start(port: 0)
    }

    /// Moves the world along every second and saves it when something happened (a restart
    /// replays the time since `savedAt`, so an idle lab need not write at all).
    private func startTicking() {
        ticker = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                try? await self?.tickAndSave()
                await self?.runScheduledEvents()
            }
        }
    }

    /// Moves the world to the time the clock says, after reading what `lab shell` changed.
    func tick() {
        try? loadPVEFiles()
        let target = worldAnchor + Int64((clock.now() - realAnchor) * speed)
        if target > world.now, world.advance(to: target) { unsaved = true }
    }

    private func tickAndSave() throws {
        tick()
        if unsaved { try save() }
    }

    /// Where a PVE host's `/etc/pve` lives in the state directory.
    nonisolated func pveRoot(_ name: String) -> String { "\(stateDir)/pve/\(name)/etc/pve" }

    /// Reads each host's storage.cfg and `priv/storage/*.pw` from disk when they differ from
    /// the world's (an edit through `lab shell`); files that do not exist yet are written.
    private func loadPVEFiles() throws {
        for index in world.pve.indices {
            let root = pveRoot(world.pve[index].name)
            // Read only when a file's time or size moved: this runs on every request and tick.
            let stamp = Self.stamp(root)
            guard stamp != pveFileStamps[root] else { continue }
            pveFileStamps[root] = stamp
            guard let data = FileManager.default.contents(atPath: "\(root)/storage.cfg") else { continue }
            let text = String(decoding: data, as: UTF8.self)
            var passwords: [String: String] = [:]
            let secrets = "\(root)/priv/storage"
            for file in (try? FileManager.default.contentsOfDirectory(atPath: secrets)) ?? [] where file.hasSuffix(".pw") {
                guard let secret = FileManager.default.contents(atPath: "\(secrets)/\(file)") else { continue }
                var value = String(decoding: secret, as: UTF8.self)
                if value.hasSuffix("\n") { value.removeLast() }
                passwords[String(file.dropLast(3))] = value
            }
            pveFilesOnDisk[root] = PVEFiles(storageCfg: text, passwords: passwords)
            guard text != world.pve[index].storageCfg || passwords != world.pve[index].passwords else { continue }
            world.pve[index].storageCfg = text
            world.pve[index].passwords = passwords
            world.storageFileChanged(host: index)
            unsaved = true
        }
    }

    /// A host's storage.cfg text and its storage passwords by storage ID.
    private struct PVEFiles: Equatable {
        let storageCfg: String
        let passwords: [String: String]
    }

    /// Modification time and size of storage.cfg and every `priv/storage/*.pw`, as one value.
    private static func stamp(_ root: String) -> [String] {
        let secrets = "\(root)/priv/storage"
        let files = ["\(root)/storage.cfg"] + ((try? FileManager.default.contentsOfDirectory(atPath: secrets)) ?? []).sorted().map { "\(secrets)/\($0)" }
        return files.map { path in
            var info = stat()
            guard stat(path, &info) == 0 else { return "\(path) -" }
            return "\(path) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec) \(info.st_size) \(info.st_ino)"
        }
    }

    /// Writes each host's storage.cfg and password files where the world changed since the lab
    /// last read or wrote them (an API write, a rebind, the first start), as PVE does: a
    /// temporary file renamed over. A host whose world did not change is left alone even when
    /// its disk differs: that is an edit the next tick reads.
    func writePVEFiles() throws {
        for host in world.pve {
            let root = pveRoot(host.name)
            let files = PVEFiles(storageCfg: host.storageCfg, passwords: host.passwords)
            if pveFilesOnDisk[root] == files, FileManager.default.fileExists(atPath: "\(root)/storage.cfg") { continue }
            pveFilesOnDisk[root] = files
            let secrets = "\(root)/priv/storage"
            try FileManager.default.createDirectory(atPath: secrets, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try FileManager.default.createDirectory(atPath: "\(root)/priv/lock", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            if FileManager.default.contents(atPath: "\(root)/storage.cfg") != Data(host.storageCfg.utf8) {
                try LabFiles.writePrivate(host.storageCfg, to: "\(root)/storage.cfg")
            }
            let present = Set(((try? FileManager.default.contentsOfDirectory(atPath: secrets)) ?? []).filter { $0.hasSuffix(".pw") })
            for (id, secret) in host.passwords where FileManager.default.contents(atPath: "\(secrets)/\(id).pw") != Data((secret + "\n").utf8) {
                try LabFiles.writePrivate(secret + "\n", to: "\(secrets)/\(id).pw")
            }
            for file in present.subtracting(host.passwords.keys.map { "\($0).pw" }) {
                try FileManager.default.removeItem(atPath: "\(secrets)/\(file)")
            }
        }
    }

    /// PBS and PVE answer a refused login only after 3 seconds (PBS a refused privilege after
    /// half a second), to slow down guessing; the lab keeps them waiting as long, in real time.
    private static func delayed(_ response: LabResponse?) async -> LabResponse? {
        switch response?.status {
        case 401: try? await Task.sleep(for: .seconds(3))
        case 403 where response?.reason == nil: try? await Task.sleep(for: .milliseconds(500))
        default: break
        }
        return response
    }

    private func answerPBS(_ role: NodeRole, _ request: LabRequest) -> LabResponse? {
        tick()
        if request.method != "GET" { writesReceived += 1 }
        guard world.node(role).mode == .up else { return nil }
        let response = world.respondPBS(role, request)
        if response.status == 200, request.method != "GET" { unsaved = true }
        return response
    }

    private func answerWebhook(_ request: LabRequest) -> LabResponse? {
        tick()
        let response = world.receiveNotification(request)
        if response.status == 200 { unsaved = true }
        return response
    }

    private func answerPVE(_ index: Int, _ request: LabRequest) -> LabResponse? {
        tick()
        if request.method != "GET" { writesReceived += 1 }
        guard world.pve[index].mode == .up else { return nil }
        let response = world.respondPVE(index, request)
        if response.status == 200, request.method != "GET" {
            unsaved = true
            try? writePVEFiles()
        }
        return response
    }

    private func startControl(group: any EventLoopGroup) async throws {
        controlChannel = try await LabControl.serve(self, group: group)
    }

    /// Stops serving and saves the world.
    public func shutdown() async {
        ticker?.cancel()
        try? await controlChannel?.close()
        for server in servers.values { await server.stop() }
        await webhookServer?.stop()
        try? save()
    }

    func save() throws {
        unsaved = false
        let data = try JSONEncoder().encode(SavedLab(savedAt: clock.now(), world: world))
        try LabFiles.writePrivate(String(decoding: data, as: UTF8.self), to: statePath)
    }

    /// Runs one `lab ctl` command and says what happened.
    public func control(_ words: [String]) async -> (ok: Bool, message: String) {
        tick()
        if words.count == 3, words[0] == "cert", words[2] == "renew" {
            guard let role = NodeRole(rawValue: words[1]) else { return (false, "usage: cert primary|secondary renew") }
            return await renewCertificate(role)
        }
        if words.count == 3, words[0] == "node", words[2] != "maintenance" { return await setNodeMode(words[1], words[2]) }
        if words.count == 4, words[0] == "node", words[2] == "latency" { return setLatency(words[1], words[3]) }
        var anchor = worldAnchor
        let result = LabCommand.run(words, on: &world, anchor: &anchor)
        worldAnchor = anchor
        try? writePVEFiles()
        try? save()
        if words == ["status"] { return (result.ok, result.message + "\nwrites received: \(writesReceived)") }
        return result
    }

    /// `node NAME latency 50ms`: every answer of that node comes one round trip later, the
    /// connection's handshakes included (`LatencyHandler`). Not saved: a restarted lab is near.
    private func setLatency(_ name: String, _ text: String) -> (ok: Bool, message: String) {
        guard let server = servers[name] else {
            return (false, "no node '\(name)'; use primary, secondary or one of: \(world.pve.map(\.name).joined(separator: ", "))")
        }
        let milliseconds: Int64?
        if text.hasSuffix("ms") { milliseconds = Int64(text.dropLast(2)) } else { milliseconds = (try? Durations.parse(text)).map { Int64($0) * 1000 } }
        guard let milliseconds, (0...10_000).contains(milliseconds) else {
            return (false, "latency takes a round trip from 0ms to 10s, like 50ms or 1s; got '\(text)'")
        }
        server.latency.set(milliseconds: milliseconds)
        return (true, milliseconds == 0 ? "\(name) is near again" : "\(name) now answers \(milliseconds) ms later per round trip, handshakes included")
    }

    /// `node NAME down|up|hang`: the listener stops or starts, then the world learns the mode
    /// (changed after the await, on the world as it is then).
    private func setNodeMode(_ name: String, _ modeName: String) async -> (ok: Bool, message: String) {
        guard let mode = NodeMode(rawValue: modeName) else { return (false, "unknown mode '\(modeName)'; use down, up or hang") }
        guard let server = servers[name] else {
            return (false, "no node '\(name)'; use primary, secondary or one of: \(world.pve.map(\.name).joined(separator: ", "))")
        }
        let port = NodeRole(rawValue: name).map { world.node($0).port } ?? world.pve.first { $0.name == name }?.port ?? 0
        if mode == .down {
            await server.stop()
        } else if !server.isListening {
            do { _ = try await server.start(port: port) } catch {
                return (false, "cannot listen on port \(port) again: \(error)")
            }
        }
        let message = world.setMode(name, mode) ?? ""
        try? writePVEFiles()
        try? save()
        return (true, message)
    }

    /// Reads the world (for tests).
    public func inspect<T: Sendable>(_ body: @Sendable (LabWorld) -> T) -> T {
        tick()
        return body(world)
    }

    /// Writes `pbsha.toml` and the token secret files (mode 600).
    private func writeConfig() throws {
        func secret(_ name: String, _ token: LabToken) throws -> String {
            try LabFiles.writePrivate(token.secret + "\n", to: "\(stateDir)/secrets/\(name).token")
            return "secrets/\(name).token"
        }
        func monitor(_ node: LabPBS) -> LabToken { node.tokens.first { $0.authID == LabWorld.monitorToken }! }
        /// `PREFIX-auth-id` and `PREFIX-secret-file` lines for a token the world has (a lab
        /// made by an older pbsha may lack it).
        func tokenKeys(_ prefix: String, _ authID: String, in tokens: [LabToken], file: String) throws -> String {
            guard let token = tokens.first(where: { $0.authID == authID }) else { return "" }
            return "\(prefix)-auth-id = \"\(authID)\"\n\(prefix)-secret-file = \"\(try secret(file, token))\"\n"
        }
        var text = """
            # Written by `pbsha lab serve`; points pbsha at the simulated pair in this directory.
            [pair]
            name = "lab-pair"
            rpo = "4h"
            verify-max-age = "8d"
            state-dir = "\(stateDir)/journal"

            """
        for role in NodeRole.allCases {
            let node = world.node(role)
            text += """

                [\(role.rawValue)]
                host = "127.0.0.1"
                port = \(node.port)
                fingerprint = "\(fingerprints[role.rawValue]!)"
                auth-id = "\(LabWorld.monitorToken)"
                secret-file = "\(try secret(role.rawValue, monitor(node)))"
                datastore = "\(node.datastore)"

                """
            text += try tokenKeys("operator", LabWorld.operatorToken, in: node.tokens, file: "\(role.rawValue).operator")
            text += try tokenKeys("pve", LabWorld.backupToken, in: node.tokens, file: "\(role.rawValue).pve-backup")
        }
        text += "sync-job = \"\(LabWorld.syncJobID)\"\nremote = \"\(LabWorld.remoteName)\"\n"
        text += try tokenKeys("reverse-sync", LabWorld.reverseSyncToken, in: world.secondary.tokens, file: "secondary.reverse")
        for host in world.pve {
            text += """

                [[pve]]
                name = "\(host.name)"
                host = "127.0.0.1"
                port = \(host.port)
                fingerprint = "\(fingerprints[host.name]!)"
                auth-id = "\(LabWorld.pveToken)"
                secret-file = "\(try secret(host.name, host.tokens[0]))"
                storage = "backup-primary"
                node = "\(host.nodes[0])"
                test-vmid = \(host.guests[0].vmid)
                method = "edit-storage-cfg"
                remote-shell = "\(LabQuoting.toml("\(LabQuoting.shell(pbshaCommand)) lab shell --state-dir \(LabQuoting.shell(stateDir)) \(host.name) --"))"

                """
            text += try tokenKeys("operator", LabWorld.pveOperatorToken, in: host.tokens, file: "\(host.name).operator")
        }
        try LabFiles.writePrivate("https://127.0.0.1:\(world.webhook.port)/hook/\(world.webhook.token)\n", to: "\(stateDir)/secrets/webhook.url")
        text += """

            [notify]
            webhook-file = "secrets/webhook.url"
            webhook-fingerprint = "\(fingerprints["webhook"]!)"

            """
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
    }
}

/// What the state file holds.
struct SavedLab: Codable {
    var savedAt: Double
    var world: LabWorld
}

/// A lab problem with a message for the operator.
public struct LabError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
