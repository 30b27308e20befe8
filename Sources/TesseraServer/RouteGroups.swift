import Hummingbird
import TesseraCore

/// Where a controller adds its routes: by what a route needs before it runs.
struct RouteGroups {
    /// Routes that need nothing: health, metrics, the OpenAPI document, introspection (it authenticates itself).
    let open: RouterGroup<TesseraRequestContext>
    /// Routes behind a live `Et-App-Key`.
    let app: RouterGroup<AppRequestContext>
    /// Routes behind a live `Et-App-Key` and a valid bearer token.
    let user: RouterGroup<UserRequestContext>

    init(
        _ router: some RouterMethods<TesseraRequestContext>,
        apps: AppResolver,
        validator: AccessTokenValidator,
        trustedProxies: [TrustedProxy],
        metrics: TesseraMetrics
    ) {
        self.open = router.group()
        self.app = router.group()
            .add(middleware: AppKeyMiddleware(apps: apps, trustedProxies: trustedProxies))
            .group(context: AppRequestContext.self)
        self.user = self.app.group()
            .add(middleware: BearerMiddleware(validator: validator, metrics: metrics))
            .group(context: UserRequestContext.self)
    }
}
