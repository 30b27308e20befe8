import Foundation
import Hummingbird
import TesseraCore

/// ETNA's `v1.0` user endpoints that need a bearer token.
struct UserController: Sendable {
    let apps: AppResolver
    let validator: AccessTokenValidator
    let metrics: TesseraMetrics

    func addRoutes(to router: Router<TesseraRequestContext>) {
        router.get("/v1.0/users/@me/info", use: self.info)
    }

    @Sendable func info(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let identity: AuthenticatedUser
        switch try await self.authenticate(request) {
        case .success(let found): identity = found
        case .failure(let refusal): return refusal.response
        }
        let user = identity.user
        let model = JSONText.object([
            "UserId": .int(user.id),
            "FirstName": .string(user.profile.firstName),
            "MiddleName": .string(user.profile.middleName),
            "LastName": .string(user.profile.lastName),
            "Login": .string(user.username),
            "Email": .string(user.email),
            "AddedDate": .string(user.addedAt.formatted(.iso8601)),
            "Salutation": .string(user.profile.salutation),
            "Suffix": .string(user.profile.suffix),
        ])
        return Wire.envelope(.ok, model: model)
    }

    /// The user behind the request's app key and bearer token, or the response that refuses it.
    func authenticate(_ request: Request) async throws -> Result<AuthenticatedUser, Refusal> {
        try await self.authenticateWithApp(request).map(\.0)
    }

    /// The user behind the request's bearer token and the app of its key, or the response that refuses them.
    func authenticateWithApp(_ request: Request) async throws -> Result<(AuthenticatedUser, ResolvedApp), Refusal> {
        guard let app = try await self.apps.resolve(request.credential(.etAppKey)) else {
            return .failure(Refusal(response: Wire.appKeyError))
        }
        guard let token = BearerToken.parse(request.credential(.authorization)),
            let identity = try await self.validator.authenticate(token: token, app: app)
        else {
            self.metrics.tokenCheck(valid: false)
            return .failure(Refusal(response: Wire.unauthorizedEnvelope))
        }
        self.metrics.tokenCheck(valid: true)
        return .success((identity, app))
    }

    struct Refusal: Error {
        let response: Response
    }
}
