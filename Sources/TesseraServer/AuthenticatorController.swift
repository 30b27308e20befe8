import Foundation
import Hummingbird
import TesseraCore

/// A signed-in user's own authenticator (TOTP) enrolment: `POST /v1.0/users/@me/totp` starts one,
/// `POST /v1.0/users/@me/totp/confirm {Code}` finishes it. Routes parse and map; ``AuthenticatorService`` decides.
struct AuthenticatorController: Sendable {
    let users: UserController
    let authenticators: AuthenticatorService
    let trustedProxies: [TrustedProxy]

    func addRoutes(to router: Router<TesseraRequestContext>) {
        router.post("/v1.0/users/@me/totp", use: self.begin)
        router.post("/v1.0/users/@me/totp/confirm", use: self.confirm)
    }

    /// A new pending secret: `Model` is `{"Url":"otpauth://…","Secret":"BASE32"}`.
    @Sendable func begin(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let (identity, app): (AuthenticatedUser, ResolvedApp)
        switch try await self.users.authenticateWithApp(request) {
        case .success(let found): (identity, app) = found
        case .failure(let refusal): return refusal.response
        }
        let enrolment = try await self.authenticators.begin(
            identity,
            app: app,
            client: RequestOrigin(request, context: context, trustedProxies: self.trustedProxies)
        )
        return Wire.envelope(.ok, model: JSONText.object(["Url": .string(enrolment.url), "Secret": .string(enrolment.secret)]))
    }

    /// `{Code}`: the first code of the pending secret makes it the user's second factor.
    @Sendable func confirm(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let (identity, app): (AuthenticatedUser, ResolvedApp)
        switch try await self.users.authenticateWithApp(request) {
        case .success(let found): (identity, app) = found
        case .failure(let refusal): return refusal.response
        }
        let fields = try await RequestFields.read(request, context: context)
        guard let code = fields.string("Code") else { return Wire.modelState(["Code"]) }
        do {
            try await self.authenticators.confirm(
                identity,
                code: code,
                app: app,
                client: RequestOrigin(request, context: context, trustedProxies: self.trustedProxies)
            )
        } catch AuthenticatorError.noPendingEnrolment {
            return Wire.refusal([("ErrorNoPendingEnrolment", "Start an enrolment with POST /v1.0/users/@me/totp first.")])
        } catch AuthenticatorError.invalidCode {
            return Wire.refusal([("ErrorInvalidCode", "The code is invalid or expired.")])
        }
        return Wire.envelope(.ok, model: nil)
    }
}
