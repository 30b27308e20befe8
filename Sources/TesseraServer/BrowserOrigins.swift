import HTTPTypes
import Hummingbird
import Synchronization
import TesseraCore

/// Cross-origin calls from browser trading terminals (CORS, the Fetch standard). Each company names the web
/// origins its terminals are served from (`company create|update --cors-origin`); a response carries
/// `Access-Control-Allow-Origin` only for an origin the app key's company allows, never `*`, and no credentials
/// mode: tokens travel in `Authorization`, never in cookies.
enum BrowserAccess {
    /// Every request header the flows use, so a preflight can allow them all at once.
    static let allowedHeaders =
        "Et-App-Key, Username, Password, VerificationCode, PinCode, RefreshToken, DeviceToken, RememberDevice, Authorization, Content-Type"
    static let allowedMethods = "GET, POST, PUT, DELETE"
    /// How long a browser may keep a preflight's answer, in seconds.
    static let maxAge = "600"
    /// Response headers a page may read beyond the CORS-safelisted ones.
    static let exposedHeaders = "Retry-After"
}

/// The origins any company allows, read from the directory at most once per ``AppResolver/cacheTTL``, so a
/// policy change reaches a running node as fast as an app-key change does.
final class BrowserOrigins: Sendable {
    let directory: any DirectoryStore
    private let cache = Mutex<(origins: Set<String>, until: ContinuousClock.Instant)?>(nil)

    init(directory: any DirectoryStore) {
        self.directory = directory
    }

    func anyCompanyAllows(_ origin: String) async throws -> Bool {
        let now = ContinuousClock.now
        if let cached = self.cache.withLock({ $0 }), cached.until > now {
            return cached.origins.contains(origin)
        }
        let origins = Set(try await self.directory.companies().flatMap(\.policy.browserOrigins))
        self.cache.withLock { $0 = (origins, now + AppResolver.cacheTTL) }
        return origins.contains(origin)
    }
}

/// Answers CORS preflights (`OPTIONS` with `Origin` and `Access-Control-Request-Method`). A preflight carries no
/// `Et-App-Key`, so it cannot be judged by a company: it is allowed for an origin that some company allows, and
/// the real request that follows is judged by its own app key's company.
struct PreflightMiddleware: RouterMiddleware {
    typealias Context = TesseraRequestContext
    let origins: BrowserOrigins

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .options, let origin = request.headers[.origin],
            request.headers[.accessControlRequestMethod] != nil
        else {
            return try await next(request, context)
        }
        guard try await self.origins.anyCompanyAllows(origin) else {
            return Wire.json(
                .forbidden,
                JSONText.object(["error": .string("This origin may not call the API from a browser")]),
                extraHeaders: [.vary: "Origin"]
            )
        }
        return Response(
            status: .noContent,
            headers: [
                .accessControlAllowOrigin: origin,
                .accessControlAllowMethods: BrowserAccess.allowedMethods,
                .accessControlAllowHeaders: BrowserAccess.allowedHeaders,
                .accessControlMaxAge: BrowserAccess.maxAge,
                .vary: "Origin",
            ]
        )
    }
}

/// Marks the answers of app-key routes for the browser: `Access-Control-Allow-Origin` when the request's origin
/// is one the app key's company allows, and `Vary: Origin` on every answer to a request with an origin. Errors
/// are answered here, so a refused login can be read by the page too.
struct BrowserResponseMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            guard let answer = RequestLogMiddleware.answer(for: error) else { throw error }
            response = answer
        }
        response.headers[.vary] = "Origin"
        if context.app.company.policy.browserOrigins.contains(origin) {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlExposeHeaders] = BrowserAccess.exposedHeaders
        }
        return response
    }
}
