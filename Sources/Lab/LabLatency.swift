import NIOConcurrencyHelpers
import NIOCore

/// A node's distance (`lab ctl node NAME latency 50ms`): one round trip, shared by the
/// node's listener and every connection it accepted.
final class LabLatency: Sendable {
    private let milliseconds = NIOLockedValueBox<Int64>(0)

    var roundTrip: TimeAmount { .milliseconds(milliseconds.withLockedValue { $0 }) }

    func set(milliseconds value: Int64) { milliseconds.withLockedValue { $0 = value } }
}

/// Holds back everything the node sends by one round trip, in order, closing included; the
/// first answer on a connection by two, for the TCP handshake the kernel already made. So
/// each exchange a client waits for (the TCP and TLS handshakes, each request) costs what it
/// would cost with the node that far away. Sits below TLS: it delays encrypted bytes.
final class LatencyHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let latency: LabLatency
    private var unflushed: [(NIOAny, EventLoopPromise<Void>?)] = []
    /// Flushed batches waiting for their time; a nil batch is a close.
    private var due: [(at: NIODeadline, writes: [(NIOAny, EventLoopPromise<Void>?)]?, close: EventLoopPromise<Void>?)] = []
    private var timer: Scheduled<Void>?
    private var answered = false

    init(latency: LabLatency) { self.latency = latency }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard latency.roundTrip > .zero || !due.isEmpty else { return context.write(data, promise: promise) }
        unflushed.append((data, promise))
    }

    func flush(context: ChannelHandlerContext) {
        let delay = latency.roundTrip
        guard delay > .zero || !due.isEmpty else { return context.flush() }
        let extra = answered ? TimeAmount.zero : delay
        answered = true
        due.append((at: .now() + delay + extra, writes: unflushed, close: nil))
        unflushed = []
        schedule(context)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if !unflushed.isEmpty { flush(context: context) }
        guard !due.isEmpty else { return context.close(mode: mode, promise: promise) }
        due.append((at: due.last?.at ?? .now(), writes: nil, close: promise))
        schedule(context)
    }

    private func schedule(_ context: ChannelHandlerContext) {
        guard timer == nil, let next = due.first else { return }
        timer = context.eventLoop.scheduleTask(deadline: next.at) { [self] in
            timer = nil
            while let head = due.first, head.at <= .now() {
                due.removeFirst()
                if let writes = head.writes {
                    for (data, promise) in writes { context.write(data, promise: promise) }
                    context.flush()
                } else {
                    context.close(promise: head.close)
                }
            }
            schedule(context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        let dropped = due.flatMap { $0.writes ?? [] } + unflushed
        for (_, promise) in dropped { promise?.fail(ChannelError.ioOnClosedChannel) }
        for entry in due { entry.close?.fail(ChannelError.ioOnClosedChannel) }
        due = []
        unflushed = []
    }
}
