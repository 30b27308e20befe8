import Foundation
import Hummingbird
import TesseraCore

/// A signed-in user's own authenticator (TOTP) enrolment: `POST /v1.0/users/@me/totp` starts one,
/// `POST /v1.0/users/@me/totp/confirm {Code}` finishes it. Routes parse and map; ``AuthenticatorService`` decides.
struct AuthenticatorController: Sendable {
    let authenticators: AuthenticatorService

    func addRoutes(to routes: RouteGroups) {
        routes.user.post("/v1.0/users/@me/totp", use: self.begin)
        routes.user.post("/v1.0/users/@me/totp/confirm", use: self.confirm)
    }

    struct ConfirmBody: WireBody {
        static let requiredFields = ["Code"]
        var code: String
    }

    /// A new pending secret: `Model` is `{"Url":"otpauth://…","Secret":"BASE32"}`.
    @Sendable func begin(_ request: Request, context: UserRequestContext) async throws -> Response {
        let enrolment: AuthenticatorEnrolment
        do {
            enrolment = try await self.authenticators.begin(context.identity, app: context.app, client: context.origin)
        } catch is ReauthenticationRequired {
            return Wire.reauthenticationRequired
        }
        return Wire.envelope(.ok, model: JSONText.object(["Url": .string(enrolment.url), "Secret": .string(enrolment.secret)]))
    }

    /// `{Code}`: the first code of the pending secret makes it the user's second factor.
    @Sendable func confirm(_ request: Request, context: UserRequestContext) async throws -> Response {
        let body = try await RequestFields.read(request).decode(ConfirmBody.self)
        do {
            try await self.authenticators.confirm(context.identity, code: body.code, app: context.app, client: context.origin)
        } catch AuthenticatorError.noPendingEnrolment {
            return Wire.refusal([("ErrorNoPendingEnrolment", "Start an enrolment with POST /v1.0/users/@me/totp first.")])
        } catch is ReauthenticationRequired {
            return Wire.reauthenticationRequired
        } catch AuthenticatorError.invalidCode {
            return Wire.refusal([("ErrorInvalidCode", "The code is invalid or expired.")])
        }
        return Wire.envelope(.ok, model: nil)
    }
}
