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
/// One request per connection (`Connection: close`); PBS answers fast enough that pooling
/// buys nothing at a 5-second refresh, and a fresh connection notices a changed
/// certificate at once.
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
        let exchange = Exchange(endpoint: endpoint, path: request.path, limit: limits.maxResponseBytes,
                                promise: group.next().makePromise(of: HTTPResponse.self))
        let context = sslContext
        let pin = endpoint.fingerprint
        let serverName: String? = (try? SocketAddress(ipAddress: endpoint.host, port: 0)) == nil ? endpoint.host : nil
        let pinned = if case .pinned = trust { true } else { false }
        let bootstrap = ClientBootstrap(group: group)
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
                        exchange.presented.withLockedValue { $0 = presented }
                        verdict.succeed(presented == pin ? .certificateVerified : .failed)
                    } : try NIOSSLClientHandler(context: context, serverHostname: serverName)
                    try channel.pipeline.syncOperations.addHandler(tls)
                    try channel.pipeline.syncOperations.addHandler(StatusLineReader(exchange: exchange))
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(exchange: exchange))
                }
            }

        let deadline = group.next().scheduleTask(in: .milliseconds(Int64(limits.requestTimeout * 1000))) {
            exchange.finish(.failure(.requestTimeout(host: endpoint.host, port: endpoint.port, seconds: limits.requestTimeout)))
        }
        defer { deadline.cancel() }

        do {
            let channel = try await bootstrap.connect(host: endpoint.host, port: endpoint.port).get()
            exchange.attach(channel)
            var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method), uri: request.path)
            head.headers.add(name: "Host", value: endpoint.authority)
            head.headers.add(name: "Accept", value: "application/json")
            head.headers.add(name: "Connection", value: "close")
            for (name, value) in request.headers { head.headers.add(name: name, value: value) }
            if let body = request.body { head.headers.add(name: "Content-Length", value: String(body.count)) }
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if let body = request.body {
                channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
            }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        } catch {
            exchange.finish(.failure(Self.connectError(error, endpoint: endpoint, limits: limits)))
        }
        do {
            return try await exchange.promise.futureResult.get()
        } catch let error as APIError {
            throw error
        } catch {
            throw .tls(host: endpoint.host, detail: String(describing: error))
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

/// The state of one request, shared between the pipeline, the deadline and the caller.
/// Completes its promise exactly once and closes the channel when it does.
private final class Exchange: Sendable {
    let endpoint: Endpoint
    let path: String
    let limit: Int
    let promise: EventLoopPromise<HTTPResponse>
    let presented = NIOLockedValueBox<Fingerprint?>(nil)
    /// The reason phrase of the status line, as the server wrote it.
    let reason = NIOLockedValueBox("")
    private let state = NIOLockedValueBox<(done: Bool, channel: (any Channel)?)>((false, nil))

    init(endpoint: Endpoint, path: String, limit: Int, promise: EventLoopPromise<HTTPResponse>) {
        self.endpoint = endpoint
        self.path = path
        self.limit = limit
        self.promise = promise
    }

    func attach(_ channel: any Channel) {
        let closeNow = state.withLockedValue { state -> Bool in
            state.channel = channel
            return state.done
        }
        if closeNow { channel.close(promise: nil) }
    }

    func finish(_ result: Result<HTTPResponse, APIError>) {
        let channel = state.withLockedValue { state -> (any Channel)?? in
            if state.done { return nil }
            state.done = true
            return .some(state.channel)
        }
        guard let channel else { return }
        channel?.close(promise: nil)
        promise.completeWith(result.mapError { $0 as any Error })
    }

    /// Set when TLS ended without close_notify: harmless if the HTTP framing says the
    /// answer was whole (PBS always sends Content-Length), the cause if it was not.
    let uncleanShutdown = NIOLockedValueBox(false)

    /// Turns a pipeline error into an APIError naming its cause: a refused certificate, a
    /// TLS failure, a broken or early-closed connection, or an answer that is not HTTP.
    func failure(from error: any Error) -> APIError {
        let host = endpoint.host
        if let presented = presented.withLockedValue({ $0 }), presented != endpoint.fingerprint {
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

/// Collects one HTTP response, enforcing the size limit.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let exchange: Exchange
    private var status = 0
    private var body: [UInt8] = []

    init(exchange: Exchange) { self.exchange = exchange }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
        case .body(let buffer):
            if body.count + buffer.readableBytes > exchange.limit {
                exchange.finish(.failure(.responseTooLarge(host: exchange.endpoint.host, path: exchange.path, limit: exchange.limit)))
                return
            }
            body += buffer.readableBytesView
        case .end:
            exchange.finish(.success(HTTPResponse(status: status, reason: exchange.reason.withLockedValue { $0 }, body: body)))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if (error as? NIOSSLError) == .uncleanShutdown {
            // Decided when the connection closes: the HTTP decoder knows whether the answer was whole.
            exchange.uncleanShutdown.withLockedValue { $0 = true }
            return
        }
        exchange.finish(.failure(exchange.failure(from: error)))
    }

    func channelInactive(context: ChannelHandlerContext) {
        exchange.finish(.failure(exchange.failure(from: ChannelError.eof)))
        context.fireChannelInactive()
    }
}

/// Keeps the reason phrase of the response's status line, which NIO's HTTP decoder replaces
/// by the standard one; PVE writes its error message there.
private final class StatusLineReader: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let exchange: Exchange
    private var line: [UInt8] = []
    private var done = false

    init(exchange: Exchange) { self.exchange = exchange }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
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
        context.fireChannelRead(data)
    }
}
