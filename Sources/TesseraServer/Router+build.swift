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
) throws -> (router: Router<TesseraRequestContext>, hasher: any PasswordHasher, services: [any Service]) {
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
    let validator = AccessTokenValidator(accessTokens: stores.accessTokens, directory: stores.directory, clock: configuration.clock)

    let router = Router(context: TesseraRequestContext.self)
    router.add(middleware: RequestLogMiddleware(metrics: metrics))
    router.add(middleware: InputLimitsMiddleware())
    let routes = RouteGroups(
        router,
        apps: AppResolver(directory: stores.directory),
        validator: validator,
        trustedProxies: configuration.trustedProxies,
        metrics: metrics
    )
    HealthController(ping: database.ping).addRoutes(to: routes)
    routes.open.get("/metrics") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.exposition()))
        )
    }
    TokenController(login: LoginService(stores: stores, environment: environment), metrics: metrics).addRoutes(to: routes)
    UserController().addRoutes(to: routes)
    CredentialController(credentials: CredentialService(stores: stores, environment: environment)).addRoutes(to: routes)
    AuthenticatorController(
        authenticators: AuthenticatorService(
            directory: stores.directory,
            audit: stores.audit,
            secrets: environment.secrets,
            clock: configuration.clock
        )
    ).addRoutes(to: routes)
    SessionController(
        sessions: SessionService(accessTokens: stores.accessTokens, audit: stores.audit, clock: configuration.clock),
        introspection: IntrospectionService(directory: stores.directory, accessTokens: stores.accessTokens, clock: configuration.clock)
    ).addRoutes(to: routes)
    routes.open.get("/openapi.yaml") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "application/yaml; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml))
        )
    }
    let delivery = DeliveryService(
        dispatcher: MessageDispatcher(stores: stores, environment: environment),
        metrics: metrics,
        logger: logger
    )
    return (router, hasher, [delivery])
}
