import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import TesseraBcrypt
import TesseraCore
import TesseraStorage

/// The router of every endpoint on an open database, with the services behind it. `buildApplication` serves it;
/// tests read its routes (the OpenAPI document must list exactly these).
///
/// `configuration.serverKey` must be set.
public func buildRouter(
    _ configuration: ServerConfiguration,
    database: TesseraDatabase,
    logger: Logger
) throws -> (
    router: Router<TesseraRequestContext>, admin: Router<TesseraRequestContext>?, hasher: any PasswordHasher, services: [any Service]
) {
    guard let key = configuration.serverKey else { preconditionFailure("buildRouter needs the server key") }
    let metrics = configuration.metrics ?? TesseraMetrics()
    let hasher = MeteredPasswordHasher(
        base: configuration.passwordHasher
            ?? BcryptPasswordHasher(cost: configuration.bcryptCost, maximumWait: configuration.hashingWait),
        metrics: metrics
    )
    var stores = database.stores
    stores.audit = MeteredAuditLog(base: database.audit, metrics: metrics)
    let environment = ServiceEnvironment(
        hasher: hasher,
        sender: try codeSender(configuration, logger: logger),
        clock: configuration.clock,
        secrets: KeyedDigester(key: key),
        generator: configuration.generator
    )
    // Validations are cached when the database keeps a revocation log to end them by.
    let follower = database.revocations.flatMap { feed in
        configuration.tokenCacheCapacity > 0
            ? RevocationFollower(feed: feed, cache: ValidationCache(capacity: configuration.tokenCacheCapacity)) : nil
    }
    let lastSeen = LastSeenBatch(accessTokens: stores.accessTokens)
    let validator = AccessTokenValidator(
        accessTokens: stores.accessTokens,
        directory: stores.directory,
        clock: configuration.clock,
        cache: follower?.cache,
        lastSeen: lastSeen
    )

    let router = Router(context: TesseraRequestContext.self)
    let routeMethods = RouteMethods()
    router.add(middleware: RequestLogMiddleware(metrics: metrics))
    router.add(middleware: InputLimitsMiddleware())
    if let follower { router.add(middleware: RevocationBarrierMiddleware(follower: follower)) }
    router.add(middleware: PreflightMiddleware(origins: BrowserOrigins(directory: stores.directory)))
    router.add(middleware: MethodNotAllowedMiddleware(routes: routeMethods))

    // Operations: at the root only.
    let operations = router.group()
    HealthController(ping: database.ping).addRoutes(to: operations)
    operations.get("/metrics") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.exposition(cache: follower?.cache)))
        )
    }
    let openAPI = OpenAPIDocument.yaml(servers: configuration.basePaths)
    operations.get("/openapi.yaml") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "application/yaml; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: openAPI))
        )
    }

    // The API: under each base path it is served on.
    let token = TokenController(
        login: LoginService(stores: stores, environment: environment),
        refresh: RefreshService(stores: stores, environment: environment),
        metrics: metrics
    )
    let credentials = CredentialController(credentials: CredentialService(stores: stores, environment: environment))
    let authenticators = AuthenticatorController(
        authenticators: AuthenticatorService(
            directory: stores.directory,
            audit: stores.audit,
            secrets: environment.secrets,
            clock: configuration.clock
        )
    )
    let sessions = SessionController(
        sessions: SessionService(accessTokens: stores.accessTokens, audit: stores.audit, clock: configuration.clock, lastSeen: lastSeen),
        introspection: IntrospectionService(
            directory: stores.directory,
            accessTokens: stores.accessTokens,
            refreshTokens: stores.refreshTokens,
            clock: configuration.clock
        )
    )
    let devices = DeviceController(devices: DeviceService(devices: stores.devices, audit: stores.audit, clock: configuration.clock))
    let apps = AppResolver(directory: stores.directory)
    for base in configuration.basePaths {
        let routes = RouteGroups(
            router,
            base: base.prefix,
            apps: apps,
            validator: validator,
            trustedProxies: configuration.trustedProxies,
            metrics: metrics
        )
        token.addRoutes(to: routes)
        UserController().addRoutes(to: routes)
        credentials.addRoutes(to: routes)
        authenticators.addRoutes(to: routes)
        sessions.addRoutes(to: routes)
        devices.addRoutes(to: routes)
    }
    routeMethods.load(router.routes)
    let delivery = DeliveryService(
        dispatcher: MessageDispatcher(stores: stores, environment: environment),
        metrics: metrics,
        logger: logger
    )
    let watch = follower.map { RevocationWatchService(follower: $0, follow: database.followRevocations, logger: logger) }
    // The back office, on a listener of its own when one is configured.
    let admin = configuration.adminPort.map { _ in
        buildAdminRouter(
            office: BackOffice(
                operators: OperatorService(stores: stores, environment: environment),
                login: LoginService(stores: stores, environment: environment),
                validator: validator,
                accessTokens: stores.accessTokens,
                directory: stores.directory,
                secrets: environment.secrets,
                clock: configuration.clock,
                trustedProxies: configuration.trustedProxies,
                onLoopback: ["127.0.0.1", "::1", "localhost"].contains(configuration.adminHost)
            ),
            metrics: metrics
        )
    }
    return (router, admin, hasher, [delivery, LastSeenService(batch: lastSeen, logger: logger)] + (watch.map { [$0] } ?? []))
}
