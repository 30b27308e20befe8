import Foundation
import Hummingbird
import TesseraCore

/// ETNA's credential endpoints around `/token`: password change and reset, PIN setup, security images.
/// Routes parse and map; ``CredentialService`` decides.
struct CredentialController: Sendable {
    let credentials: CredentialService

    func addRoutes(to routes: RouteGroups) {
        routes.app.put("/v1.0/users/passwords/reset", use: self.resetPassword)
        routes.user.put("/v1.0/users/@me/password/change", use: self.changePassword)
        routes.app.get("/v1.0/assets/security-images", use: self.securityImages)
        routes.app.post("/v1.0/users/pincode/change", use: self.changePin)
        routes.app.get("/v1.0/users/password/secret-question", use: self.secretQuestion)
        routes.app.post("/v1.0/users/password/reset", use: self.requestReset)
        routes.app.post("/v1.0/users/identifiers/reset/code", use: self.redeemCode)
    }

    struct ResetPasswordBody: WireBody {
        static let requiredFields = ["Token", "Password", "PasswordConfirmation"]
        var token: String
        var password: String
        var passwordConfirmation: String
    }

    /// `PUT /v1.0/users/passwords/reset {Token, Password, PasswordConfirmation}`.
    @Sendable func resetPassword(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await RequestFields.read(request).decode(ResetPasswordBody.self)
        return try await Self.refusing {
            try await self.credentials.setPassword(
                ticket: body.token,
                password: body.password,
                confirmation: body.passwordConfirmation,
                app: context.app,
                client: context.origin
            )
        }
    }

    struct ChangePasswordBody: WireBody {
        static let requiredFields = ["OldPassword", "Password", "PasswordConfirm"]
        var oldPassword: String
        var password: String
        var passwordConfirm: String
    }

    /// `PUT /v1.0/users/@me/password/change {OldPassword, Password, PasswordConfirm}` with a bearer token.
    @Sendable func changePassword(_ request: Request, context: UserRequestContext) async throws -> Response {
        let body = try await RequestFields.read(request).decode(ChangePasswordBody.self)
        return try await Self.refusing {
            try await self.credentials.changePassword(
                context.identity,
                old: body.oldPassword,
                new: body.password,
                confirmation: body.passwordConfirm,
                app: context.app,
                client: context.origin
            )
        }
    }

    /// `GET /v1.0/assets/security-images` with a PIN-setup (or PIN-reset) ticket as the bearer.
    @Sendable func securityImages(_ request: Request, context: AppRequestContext) async throws -> Response {
        do {
            let images = try await self.credentials.securityImages(
                ticket: BearerToken.parse(request.credential(.authorization)) ?? "",
                app: context.app
            )
            let model =
                "["
                + images.map { image in
                    JSONText.object(["FileName": .string(image.fileName), "Content": .string(image.png.base64EncodedString())])
                }.joined(separator: ",") + "]"
            return Wire.envelope(.ok, model: model)
        } catch let error as CredentialError {
            return Self.response(for: error)
        }
    }

    struct ChangePinBody: WireBody {
        static let requiredFields = ["Token", "Pin"]
        var token: String
        var pin: String
        var imageName: String?
        var personalPhrase: String?
    }

    /// `POST /v1.0/users/pincode/change {Token, Pin, ImageName, PersonalPhrase}`.
    @Sendable func changePin(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await RequestFields.read(request).decode(ChangePinBody.self)
        return try await Self.refusing {
            try await self.credentials.setPin(
                ticket: body.token,
                pin: body.pin,
                imageName: body.imageName,
                phrase: body.personalPhrase,
                app: context.app,
                client: context.origin
            )
        }
    }

    /// `GET /v1.0/users/password/secret-question?username=`: the question, or an empty `Model`.
    @Sendable func secretQuestion(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let username = request.uri.queryParameters["username"].map(String.init), !username.isEmpty else {
            return Wire.modelState(["username"])
        }
        let question = try await self.credentials.secretQuestion(username: username, app: context.app)
        return Wire.envelope(.ok, model: JSONText.render(.string(question ?? "")))
    }

    struct RequestResetBody: WireBody {
        static let requiredFields = ["User"]
        var user: String
        var secretQuestionAnswer: String?
    }

    /// `POST /v1.0/users/password/reset {User, SecretQuestionAnswer}`: emails a reset code. The same answer for
    /// known and unknown users.
    @Sendable func requestReset(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await RequestFields.read(request).decode(RequestResetBody.self)
        return try await Self.refusing {
            try await self.credentials.requestReset(
                username: body.user,
                answer: body.secretQuestionAnswer,
                app: context.app,
                client: context.origin
            )
        }
    }

    struct RedeemCodeBody: WireBody {
        static let requiredFields = ["Code", "Identifier"]
        var code: String
        var identifier: String
    }

    /// `POST /v1.0/users/identifiers/reset/code {Code, Identifier}`: a one-time token in `Model`.
    @Sendable func redeemCode(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await RequestFields.read(request).decode(RedeemCodeBody.self)
        let purpose: TicketPurpose
        switch body.identifier {
        case "ResetPassword": purpose = .resetPassword
        case "ResetPinCode": purpose = .resetPin
        default:
            return Wire.refusal([("ErrorInvalidIdentifier", "Identifier must be ResetPassword or ResetPinCode.")])
        }
        do {
            let token = try await self.credentials.redeemResetCode(body.code, purpose: purpose, app: context.app, client: context.origin)
            return Wire.envelope(.ok, model: JSONText.render(.string(token)))
        } catch let error as CredentialError {
            return Self.response(for: error)
        }
    }

    // MARK: Shared shape

    /// Runs a call whose success is an empty envelope, mapping the service's refusals to ETNA's error codes.
    private static func refusing(_ body: () async throws -> Void) async throws -> Response {
        do {
            try await body()
            return Wire.envelope(.ok, model: nil)
        } catch let error as CredentialError {
            return Self.response(for: error)
        } catch PasswordHashingError.overloaded, PasswordHashingError.laneFull {
            return Wire.unavailable("The service is busy; try again", retryAfter: 2)
        } catch LoginServiceError.deliveryFailed {
            return Wire.unavailable("The code could not be sent; try again")
        }
    }

    static func response(for error: CredentialError) -> Response {
        switch error {
        case .invalidTicket:
            return Wire.refusal([("ErrorInvalidToken", "The token is invalid, used or expired.")], status: .unauthorized)
        case .weakPassword(let problems, let policy):
            return Wire.refusal(problems.map { ($0.rawValue, $0.message(policy)) })
        case .incorrectAnswer:
            return Wire.refusal([("ErrorIncorrectAnswer", "The answer to the secret question is incorrect.")])
        case .invalidCode:
            return Wire.refusal([("ErrorInvalidCode", "The code is invalid or expired.")])
        case .incorrectPassword:
            return Wire.refusal([("ErrorIncorrectPassword", "The current password is incorrect.")])
        case .unknownImage:
            return Wire.refusal([("ErrorUnknownImage", "ImageName must be one of the security images.")])
        case .invalidPin:
            return Wire.refusal([("ErrorInvalidPin", "A PIN is 4 to 12 digits.")])
        case .phraseTooLong:
            return Wire.refusal([("ErrorPhraseTooLong", "The personal phrase is at most 100 characters.")])
        }
    }
}
