import Foundation
@testable import Lab
@testable import PairEngine
import ProxmoxAPI

/// pbsha's own clients against a lab world held in memory: requests go through
/// `LabWorld.handlePBS` exactly as over HTTPS, but a test can set up any ACL or owner first.
/// Port 1 is the primary, port 2 the secondary.
final class WorldTransport: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var state: LabWorld
    private var sent: [String] = []
    private var received: [(port: Int, bytes: Int)] = []
    private var down: Set<Int> = []

    init(_ world: LabWorld) { state = world }

    /// The path (and query) of every request so far, in order.
    var paths: [String] { lock.withLock { sent } }
    /// Each answer's port (1 primary, 2 secondary) and body size, in order.
    var answers: [(port: Int, bytes: Int)] { lock.withLock { received } }

    /// Connections to `port` are refused from now on (`false`: answered again).
    func refuse(port: Int, _ refused: Bool = true) {
        lock.withLock { if refused { down.insert(port) } else { down.remove(port) } }
    }

    /// Reads or changes the world between requests.
    func world<T>(_ body: (inout LabWorld) -> T) -> T { lock.withLock { body(&state) } }

    func send(_ request: HTTPRequest, to endpoint: Endpoint) async throws(APIError) -> HTTPResponse {
        let authorization = request.headers.first { $0.0 == "Authorization" }?.1
        let contentType = request.headers.first { $0.0 == "Content-Type" }?.1
        let labRequest = LabRequest(method: request.method, target: request.path, authorization: authorization,
                                    contentType: contentType, body: request.body.map(Array.init) ?? [])
        let refused = lock.withLock {
            sent.append(request.path)
            return down.contains(endpoint.port)
        }
        if refused { throw .connectionRefused(host: endpoint.host, port: endpoint.port, detail: "Connection refused") }
        let response = world { world in
            endpoint.port > 10 ? world.respondPVE(endpoint.port - 11, labRequest) : world.respondPBS(endpoint.port == 1 ? .primary : .secondary, labRequest)
        }
        lock.withLock { received.append((endpoint.port, response.body.count)) }
        return HTTPResponse(status: response.status, body: response.body)
    }

    /// A client of `role` authenticating as `authID` (the token must exist in the world).
    func client(_ role: NodeRole, as authID: String) -> PBSClient {
        let token = world { $0.node(role).tokens.first { $0.authID == authID }! }
        let endpoint = Endpoint(host: role.rawValue, port: role == .primary ? 1 : 2, fingerprint: Fingerprint(String(repeating: "00", count: 32))!)
        return PBSClient(transport: self, endpoint: endpoint, token: APIToken(authID: token.authID, secret: token.secret))
    }
}

/// An API error as the status PBS or PVE answered and its message, for comparing refusals.
func refusal(_ error: any Error) -> (kind: String, text: String) {
    switch error as? APIError {
    case let .badRequest(_, _, message)?: ("400", message)
    case let .unauthorized(_, message)?: ("401", message)
    case let .forbidden(_, _, message)?: ("403", message)
    case let .notFound(_, _, message)?: ("404", message)
    case let .server(_, _, status, message)?: ("\(status)", message)
    default: ("other", "\(error)")
    }
}

extension WorldTransport {
    /// A client of PVE host `index` (port 11 + index) authenticating as `authID`.
    func pveClient(_ index: Int, as authID: String) -> PVEClient {
        let token = world { $0.pve[index].tokens.first { $0.authID == authID }! }
        let endpoint = Endpoint(host: "pve\(index)", port: 11 + index, fingerprint: Fingerprint(String(repeating: "00", count: 32))!)
        return PVEClient(transport: self, endpoint: endpoint, token: APIToken(authID: token.authID, secret: token.secret))
    }

    /// A pbsha config for this world's pair (monitor tokens); `withPVE`: every PVE host too,
    /// as `lab serve` writes them (host `index` on port 11 + index).
    func pairConfig(withPVE: Bool = false) -> PairConfig? {
        world { world in
            func node(_ role: NodeRole) -> NodeConfig {
                let token = world.node(role).tokens.first { $0.authID == LabWorld.monitorToken }!
                return NodeConfig(host: role.rawValue, port: role == .primary ? 1 : 2, fingerprint: Fingerprint(String(repeating: "00", count: 32))!,
                                  token: APIToken(authID: token.authID, secret: token.secret), datastore: world.node(role).datastore)
            }
            return PairConfig(file: "memory", name: "world", rpoSeconds: 14_400, verifyMaxAgeSeconds: 8 * 86_400, stateDir: "/nonexistent",
                              primary: node(.primary), secondary: node(.secondary), syncJob: LabWorld.syncJobID,
                              remote: LabWorld.remoteName, pve: withPVE ? world.pve.indices.map { pveHost(world, $0) } : [], notify: nil)
        }
    }

    private func pveHost(_ world: LabWorld, _ index: Int) -> PVEHostConfig {
        let host = world.pve[index]
        let token = host.tokens.first { $0.authID == LabWorld.pveToken }!
        return PVEHostConfig(name: host.name, host: "pve\(index)", port: 11 + index, fingerprint: Fingerprint(String(repeating: "00", count: 32))!,
                             token: APIToken(authID: token.authID, secret: token.secret), operatorToken: nil, storage: "backup-primary",
                             node: host.nodes[0], testVMID: nil, method: .editStorageCfg, remoteShell: nil, failoverStorage: nil)
    }
}

extension LabWorld {
    /// The default lab world, as `lab serve` makes it, at a fixed time (made once: a value,
    /// so every test changes its own copy).
    static func sample() -> LabWorld { made }
    private static let made = {
        let fingerprints: [NodeRole: String] = [.primary: Fingerprint(String(repeating: "11", count: 32))!.description,
                                                 .secondary: Fingerprint(String(repeating: "22", count: 32))!.description]
        var world = LabWorld.fresh(now: 1_795_759_200 + 1200, fingerprints: fingerprints)
        // The ports WorldTransport routes by, and a distinct certificate for each node.
        world.bind(.primary, port: 1, fingerprint: Fingerprint(String(repeating: "11", count: 32))!)
        world.bind(.secondary, port: 2, fingerprint: Fingerprint(String(repeating: "22", count: 32))!)
        return world
    }()

    /// Adds (or replaces) a token and its owning user on a node.
    mutating func grant(_ role: NodeRole, token authID: String, _ tokenACL: [LabACL], user userACL: [LabACL]) {
        let userID = String(authID.prefix { $0 != "!" })
        self[role].tokens.removeAll { $0.authID == authID }
        self[role].tokens.append(LabToken(authID: authID, secret: "secret-\(authID)", acl: tokenACL))
        self[role].users.removeAll { $0.userid == userID }
        if userID != "root@pam" { self[role].users.append(LabUser(userid: userID, acl: userACL)) }
    }

    /// Points a host's pbs: entry at a lab node the way `storage-cfg retarget` and `lab shell`
    /// would (server, port, datastore, fingerprint), with that node's secret in `<ID>.pw`.
    mutating func retarget(host index: Int, _ storage: String, to role: NodeRole) {
        let target = StorageConfig.Target(server: "127.0.0.1", datastore: node(role).datastore, fingerprint: node(role).fingerprint,
                                          port: node(role).port)
        pve[index].storageCfg = try! StorageConfig(pve[index].storageCfg).retargeting(storage, to: target).text
        pve[index].passwords[storage] = node(role).tokens.first { $0.authID == LabWorld.backupToken }!.secret
        storageFileChanged(host: index)
    }
}
