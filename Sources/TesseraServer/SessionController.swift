import Foundation
import Hummingbird
import TesseraCore

/// Ending tokens and looking at them: `DELETE /token`, the user's sessions, and introspection for resource
/// servers.
struct SessionController: Sendable {
    let sessions: SessionService
    let introspection: IntrospectionService

    func addRoutes(to routes: RouteGroups) {
        routes.app.delete("/token", use: self.logout)
        routes.app.post("/logout", use: self.logout)
        routes.open.post("/token/introspect", use: self.introspect)
        routes.user.get("/v1.0/users/@me/sessions", use: self.list)
        routes.user.delete("/v1.0/users/@me/sessions", use: self.endOthers)
        routes.user.delete("/v1.0/users/@me/sessions/{id}", use: self.endOne)
    }

    /// `DELETE /token` (and ETNA's SignOut, `POST /logout`) with `Et-App-Key` and the bearer token: `204`, whether
    /// or not the token was live.
    @Sendable func logout(_ request: Request, context: AppRequestContext) async throws -> Response {
        if let token = BearerToken.parse(request.credential(.authorization)) {
            try await self.sessions.logout(token: token, app: context.app, client: context.origin)
        }
        return Response(status: .noContent, headers: [.cacheControl: "no-store"])
    }

    /// `GET /v1.0/users/@me/sessions`: the user's live sessions, the current one marked.
    @Sendable func list(_ request: Request, context: UserRequestContext) async throws -> Response {
        let identity = context.identity
        let sessions = try await self.sessions.sessions(of: identity)
        let model =
            "["
            + sessions.map { session in
                JSONText.object([
                    "Id": .string(session.record.sessionID),
                    "AppName": .string(session.appName),
                    "Created": .date(session.record.issuedAt),
                    "LastSeen": .date(session.record.lastSeenAt),
                    "Expires": .date(session.record.expiresAt),
                    "ClientAddress": .string(session.record.address),
                    "UserAgent": .string(session.record.userAgent),
                    "Current": .bool(session.record.digest == identity.token.digest),
                ])
            }.joined(separator: ",") + "]"
        return Wire.envelope(.ok, model: model)
    }

    /// `DELETE /v1.0/users/@me/sessions/{id}`: ends one session of the user.
    @Sendable func endOne(_ request: Request, context: UserRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        guard try await self.sessions.end(session: id, of: context.identity, app: context.app, client: context.origin) else {
            return Wire.refusal([("ErrorSessionNotFound", "No such live session.")], status: .notFound)
        }
        return Wire.envelope(.ok, model: nil)
    }

    /// `DELETE /v1.0/users/@me/sessions`: ends every session but the current one.
    @Sendable func endOthers(_ request: Request, context: UserRequestContext) async throws -> Response {
        let count = try await self.sessions.endOthers(of: context.identity, app: context.app, client: context.origin)
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
        // RFC 7662 sends a form; a JSON object is read too.
        let token = try await RequestFields.read(request, assuming: .form).string("token")
        guard let token, let found = try await self.introspection.introspect(token, for: app) else {
            // A refresh token is named as one, and never active: it does not open the API.
            var isRefresh = false
            if let token { isRefresh = try await self.introspection.isUsableRefreshToken(token, for: app) }
            return Wire.json(
                .ok,
                JSONText.object(["active": .bool(false), "token_type": isRefresh ? .string("refresh_token") : .omit])
            )
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
                "auth_time": .int(Int64(found.authenticatedAt.timeIntervalSince1970)),
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
}
