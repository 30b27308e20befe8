import Hummingbird
import NIOCore
import TesseraCore

extension RequestOrigin {
    /// The client of `request`: its address after the trusted proxies, the request id and the user agent.
    init(_ request: Request, context: TesseraRequestContext, trustedProxies: [TrustedProxy]) {
        self = OriginSource(request, context: context, trustedProxies: trustedProxies).origin(requestID: context.id)
    }
}

/// What a request's ``RequestOrigin`` is read from, kept as it came: most requests that carry an app key (every
/// token validation among them) never ask who the client is, so the addresses are resolved only when a route
/// asks.
struct OriginSource: Sendable {
    let peer: SocketAddress?
    let headers: HTTPFields
    let trustedProxies: [TrustedProxy]

    init(_ request: Request, context: TesseraRequestContext, trustedProxies: [TrustedProxy]) {
        self.peer = context.remoteAddress
        self.headers = request.headers
        self.trustedProxies = trustedProxies
    }

    /// The client's address after the trusted proxies, the request id and the user agent.
    func origin(requestID: String) -> RequestOrigin {
        RequestOrigin(
            address: ClientAddress.resolve(
                peer: self.peer,
                forwardedFor: self.headers[values: .xForwardedFor],
                trusted: self.trustedProxies
            ),
            requestID: requestID,
            userAgent: self.headers[.userAgent]
        )
    }
}
