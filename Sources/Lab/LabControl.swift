import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// `lab ctl` over a Unix socket in the state directory: one command line in, one answer out
/// (`ok` or `error` on the first line, then the message).
public enum LabControl {
    static func socketPath(_ stateDir: String) -> String { "\(stateDir)/lab.sock" }

    /// Serves control commands for a running lab until the returned channel is closed.
    static func serve(_ runtime: LabRuntime, group: any EventLoopGroup) async throws -> any Channel {
        let path = socketPath(runtime.stateDir)
        guard path.utf8.count < 104 else {
            throw LabError("the state directory path is too long for a control socket (\(path.utf8.count) bytes); use a shorter --state-dir")
        }
        return try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(LineCollector { line, reply in
                        Task {
                            let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
                            let (ok, message) = await runtime.control(words)
                            reply((ok ? "ok\n" : "error\n") + message + "\n")
                        }
                    })
                }
            }
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
    }

    /// Sends one command to the lab serving `stateDir`.
    public static func send(_ words: [String], stateDir: String,
                            group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> (ok: Bool, message: String) {
        let path = socketPath(stateDir)
        let answer = group.next().makePromise(of: String.self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(AnswerCollector(promise: answer))
                    }
                }
                .connect(unixDomainSocketPath: path).get()
        } catch {
            answer.fail(error)
            throw LabError("no lab is running with state dir \(stateDir) (cannot connect to \(path)); start one with: pbsha lab serve --state-dir \(stateDir)")
        }
        try await channel.writeAndFlush(ByteBuffer(string: words.joined(separator: " ") + "\n"))
        let text = try await answer.futureResult.get()
        let lines = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        let message = lines.count > 1 ? String(lines[1]).trimmingCharacters(in: .newlines) : ""
        return (lines.first == "ok", message)
    }
}

/// Server side: collects one line and writes the reply, then closes.
private final class LineCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias Reply = @Sendable (String) -> Void

    private let onLine: @Sendable (String, @escaping Reply) -> Void
    private var buffer = ""
    private var answered = false

    init(onLine: @escaping @Sendable (String, @escaping Reply) -> Void) { self.onLine = onLine }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        buffer += bytes.readString(length: bytes.readableBytes) ?? ""
        guard !answered, let newline = buffer.firstIndex(of: "\n") else { return }
        answered = true
        let line = String(buffer[..<newline])
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let loop = context.eventLoop
        onLine(line) { reply in
            loop.execute {
                let context = bound.value
                context.writeAndFlush(NIOAny(ByteBuffer(string: reply))).whenComplete { _ in bound.value.close(promise: nil) }
            }
        }
    }
}

/// Client side: everything until the server closes.
private final class AnswerCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let promise: EventLoopPromise<String>
    private var text = ""

    init(promise: EventLoopPromise<String>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        text += bytes.readString(length: bytes.readableBytes) ?? ""
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.succeed(text)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }
}
