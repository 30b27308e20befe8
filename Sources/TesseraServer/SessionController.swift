import Foundation
import Hummingbird
import TesseraCore

/// Ending tokens and looking at them: `DELETE /token`, the user's sessions, and introspection for resource
/// servers.
struct SessionController: Sendable {
    let apps: AppResolver
    let users: UserController
    let sessions: SessionService
    let introspection: IntrospectionService
    let trustedProxies: [TrustedProxy]

    func addRoutes(to router: Router<TesseraRequestContext>) {
        router.delete("/token", use: self.logout)
        router.post("/token/introspect", use: self.introspect)
        router.get("/v1.0/users/@me/sessions", use: self.list)
        router.delete("/v1.0/users/@me/sessions", use: self.endOthers)
        router.delete("/v1.0/users/@me/sessions/{id}", use: self.endOne)
    }

    /// `DELETE /token` with `Et-App-Key` and the bearer token: `204`, whether or not the token was live.
    @Sendable func logout(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        guard let app = try await self.apps.resolve(request.credential(.etAppKey)) else { return Wire.appKeyError }
        if let token = BearerToken.parse(request.credential(.authorization)) {
            try await self.sessions.logout(
                token: token,
                app: app,
                client: RequestOrigin(request, context: context, trustedProxies: self.trustedProxies)
            )
        }
        return Response(status: .noContent, headers: [.cacheControl: "no-store"])
    }

    /// `GET /v1.0/users/@me/sessions`: the user's live sessions, the current one marked.
    @Sendable func list(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let identity: AuthenticatedUser
        switch try await self.users.authenticate(request) {
        case .success(let found): identity = found
        case .failure(let refusal): return refusal.response
        }
        let sessions = try await self.sessions.sessions(of: identity)
        let model =
            "["
            + sessions.map { session in
                JSONText.object([
                    "Id": .string(session.record.sessionID),
                    "AppName": .string(session.appName),
                    "Created": .string(session.record.issuedAt.formatted(.iso8601)),
                    "LastSeen": .string(session.record.lastSeenAt.formatted(.iso8601)),
                    "Expires": .string(session.record.expiresAt.formatted(.iso8601)),
                    "ClientAddress": .string(session.record.address),
                    "UserAgent": .string(session.record.userAgent),
                    "Current": .bool(session.record.digest == identity.token.digest),
                ])
            }.joined(separator: ",") + "]"
        return Wire.envelope(.ok, model: model)
    }

    /// `DELETE /v1.0/users/@me/sessions/{id}`: ends one session of the user.
    @Sendable func endOne(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let identity: AuthenticatedUser
        switch try await self.users.authenticate(request) {
        case .success(let found): identity = found
        case .failure(let refusal): return refusal.response
        }
        guard let app = try await self.apps.resolve(request.credential(.etAppKey)) else { return Wire.appKeyError }
        let id = context.parameters.get("id") ?? ""
        guard
            try await self.sessions.end(
                session: id,
                of: identity,
                app: app,
                client: RequestOrigin(request, context: context, trustedProxies: self.trustedProxies)
            )
        else {
            return Wire.refusal([("ErrorSessionNotFound", "No such live session.")], status: .notFound)
        }
        return Wire.envelope(.ok, model: nil)
    }

    /// `DELETE /v1.0/users/@me/sessions`: ends every session but the current one.
    @Sendable func endOthers(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let identity: AuthenticatedUser
        switch try await self.users.authenticate(request) {
        case .success(let found): identity = found
        case .failure(let refusal): return refusal.response
        }
        guard let app = try await self.apps.resolve(request.credential(.etAppKey)) else { return Wire.appKeyError }
        let count = try await self.sessions.endOthers(
            of: identity,
            app: app,
            client: RequestOrigin(request, context: context, trustedProxies: self.trustedProxies)
        )
        return Wire.envelope(.ok, model: String(count))
    }

    /// `POST /token/introspect` (RFC 7662): `Authorization: Basic` with a resource server's key and secret, the
    /// token in a form (`token=…`) or JSON body.
    @Sendable func introspect(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        guard let (key, secret) = Self.basicCredentials(request.credential(.authorization)),
            let app = try await self.introspection.authenticateResourceServer(key: key, secret: secret)
        else {
            return Wire.json(
                .unauthorized,
                JSONText.object(["error": .string("invalid_client")]),
                extraHeaders: [.wwwAuthenticate: "Basic realm=\"tessera\""]
            )
        }
        let body = try await RequestFields.collect(request)
        let token = Self.token(in: String(buffer: body), contentType: request.headers[.contentType])
        guard let token, let found = try await self.introspection.introspect(token, for: app) else {
            return Wire.json(.ok, JSONText.object(["active": .bool(false)]))
        }
        return Wire.json(
            .ok,
            JSONText.object([
                "active": .bool(true),
                "sub": .string(found.subject),
                "username": .string(found.username),
                "company": .string(found.company),
                "client_id": .string(found.clientID),
                "exp": .int(Int64(found.expiresAt.timeIntervalSince1970)),
                "iat": .int(Int64(found.issuedAt.timeIntervalSince1970)),
                "sid": .string(found.sessionID),
                "token_type": .string("Bearer"),
            ])
        )
    }

    static func basicCredentials(_ authorization: String?) -> (String, String)? {
        guard let authorization, authorization.count > 6, authorization.prefix(6).lowercased() == "basic ",
            let data = Data(base64Encoded: String(authorization.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let text = String(data: data, encoding: .utf8),
            let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    /// The `token` of a form body (RFC 7662) or of a JSON object.
    static func token(in body: String, contentType: String?) -> String? {
        if contentType?.lowercased().hasPrefix("application/json") == true {
            let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
            return object?["token"] as? String
        }
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0] == "token" {
                return String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
        }
        return nil
    }
}
