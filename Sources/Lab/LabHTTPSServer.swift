import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One lab node's HTTPS listener on 127.0.0.1. It can be stopped (connections refused)
/// and started again on the same port; requests go to an async handler, and a handler
/// that returns nil leaves the request unanswered (a hung node).
final class LabHTTPSServer: Sendable {
    typealias Handler = @Sendable (LabRequest) async -> LabResponse?

    /// The certificate new connections get; it can be replaced while the server listens.
    private let context: NIOLockedValueBox<NIOSSLContext>
    private let group: any EventLoopGroup
    private let handler: Handler
    private let channel = NIOLockedValueBox<(any Channel)?>(nil)
    /// How far away the node is (`lab ctl node NAME latency 50ms`).
    let latency = LabLatency()
    /// Open connections: a node that goes down or renews its certificate drops them, as a
    /// powered-off machine or a restarted proxy does (a client must not keep talking over one).
    private let connections = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
    /// Connections accepted since the lab started (a test proves a client reuses them).
    private let acceptedCount = NIOLockedValueBox(0)

    var accepted: Int { acceptedCount.withLockedValue { $0 } }

    init(context: NIOSSLContext, group: any EventLoopGroup, handler: @escaping Handler) {
        self.context = NIOLockedValueBox(context)
        self.group = group
        self.handler = handler
    }

    /// Binds the port (0 = any free one) and returns the port bound.
    func start(port: Int) async throws -> Int {
        let context = self.context
        let handler = self.handler
        let latency = self.latency
        let connections = self.connections
        let acceptedCount = self.acceptedCount
        let bound = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                let id = ObjectIdentifier(child)
                connections.withLockedValue { $0[id] = child }
                acceptedCount.withLockedValue { $0 += 1 }
                child.closeFuture.whenComplete { _ in connections.withLockedValue { $0[id] = nil } }
                return child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(LatencyHandler(latency: latency))
                    try child.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context.withLockedValue { $0 }))
                    try child.pipeline.syncOperations.configureHTTPServerPipeline()
                    try child.pipeline.syncOperations.addHandler(RequestHandler(handler: handler))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        channel.withLockedValue { $0 = bound }
        return bound.localAddress?.port ?? port
    }

    /// Closes the listener: new connections are refused.
    /// Serves a new certificate from the next connection on (a renewal: same port, no gap).
    func replaceCertificate(_ newContext: NIOSSLContext) {
        context.withLockedValue { $0 = newContext }
        dropConnections()
    }

    func stop() async {
        let current = channel.withLockedValue { value -> (any Channel)? in
            defer { value = nil }
            return value
        }
        try? await current?.close()
        dropConnections()
    }

    private func dropConnections() {
        for child in connections.withLockedValue({ Array($0.values) }) { child.close(promise: nil) }
    }

    var isListening: Bool { channel.withLockedValue { $0 != nil } }
}

/// Reads one HTTP request at a time and answers it with the handler's response.
private final class RequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let handler: LabHTTPSServer.Handler
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(handler: @escaping LabHTTPSServer.Handler) { self.handler = handler }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
        case .body(let buffer):
            if body.count < 1 << 20 { body += buffer.readableBytesView }
        case .end:
            guard let head else { return }
            let request = LabRequest(method: head.method.rawValue, target: head.uri, authorization: head.headers.first(name: "Authorization"),
                                     contentType: head.headers.first(name: "Content-Type"), body: body)
            let keepAlive = head.isKeepAlive
            let handler = self.handler
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let promise = context.eventLoop.makePromise(of: LabResponse?.self)
            promise.completeWithTask { await handler(request) }
            promise.futureResult.whenSuccess { response in
                guard let response else { return }
                let context = bound.value
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "application/json;charset=UTF-8")
                headers.add(name: "Content-Length", value: String(response.body.count))
                if !keepAlive { headers.add(name: "Connection", value: "close") }
                let status = response.reason.map { HTTPResponseStatus.custom(code: UInt(response.status), reasonPhrase: $0) }
                    ?? HTTPResponseStatus(statusCode: response.status)
                context.write(NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
                context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
                context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in
                    if !keepAlive { bound.value.close(promise: nil) }
                }
            }
            self.head = nil
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
