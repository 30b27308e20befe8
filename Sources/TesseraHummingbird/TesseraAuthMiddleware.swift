import Foundation
import Hummingbird
import TesseraClient

/// A request context that can carry the identity Tessera vouched for.
public protocol TesseraAuthRequestContext: RequestContext {
    var tesseraIdentity: TesseraIdentity? { get set }
}

/// Protects a resource server's routes with Tessera tokens: each request's bearer token is checked through
/// introspection (cached for the introspector's TTL, so a revoked token stops working within it) and the
/// identity is put into the context. Requests without an active token get `401`.
///
/// ```swift
/// let introspector = TesseraIntrospector(baseURL: tesseraURL, key: key, secret: secret)
/// let router = Router(context: MyContext.self)
/// router.add(middleware: TesseraAuthMiddleware(introspector: introspector))
/// router.get("/orders") { _, context in "orders of \(context.tesseraIdentity!.username)" }
/// ```
public struct TesseraAuthMiddleware<Context: TesseraAuthRequestContext>: RouterMiddleware {
    let introspector: TesseraIntrospector

    public init(introspector: TesseraIntrospector) {
        self.introspector = introspector
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { throw HTTPError(.unauthorized) }
        var token = header.trimmingCharacters(in: .whitespaces)
        if token.lowercased().hasPrefix("bearer ") { token = String(token.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
        let identity: TesseraIdentity?
        do {
            identity = try await self.introspector.identity(for: token)
        } catch {
            // Fail closed: a token that cannot be checked does not pass.
            throw HTTPError(.serviceUnavailable)
        }
        guard let identity else { throw HTTPError(.unauthorized) }
        var context = context
        context.tesseraIdentity = identity
        return try await next(request, context)
    }
}
