import Foundation
import Hummingbird
import TesseraCore

/// ETNA's credential endpoints around `/token`: password change and reset, PIN setup, security images.
/// Routes parse and map; ``CredentialService`` decides.
struct CredentialController: Sendable {
    let apps: AppResolver
    let users: UserController
    let credentials: CredentialService
    let trustedProxies: [TrustedProxy]

    func addRoutes(to router: Router<TesseraRequestContext>) {
        router.put("/v1.0/users/passwords/reset", use: self.resetPassword)
        router.put("/v1.0/users/@me/password/change", use: self.changePassword)
        router.get("/v1.0/assets/security-images", use: self.securityImages)
        router.post("/v1.0/users/pincode/change", use: self.changePin)
        router.get("/v1.0/users/password/secret-question", use: self.secretQuestion)
        router.post("/v1.0/users/password/reset", use: self.requestReset)
        router.post("/v1.0/users/identifiers/reset/code", use: self.redeemCode)
    }

    /// `PUT /v1.0/users/passwords/reset {Token, Password, PasswordConfirmation}`.
    @Sendable func resetPassword(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        try await self.withApp(request, context: context, required: ["Token", "Password", "PasswordConfirmation"]) { app, fields, client in
            try await self.credentials.setPassword(
                ticket: fields.string("Token")!,
                password: fields.string("Password")!,
                confirmation: fields.string("PasswordConfirmation")!,
                app: app,
                client: client
            )
            return Wire.envelope(.ok, model: nil)
        }
    }

    /// `PUT /v1.0/users/@me/password/change {OldPassword, Password, PasswordConfirm}` with a bearer token.
    @Sendable func changePassword(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let identity: AuthenticatedUser
        switch try await self.users.authenticate(request) {
        case .success(let found): identity = found
        case .failure(let refusal): return refusal.response
        }
        return try await self.withApp(request, context: context, required: ["OldPassword", "Password", "PasswordConfirm"]) { app, fields, client in
            try await self.credentials.changePassword(
                identity,
                old: fields.string("OldPassword")!,
                new: fields.string("Password")!,
                confirmation: fields.string("PasswordConfirm")!,
                app: app,
                client: client
            )
            return Wire.envelope(.ok, model: nil)
        }
    }

    /// `GET /v1.0/assets/security-images` with a PIN-setup (or PIN-reset) ticket as the bearer.
    @Sendable func securityImages(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        try await self.withApp(request, context: context, required: []) { app, _, _ in
            let images = try await self.credentials.securityImages(
                ticket: BearerToken.parse(request.credential(.authorization)) ?? "",
                app: app
            )
            let model =
                "["
                + images.map { image in
                    JSONText.object(["FileName": .string(image.fileName), "Content": .string(image.png.base64EncodedString())])
                }.joined(separator: ",") + "]"
            return Wire.envelope(.ok, model: model)
        }
    }

    /// `POST /v1.0/users/pincode/change {Token, Pin, ImageName, PersonalPhrase}`.
    @Sendable func changePin(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        try await self.withApp(request, context: context, required: ["Token", "Pin"]) { app, fields, client in
            try await self.credentials.setPin(
                ticket: fields.string("Token")!,
                pin: fields.string("Pin")!,
                imageName: fields.string("ImageName"),
                phrase: fields.string("PersonalPhrase"),
                app: app,
                client: client
            )
            return Wire.envelope(.ok, model: nil)
        }
    }

    /// `GET /v1.0/users/password/secret-question?username=`: the question, or an empty `Model`.
    @Sendable func secretQuestion(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        guard let app = try await self.apps.resolve(request.credential(.etAppKey)) else { return Wire.appKeyError }
        guard let username = request.uri.queryParameters["username"].map(String.init), !username.isEmpty else {
            return Wire.modelState(["username"])
        }
        let question = try await self.credentials.secretQuestion(username: username, app: app)
        return Wire.envelope(.ok, model: JSONText.render(.string(question ?? "")))
    }

    /// `POST /v1.0/users/password/reset {User, SecretQuestionAnswer}`: emails a reset code. The same answer for
    /// known and unknown users.
    @Sendable func requestReset(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        try await self.withApp(request, context: context, required: ["User"]) { app, fields, client in
            try await self.credentials.requestReset(
                username: fields.string("User")!,
                answer: fields.string("SecretQuestionAnswer"),
                app: app,
                client: client
            )
            return Wire.envelope(.ok, model: nil)
        }
    }

    /// `POST /v1.0/users/identifiers/reset/code {Code, Identifier}`: a one-time token in `Model`.
    @Sendable func redeemCode(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        try await self.withApp(request, context: context, required: ["Code", "Identifier"]) { app, fields, client in
            let purpose: TicketPurpose
            switch fields.string("Identifier")! {
            case "ResetPassword": purpose = .resetPassword
            case "ResetPinCode": purpose = .resetPin
            default:
                return Wire.refusal([("ErrorInvalidIdentifier", "Identifier must be ResetPassword or ResetPinCode.")])
            }
            let token = try await self.credentials.redeemResetCode(fields.string("Code")!, purpose: purpose, app: app, client: client)
            return Wire.envelope(.ok, model: JSONText.render(.string(token)))
        }
    }

    // MARK: Shared shape

    /// Resolves the app key, reads the JSON body, refuses missing fields with `ModelState`, and maps the
    /// service's refusals to ETNA's error codes.
    private func withApp(
        _ request: Request,
        context: TesseraRequestContext,
        required: [String],
        _ body: (ResolvedApp, RequestFields, RequestOrigin) async throws -> Response
    ) async throws -> Response {
        guard let app = try await self.apps.resolve(request.credential(.etAppKey)) else { return Wire.appKeyError }
        let fields = required.isEmpty ? nil : try await RequestFields.read(request, context: context)
        if let fields {
            let missing = fields.missing(required)
            guard missing.isEmpty else { return Wire.modelState(missing) }
        }
        let client = RequestOrigin(request, context: context, trustedProxies: self.trustedProxies)
        do {
            return try await body(app, fields ?? RequestFields.empty, client)
        } catch let error as CredentialError {
            return Self.response(for: error)
        } catch PasswordHashingError.overloaded {
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

extension RequestFields {
    static var empty: RequestFields { RequestFields(values: [:], isObject: false) }
}
