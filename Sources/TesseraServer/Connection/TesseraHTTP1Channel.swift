import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// How long a connection may sit idle, and how long a request head may take to arrive.
struct ConnectionLimits: Sendable, Equatable {
    /// No request in progress and no complete request part read for this long: the connection is closed.
    var idleTimeout: Duration
    /// From the first byte of a request until its head is complete: past it, `408` and close.
    var requestHeadTimeout: Duration

    init(idleTimeout: Duration, requestHeadTimeout: Duration) {
        self.idleTimeout = idleTimeout
        self.requestHeadTimeout = requestHeadTimeout
    }
}

/// Tessera's HTTP/1.1 connection: Hummingbird's `HTTP1Channel` pipeline with `HTTP1ConnectionGuard` put where
/// it still sees the HTTP version and raw headers, and the idle timeout switched on.
///
/// The pipeline, from the socket up:
/// `RequestByteWatcher` → NIO's response encoder and request decoder → `HTTP1ConnectionGuard` →
/// `HTTP1ToHTTPServerCodec` (to swift-http-types) → Hummingbird's `HTTPConnectionStateHandler` (idle timeout,
/// graceful shutdown) → the async channel Hummingbird's keep-alive loop reads.
struct TesseraHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let limits: ConnectionLimits

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            // Hummingbird's own decoder limits, so that header sizes are refused exactly as before.
            var decoderLimits = NIOHTTPDecoderLimitConfiguration()
            decoderLimits.maxHeaderFieldSize = 80 * 1024
            decoderLimits.maxHeaderListSize = 80 * 1024
            decoderLimits.maxHeaderFieldCount = 1000

            let connectionGuard = HTTP1ConnectionGuard(headTimeout: self.limits.requestHeadTimeout, logger: logger)
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(RequestByteWatcher(connectionGuard))
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false,  // the async channel reads one request at a time
                withErrorHandling: false,  // parser errors are the guard's
                withOutboundHeaderValidation: false,  // swift-http-types validated the fields already
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: decoderLimits
            )
            try pipeline.addHandler(connectionGuard)
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: self.limits.idleTimeout, logger: logger))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value: Value, logger: Logger) async {
        await self.handleHTTP(asyncChannel: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// An HTTP/1.1 server of `TesseraHTTP1Channel`s.
    ///
    /// ```swift
    /// Application(router: router, server: .tessera(ConnectionLimits(idleTimeout: .seconds(60), requestHeadTimeout: .seconds(10))))
    /// ```
    static func tessera(_ limits: ConnectionLimits) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in TesseraHTTP1Channel(responder: responder, limits: limits) }
    }
}
