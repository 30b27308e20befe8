import Hummingbird
import TesseraCore

/// Resolves the request's `Et-App-Key` once, for every route behind it: a missing, unknown or revoked key is
/// answered with ETNA's app-key error before any route runs; otherwise the app and the request's origin go into
/// the context.
struct AppKeyMiddleware: RouterMiddleware {
    typealias Context = TesseraRequestContext
    let apps: AppResolver
    let trustedProxies: [TrustedProxy]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let app = try await self.apps.resolve(request.credential(.etAppKey)) else { return Wire.appKeyError }
        var context = context
        context.app = app
        context.originSource = OriginSource(request, context: context, trustedProxies: self.trustedProxies)
        return try await next(request, context)
    }
}

/// Checks the bearer token of a route that needs a signed-in user: a missing or invalid token is answered with
/// the envelope's `401` before the route runs.
struct BearerMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let validator: AccessTokenValidator
    let metrics: TesseraMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = BearerToken.parse(request.credential(.authorization)),
            let identity = try await self.validator.authenticate(token: token, app: context.app)
        else {
            self.metrics.tokenCheck(valid: false)
            return Wire.unauthorizedEnvelope
        }
        self.metrics.tokenCheck(valid: true)
        var context = context
        context.identity = identity
        return try await next(request, context)
    }
}
