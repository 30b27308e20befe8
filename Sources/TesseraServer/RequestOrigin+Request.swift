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
    /// Only these two headers: the others carry credentials, which must not outlive their use in a context.
    let forwardedFor: [String]
    let userAgent: String?
    let trustedProxies: [TrustedProxy]

    init(_ request: Request, context: TesseraRequestContext, trustedProxies: [TrustedProxy]) {
        self.peer = context.remoteAddress
        self.forwardedFor = request.headers[values: .xForwardedFor]
        self.userAgent = request.headers[.userAgent]
        self.trustedProxies = trustedProxies
    }

    /// The client's address after the trusted proxies, the request id and the user agent.
    func origin(requestID: String) -> RequestOrigin {
        RequestOrigin(
            address: ClientAddress.resolve(
                peer: self.peer,
                forwardedFor: self.forwardedFor,
                trusted: self.trustedProxies
            ),
            requestID: requestID,
            userAgent: self.userAgent
        )
    }
}
