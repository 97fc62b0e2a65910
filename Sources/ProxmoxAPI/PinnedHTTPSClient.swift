import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// An HTTPS transport that trusts exactly one certificate per endpoint: the one whose
/// SHA-256 fingerprint is configured. The comparison is done here, never by a CA store,
/// and the fingerprint is the whole of trust: the certificate's names, validity dates,
/// issuer and CA flags are not looked at, as with `proxmox-backup-client` and PVE's
/// `fingerprint` option. A real PBS's self-signed certificate names only loopback, the node
/// name and its FQDN, so a node reached by IP would otherwise be refused.
///
/// With `Trust.authorities` the same client checks certificates the usual way instead (chain
/// to a CA, validity, the host's name) and ignores the endpoint's fingerprint: for webhooks,
/// which are ordinary web services, not Proxmox nodes.
///
/// Connections are kept open and reused (HTTP/1.1 keep-alive), one request at a time each,
/// so a refresh costs round trips rather than handshakes; each new connection is pinned
/// again. A kept connection idle for 30 s, or made more than 5 minutes ago, is closed (so a
/// replaced certificate is met within minutes even on a connection the server keeps); a GET
/// that finds its kept connection closed by the server before any answer arrived is sent
/// once more on a new one. Writes always go on a new connection.
public struct PinnedHTTPSClient: HTTPTransport {
    /// Timeouts and limits for every request.
    public struct Limits: Sendable {
        public var connectTimeout: Double
        /// Covers the TLS handshake, the request and the whole response.
        public var requestTimeout: Double
        public var maxResponseBytes: Int

        public init(connectTimeout: Double = 3, requestTimeout: Double = 8, maxResponseBytes: Int = 64 << 20) {
            self.connectTimeout = connectTimeout
            self.requestTimeout = requestTimeout
            self.maxResponseBytes = maxResponseBytes
        }
    }

    /// What makes a certificate trusted.
    public enum Trust: Sendable {
        /// The endpoint's SHA-256 fingerprint, and nothing else.
        case pinned
        /// The system's CA store (`nil`) or the CAs in a PEM file, with the host's name checked.
        case authorities(pemFile: String?)
    }

    private let group: any EventLoopGroup
    private let sslContext: NIOSSLContext
    private let trust: Trust
    private let pool = ConnectionPool()
    public let limits: Limits

    public init(limits: Limits = Limits(), trust: Trust = .pinned, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch trust {
        case .pinned:
            // Verification on so that the custom callback runs (it replaces the chain, expiry and
            // CA checks); no hostname check after it, because the pin already decided.
            tls.certificateVerification = .noHostnameVerification
            tls.trustRoots = .certificates([])
        case .authorities(let pemFile):
            tls.certificateVerification = .fullVerification
            tls.trustRoots = pemFile.map { .file($0) } ?? .default
        }
        tls.minimumTLSVersion = .tlsv12
        self.sslContext = try NIOSSLContext(configuration: tls)
        self.group = group
        self.trust = trust
        self.limits = limits
    }

    public func send(_ request: HTTPRequest, to endpoint: Endpoint) async throws(APIError) -> HTTPResponse {
        let key = ConnectionKey(host: endpoint.host, port: endpoint.port, fingerprint: endpoint.fingerprint)
        if request.method == "GET", let kept = pool.take(key) {
            let exchange = Exchange(endpoint: endpoint, path: request.path, limit: limits.maxResponseBytes, promise: kept.channel.eventLoop.makePromise())
            switch await run(request, exchange, on: kept, key: key) {
            case .success(let response): return response
            case .failure(let error):
                // Closed by the server while it was kept: once more, on a new connection.
                guard !exchange.answered.withLockedValue({ $0 }), !error.isTimeout else { throw error }
            }
        }
        let exchange = Exchange(endpoint: endpoint, path: request.path, limit: limits.maxResponseBytes, promise: group.next().makePromise())
        let deadline = group.next().scheduleTask(in: .milliseconds(Int64(limits.requestTimeout * 1000))) {
            exchange.finish(.failure(.requestTimeout(host: endpoint.host, port: endpoint.port, seconds: limits.requestTimeout)))
        }
        defer { deadline.cancel() }
        let link = Link(endpoint: endpoint)
        // From the first byte: a refused certificate or a failed handshake ends this request.
        link.begin(exchange)
        let channel: any Channel
        do {
            channel = try await bootstrap(link, endpoint: endpoint).connect(host: endpoint.host, port: endpoint.port).get()
        } catch {
            exchange.finish(.failure(Self.connectError(error, endpoint: endpoint, limits: limits)))
            return try await Self.outcome(exchange).get()
        }
        return try await run(request, exchange, on: Kept(channel: channel, link: link), key: key, deadlineSet: true).get()
    }

    /// A new connection's pipeline: TLS with the pin (or the CA store), then HTTP.
    private func bootstrap(_ link: Link, endpoint: Endpoint) -> ClientBootstrap {
        let context = sslContext
        let pin = endpoint.fingerprint
        let serverName: String? = (try? SocketAddress(ipAddress: endpoint.host, port: 0)) == nil ? endpoint.host : nil
        let pinned = if case .pinned = trust { true } else { false }
        return ClientBootstrap(group: group)
            .connectTimeout(.milliseconds(Int64(limits.connectTimeout * 1000)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let tls = pinned ? try NIOSSLClientHandler(
                        context: context, serverHostname: serverName
                    ) { (certificates: [NIOSSLCertificate], verdict: EventLoopPromise<NIOSSLVerificationResult>) in
                        guard let leaf = certificates.first, let der = try? leaf.toDERBytes() else {
                            verdict.succeed(.failed)
                            return
                        }
                        let presented = Fingerprint(sha256OfDER: der)
                        link.presented.withLockedValue { $0 = presented }
                        verdict.succeed(presented == pin ? .certificateVerified : .failed)
                    } : try NIOSSLClientHandler(context: context, serverHostname: serverName)
                    try channel.pipeline.syncOperations.addHandler(tls)
                    try channel.pipeline.syncOperations.addHandler(StatusLineReader(link: link))
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(link: link))
                }
            }
    }

    /// One request on `kept`; the connection goes back to the pool after a whole answer the
    /// server did not close, and is closed after anything else.
    private func run(_ request: HTTPRequest, _ exchange: Exchange, on kept: Kept, key: ConnectionKey, deadlineSet: Bool = false) async -> Result<HTTPResponse, APIError> {
        let (channel, endpoint, limits) = (kept.channel, exchange.endpoint, self.limits)
        let deadline = deadlineSet ? nil : channel.eventLoop.scheduleTask(in: .milliseconds(Int64(limits.requestTimeout * 1000))) {
            exchange.finish(.failure(.requestTimeout(host: endpoint.host, port: endpoint.port, seconds: limits.requestTimeout)))
        }
        defer { deadline?.cancel() }
        kept.link.begin(exchange)
        var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method), uri: request.path)
        head.headers.add(name: "Host", value: endpoint.authority)
        head.headers.add(name: "Accept", value: "application/json")
        for (name, value) in request.headers { head.headers.add(name: name, value: value) }
        if let body = request.body { head.headers.add(name: "Content-Length", value: String(body.count)) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body = request.body {
            channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        let result = await Self.outcome(exchange)
        kept.link.end()
        if case .success = result, exchange.keepAlive.withLockedValue({ $0 }), channel.isActive {
            pool.give(kept, key: key)
        } else {
            channel.close(promise: nil)
        }
        return result
    }

    private static func outcome(_ exchange: Exchange) async -> Result<HTTPResponse, APIError> {
        do {
            return .success(try await exchange.promise.futureResult.get())
        } catch let error as APIError {
            return .failure(error)
        } catch {
            return .failure(.tls(host: exchange.endpoint.host, detail: String(describing: error)))
        }
    }

    private static func connectError(_ error: any Error, endpoint: Endpoint, limits: Limits) -> APIError {
        if let error = error as? ChannelError, case .connectTimeout = error {
            return .connectTimeout(host: endpoint.host, port: endpoint.port, seconds: limits.connectTimeout)
        }
        if let error = error as? NIOConnectionError {
            let reasons = error.connectionErrors.map { attempt in
                (attempt.error as? IOError).map { String(cString: strerror($0.errnoCode)) } ?? String(describing: attempt.error)
            }
            let dns = [error.dnsAError, error.dnsAAAAError].compactMap { $0 }.map { String(describing: $0) }
            let detail = (reasons.isEmpty ? dns : reasons).first ?? "no address"
            return .connectionRefused(host: endpoint.host, port: endpoint.port, detail: detail)
        }
        return .connectionRefused(host: endpoint.host, port: endpoint.port, detail: String(describing: error))
    }
}

/// Which connections may serve a request: the same host, port and pinned fingerprint.
private struct ConnectionKey: Hashable {
    let host: String
    let port: Int
    let fingerprint: Fingerprint
}

/// The connections kept open for reuse, by endpoint, each with the state its handlers share.
private final class ConnectionPool: Sendable {
    private let idle = NIOLockedValueBox<[ConnectionKey: [(kept: Kept, since: NIODeadline)]]>([:])
    /// PBS's and PVE's servers keep an idle connection open longer than a console's refresh.
    private static let maxIdle = TimeAmount.seconds(30)
    /// How long one pinning lasts at most.
    private static let maxAge = TimeAmount.minutes(5)

    /// The most recently kept live connection to `key`, if any; stale ones are closed.
    func take(_ key: ConnectionKey) -> Kept? {
        let (found, stale) = idle.withLockedValue { idle -> (Kept?, [Kept]) in
            var stale: [Kept] = []
            while let last = idle[key]?.popLast() {
                let now = NIODeadline.now()
                if last.kept.channel.isActive, now - last.since < Self.maxIdle, now - last.kept.link.made < Self.maxAge { return (last.kept, stale) }
                stale.append(last.kept)
            }
            return (nil, stale)
        }
        for kept in stale { kept.channel.close(promise: nil) }
        return found
    }

    func give(_ kept: Kept, key: ConnectionKey) {
        idle.withLockedValue { $0[key, default: []].append((kept, .now())) }
    }
}

/// A connection and the state its handlers share.
private struct Kept: Sendable {
    let channel: any Channel
    let link: Link
}

/// One connection's state: the certificate it was pinned with, and the request it carries now.
private final class Link: Sendable {
    let endpoint: Endpoint
    let made = NIODeadline.now()
    let presented = NIOLockedValueBox<Fingerprint?>(nil)
    private let exchange = NIOLockedValueBox<Exchange?>(nil)

    init(endpoint: Endpoint) { self.endpoint = endpoint }

    var current: Exchange? { exchange.withLockedValue { $0 } }

    func begin(_ next: Exchange) { exchange.withLockedValue { $0 = next } }

    func end() { exchange.withLockedValue { $0 = nil } }
}

/// The state of one request, shared between the pipeline, the deadline and the caller.
/// Completes its promise exactly once.
private final class Exchange: Sendable {
    let endpoint: Endpoint
    let path: String
    let limit: Int
    let promise: EventLoopPromise<HTTPResponse>
    /// The reason phrase of the status line, as the server wrote it.
    let reason = NIOLockedValueBox("")
    /// Whether any byte of the answer arrived (a kept connection that failed before is retried).
    let answered = NIOLockedValueBox(false)
    /// Whether the server will keep the connection open after this answer.
    let keepAlive = NIOLockedValueBox(false)
    private let done = NIOLockedValueBox(false)

    init(endpoint: Endpoint, path: String, limit: Int, promise: EventLoopPromise<HTTPResponse>) {
        self.endpoint = endpoint
        self.path = path
        self.limit = limit
        self.promise = promise
    }

    func finish(_ result: Result<HTTPResponse, APIError>) {
        let first = done.withLockedValue { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        promise.completeWith(result.mapError { $0 as any Error })
    }

    /// Set when TLS ended without close_notify: harmless if the HTTP framing says the
    /// answer was whole (PBS always sends Content-Length), the cause if it was not.
    let uncleanShutdown = NIOLockedValueBox(false)

    /// Turns a pipeline error into an APIError naming its cause: a refused certificate, a
    /// TLS failure, a broken or early-closed connection, or an answer that is not HTTP.
    func failure(from error: any Error, presented: Fingerprint?) -> APIError {
        let host = endpoint.host
        if let presented, presented != endpoint.fingerprint {
            return .fingerprintMismatch(host: host, expected: endpoint.fingerprint, presented: presented)
        }
        if let cause = TLSFailure.describe(error) { return .tls(host: host, detail: cause) }
        if let error = error as? IOError {
            return .connectionLost(host: host, path: path, detail: String(cString: strerror(error.errnoCode)))
        }
        let endedEarly = (error as? HTTPParserError) == .invalidEOFState || (error as? ChannelError) == .eof
        if endedEarly, uncleanShutdown.withLockedValue({ $0 }) {
            return .tls(host: host, detail: TLSFailure.describe(NIOSSLError.uncleanShutdown)!)
        }
        if endedEarly { return .truncated(host: host, path: path) }
        if let error = error as? HTTPParserError {
            return .notHTTP(host: host, path: path, detail: String(describing: error))
        }
        return .connectionLost(host: host, path: path, detail: String(describing: error))
    }
}

/// Collects each HTTP response for the connection's current request, enforcing the size limit.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let link: Link
    private var status = 0
    private var body: [UInt8] = []

    init(link: Link) { self.link = link }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let exchange = link.current else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            body = []
            exchange.keepAlive.withLockedValue { $0 = head.isKeepAlive }
        case .body(let buffer):
            if body.count + buffer.readableBytes > exchange.limit {
                exchange.finish(.failure(.responseTooLarge(host: exchange.endpoint.host, path: exchange.path, limit: exchange.limit)))
                return
            }
            body += buffer.readableBytesView
        case .end:
            let response = HTTPResponse(status: status, reason: exchange.reason.withLockedValue { $0 }, body: body)
            body = []
            exchange.finish(.success(response))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let exchange = link.current else { return context.close(promise: nil) }
        if (error as? NIOSSLError) == .uncleanShutdown {
            // Decided when the connection closes: the HTTP decoder knows whether the answer was whole.
            exchange.uncleanShutdown.withLockedValue { $0 = true }
            return
        }
        exchange.finish(.failure(exchange.failure(from: error, presented: link.presented.withLockedValue { $0 })))
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let exchange = link.current {
            exchange.finish(.failure(exchange.failure(from: ChannelError.eof, presented: link.presented.withLockedValue { $0 })))
        }
        context.fireChannelInactive()
    }
}

/// Keeps the reason phrase of each response's status line, which NIO's HTTP decoder replaces
/// by the standard one; PVE writes its error message there.
private final class StatusLineReader: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let link: Link
    /// The request whose status line was read, or is being read.
    private var reading: Exchange?
    private var line: [UInt8] = []
    private var done = false

    init(link: Link) { self.link = link }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let exchange = link.current {
            // A new request on a kept connection: its answer starts with a new status line.
            if reading !== exchange { (reading, line, done) = (exchange, [], false) }
            exchange.answered.withLockedValue { $0 = true }
            if !done {
                let buffer = unwrapInboundIn(data)
                for byte in buffer.readableBytesView {
                    if byte == UInt8(ascii: "\n") || line.count >= 1024 { done = true; break }
                    line.append(byte)
                }
                if done {
                    // "HTTP/1.1 401 authentication failure\r": the third field on.
                    let parts = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                        .split(separator: " ", maxSplits: 2)
                    exchange.reason.withLockedValue { $0 = parts.count == 3 ? String(parts[2]) : "" }
                }
            }
        }
        context.fireChannelRead(data)
    }
}

extension APIError {
    /// A request or connection that ran out of time: not retried (the node hangs).
    fileprivate var isTimeout: Bool {
        switch self {
        case .requestTimeout, .connectTimeout: true
        default: false
        }
    }
}
