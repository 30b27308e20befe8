import Hummingbird
import TesseraCore

/// Where a controller adds its API routes: by what a route needs before it runs, under one base path (`""` for
/// the root, `"/api"` as ETNA's hosts serve them). The operations routes (health, metrics, the OpenAPI document)
/// are not API routes and live at the root only.
struct RouteGroups {
    /// API routes that need nothing before them: introspection (it authenticates itself).
    let open: RouterGroup<TesseraRequestContext>
    /// Routes behind a live `Et-App-Key`.
    let app: RouterGroup<AppRequestContext>
    /// Routes behind a live `Et-App-Key` and a valid bearer token.
    let user: RouterGroup<UserRequestContext>

    init(
        _ router: some RouterMethods<TesseraRequestContext>,
        base: String,
        apps: AppResolver,
        validator: AccessTokenValidator,
        trustedProxies: [TrustedProxy],
        metrics: TesseraMetrics
    ) {
        self.open = router.group(RouterPath(base))
        self.app = self.open.group()
            .add(middleware: AppKeyMiddleware(apps: apps, trustedProxies: trustedProxies))
            .group(context: AppRequestContext.self)
            .add(middleware: BrowserResponseMiddleware())
        self.user = self.app.group()
            .add(middleware: BearerMiddleware(validator: validator, metrics: metrics))
            .group(context: UserRequestContext.self)
    }
}

/// The base paths the API may be served under.
public enum APIBasePath: String, Sendable, CaseIterable {
    /// `/token`, `/v1.0/…`: Tessera's own form.
    case root = "/"
    /// `/api/token`, `/api/v1.0/…`: ETNA's hosts, whose clients keep a base URL ending in `/api/`.
    case api = "/api"

    /// The prefix of its routes.
    var prefix: String { self == .root ? "" : self.rawValue }
}
