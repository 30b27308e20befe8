import Hummingbird
import TesseraCore

extension RequestOrigin {
    /// The client of `request`: its address after the trusted proxies, the request id and the user agent.
    init(_ request: Request, context: TesseraRequestContext, trustedProxies: [TrustedProxy]) {
        self.init(
            address: ClientAddress.resolve(
                peer: context.remoteAddress,
                forwardedFor: request.headers[values: .xForwardedFor],
                trusted: trustedProxies
            ),
            requestID: context.id,
            userAgent: request.headers[.userAgent]
        )
    }
}
