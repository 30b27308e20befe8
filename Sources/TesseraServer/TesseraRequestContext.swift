import Hummingbird
import NIOCore
import TesseraCore

/// The request context of every Tessera route: Hummingbird's core storage, the client's socket address, and —
/// once ``AppKeyMiddleware`` has run — the app behind the request's `Et-App-Key` and the request's origin.
public struct TesseraRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer of the TCP connection.
    public let remoteAddress: SocketAddress?
    /// The live app of the request's `Et-App-Key`, set by ``AppKeyMiddleware``.
    public internal(set) var app: ResolvedApp?
    /// What tells who is asking, set with the app.
    var originSource: OriginSource?
    /// Who is asking (after trusted proxies), once the app is set.
    public var origin: RequestOrigin? { self.originSource?.origin(requestID: self.id) }

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}

/// The context of a route that needs an app key: the app and the origin are there.
struct AppRequestContext: ChildRequestContext {
    var coreContext: CoreRequestContextStorage
    let app: ResolvedApp
    let originSource: OriginSource
    /// The user of the bearer token, set by ``BearerMiddleware``.
    var identity: AuthenticatedUser?

    /// Who is asking (after trusted proxies).
    var origin: RequestOrigin { self.originSource.origin(requestID: self.id) }

    init(context: TesseraRequestContext) throws {
        guard let app = context.app, let originSource = context.originSource else { throw WireRefusal(Wire.appKeyError) }
        self.coreContext = context.coreContext
        self.app = app
        self.originSource = originSource
    }
}

/// The context of a route that needs a signed-in user: the app, the origin and the bearer token's user.
struct UserRequestContext: ChildRequestContext {
    var coreContext: CoreRequestContextStorage
    let app: ResolvedApp
    let originSource: OriginSource
    let identity: AuthenticatedUser

    /// Who is asking (after trusted proxies).
    var origin: RequestOrigin { self.originSource.origin(requestID: self.id) }

    init(context: AppRequestContext) throws {
        guard let identity = context.identity else { throw WireRefusal(Wire.unauthorizedEnvelope) }
        self.coreContext = context.coreContext
        self.app = context.app
        self.originSource = context.originSource
        self.identity = identity
    }
}

/// A refusal that is already a response on the wire: ``RequestLogMiddleware`` answers it as it is.
struct WireRefusal: Error {
    let response: Response

    init(_ response: Response) {
        self.response = response
    }
}
