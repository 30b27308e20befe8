import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Sits between NIO's HTTP/1 decoder and Hummingbird's `HTTP1ToHTTPServerCodec`, the last place that still sees
/// a request's HTTP version and raw headers, and enforces what Hummingbird 2.28.1 does not:
///
/// - framing (`RequestFraming`): an untrustworthy `Transfer-Encoding` is answered `400`/`501` here, and a body
///   that breaks off mid-stream reaches its route as `HTTPFramingError` (`400`), never as an unexpected error;
/// - persistence (RFC 9112 §9.3, §9.6): HTTP/1.0 without `keep-alive` and any `close` token end the connection
///   after the answer, which says `Connection: close` (Hummingbird itself only ends on an exact `close`);
/// - the request head timeout: from the first byte of a request until its head is parsed.
///
/// The decisions are `ConnectionStateMachine`'s; this class performs them. All on the channel's event loop.
final class HTTP1ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// How long a closing connection waits, its answer written and its output shut (a FIN sent), for the client
    /// to close its side before it is closed outright. Closing at once could reset the connection while the
    /// client still sends, and a reset can destroy the answer before the client reads it (RFC 9112 §9.6).
    static let lingerTime = TimeAmount.seconds(2)

    private let headTimeout: TimeAmount
    private let logger: Logger
    private var machine = ConnectionStateMachine()
    private var context: ChannelHandlerContext?
    private var headClock: Scheduled<Void>?
    private var lingerClock: Scheduled<Void>?
    private var outputClosed = false

    init(headTimeout: Duration, logger: Logger) {
        self.headTimeout = TimeAmount(headTimeout)
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.cancelClocks()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.cancelClocks()
        context.fireChannelInactive()
    }

    /// Called by `RequestByteWatcher` on every read, before the decoder sees the bytes: a direct call, as that
    /// handler sits before the decoder and no event travels from there to here without passing through it.
    func bytesArrived() {
        guard let context, self.machine.bytesArrived() == .startHeadClock else { return }
        self.headClock = context.eventLoop.assumeIsolated().scheduleTask(in: self.headTimeout) {
            self.headClock = nil
            let seconds = self.headTimeout.nanoseconds / 1_000_000_000
            if case .refuse(let refusal) = self.machine.headClockExpired(refusal: .headTimeout(seconds: seconds)) {
                self.refuse(refusal, context: context, level: .info)
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(var head):
            self.headClock?.cancel()
            self.headClock = nil
            let action = self.machine.headReceived(
                refusal: RequestFraming.refusal(for: head),
                keepAlive: head.isKeepAlive,
                isHTTP10: head.version == .http1_0
            )
            switch action {
            case .forward(let closeConnection):
                if closeConnection { head.headers.replaceOrAdd(name: "Connection", value: "close") }
                context.fireChannelRead(self.wrapInboundOut(.head(head)))
            case .refuse(let refusal):
                self.refuse(refusal, context: context, level: .notice)
            case .drop:
                break
            }
        case .body:
            if self.machine.bodyReceived() { context.fireChannelRead(data) }
        case .end:
            if self.machine.endReceived() { context.fireChannelRead(data) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // After its first error, NIO's decoder reports each further read as `dataReceivedInErrorState`.
        guard error is HTTPParserError || error is ByteToMessageDecoderError else {
            context.fireErrorCaught(error)
            return
        }
        switch self.machine.parserError(refusal: .malformed(error)) {
        case .failRequestBody:
            self.logger.notice("request body framing broke off", metadata: self.peer(context))
            context.fireErrorCaught(HTTPFramingError())
        case .refuse(let refusal):
            self.refuse(refusal, context: context, level: .notice)
        case .close:
            self.closeOutput(context: context)
        case .ignore:
            break
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch self.unwrapOutboundIn(data) {
        case .head(var head):
            let connection = self.machine.responseHead(
                isInformational: head.status.code < 200,
                asksToClose: !head.isKeepAlive
            )
            switch connection {
            case .close: head.headers.replaceOrAdd(name: "Connection", value: "close")
            case .keepAlive: head.headers.replaceOrAdd(name: "Connection", value: "keep-alive")
            case .unchanged: break
            }
            context.write(self.wrapOutboundOut(.head(head)), promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            let action = self.machine.responseEnded()
            context.write(data, promise: promise)
            switch action {
            case .none: break
            case .close: self.closeOutput(context: context)
            case .refuseThenClose(let refusal): self.refuse(refusal, context: context, level: .notice)
            }
        }
    }

    /// Writes a refusal of Tessera's JSON shape, then closes. Logged at `notice` at most: a client's broken
    /// bytes are not the server's error.
    private func refuse(_ refusal: ConnectionRefusal, context: ChannelHandlerContext, level: Logger.Level) {
        var metadata = self.peer(context)
        metadata["reason"] = "\(refusal.reason)"
        metadata["status"] = "\(refusal.status.code)"
        self.logger.log(level: level, "refused a request at the connection level", metadata: metadata)

        let body = ByteBuffer(string: JSONText.object(["error": .string(refusal.message)]))
        let headers = HTTPHeaders([
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", "\(body.readableBytes)"),
            ("Cache-Control", "no-store"),
            ("Connection", "close"),
            ("Date", Self.httpDate(Date())),
            ("Server", "Tessera"),
        ])
        context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: refusal.status, headers: headers))), promise: nil)
        context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.write(self.wrapOutboundOut(.end(nil)), promise: nil)
        self.closeOutput(context: context)
    }

    /// Sends what was written and a FIN, then gives the client `lingerTime` to close before closing outright.
    private func closeOutput(context: ChannelHandlerContext) {
        guard !self.outputClosed else { return }
        self.outputClosed = true
        context.flush()
        context.close(mode: .output, promise: nil)
        self.lingerClock = context.eventLoop.assumeIsolated().scheduleTask(in: Self.lingerTime) {
            self.lingerClock = nil
            context.close(promise: nil)
        }
    }

    private func cancelClocks() {
        self.headClock?.cancel()
        self.headClock = nil
        self.lingerClock?.cancel()
        self.lingerClock = nil
    }

    private func peer(_ context: ChannelHandlerContext) -> Logger.Metadata {
        ["peer": "\(context.channel.remoteAddress?.ipAddress ?? "unknown")"]
    }

    /// An IMF-fixdate (RFC 9110 §5.6.7), which every 4xx answer of a server with a clock carries.
    static func httpDate(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&time, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}

@available(*, unavailable)
extension HTTP1ConnectionGuard: Sendable {}

/// The first handler of a connection, before NIO's decoder: tells `HTTP1ConnectionGuard` that bytes arrived,
/// the only way to start a request head's clock at its first byte rather than at the end of the last request.
final class RequestByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let connectionGuard: HTTP1ConnectionGuard

    init(_ connectionGuard: HTTP1ConnectionGuard) {
        self.connectionGuard = connectionGuard
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.connectionGuard.bytesArrived()
        context.fireChannelRead(data)
    }
}

@available(*, unavailable)
extension RequestByteWatcher: Sendable {}
