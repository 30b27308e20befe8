import HTTPTypes
import Hummingbird
import Logging
import TesseraCore

/// `POST /token`: reads the credentials, runs the login flow, writes the outcome. No policy lives here.
struct TokenController: Sendable {
    let login: LoginService
    let refresh: RefreshService
    let metrics: TesseraMetrics

    func addRoutes(to routes: RouteGroups) {
        routes.app.post("/token", use: self.token)
    }

    @Sendable func token(_ request: Request, context: AppRequestContext) async throws -> Response {
        let app = context.app
        let credentials = try await LoginCredentials.read(request)
        let loginRequest = LoginRequest(
            username: credentials.username,
            password: credentials.password,
            verificationCode: credentials.verificationCode,
            pin: credentials.pin,
            interimToken: BearerToken.parse(request.credential(.authorization)),
            deviceToken: credentials.deviceToken,
            rememberDevice: credentials.rememberDevice
        )
        if credentials.refreshToken != nil, loginRequest != LoginRequest() {
            // A refresh is a grant of its own: with credentials beside it, which one was meant is a guess.
            throw WireRefusal(
                Wire.json(.badRequest, JSONText.object(["error": .string("send RefreshToken alone, without credentials or a bearer")]))
            )
        }
        do {
            let outcome =
                if let refreshToken = credentials.refreshToken {
                    try await self.refresh.refresh(refreshToken, app: app, origin: context.origin)
                } else {
                    try await self.login.login(loginRequest, app: app, origin: context.origin)
                }
            context.logger.info(
                "token request",
                metadata: ["company": "\(app.company.id)", "app": "\(app.appKey.id)", "outcome": "\(Self.describe(outcome))"]
            )
            self.count(outcome)
            return Wire.token(outcome, throttle: app.company.policy.throttleAnswer)
        } catch LoginServiceError.appKeyRevoked {
            // Revoked while this node's cache still held it: answered as the key's state now is.
            return Wire.appKeyError
        } catch LoginServiceError.deliveryFailed(let channel, let interimToken) {
            context.logger.error("could not send a verification code", metadata: ["channel": "\(channel.rawValue)"])
            self.metrics.tokenOutcome(state: "Unavailable", step: LoginStep.verificationCode.rawValue, reason: "delivery failed")
            return Wire.deliveryFailed(interimToken: interimToken)
        } catch PasswordHashingError.overloaded {
            context.logger.warning("shedding load: no password hashing slot came free in time")
            self.metrics.shed("pool")
            return Wire.unavailable("The service is busy; try again", retryAfter: 2)
        } catch PasswordHashingError.laneFull {
            // One address asking for more hashes at once than its share: refused before it waits, so it cannot
            // fill the queue the others wait in.
            context.logger.notice("shedding load: this address has its share of password hashing slots")
            self.metrics.shed("address")
            return Wire.unavailable("The service is busy; try again", retryAfter: 1)
        }
    }

    private func count(_ outcome: LoginOutcome) {
        switch outcome {
        case .succeeded: self.metrics.tokenOutcome(state: "Succeeded", step: "", reason: "")
        case .expecting(let step, let reason, _, _): self.metrics.tokenOutcome(state: "Expecting", step: step.rawValue, reason: reason.rawValue)
        case .failed(let step, let reason): self.metrics.tokenOutcome(state: "Failed", step: step.rawValue, reason: reason.rawValue)
        case .throttled: self.metrics.tokenOutcome(state: "Failed", step: "BaseAuthentication", reason: LoginReason.tooManyAttempts.rawValue)
        }
    }

    /// The outcome without its token, for the log.
    static func describe(_ outcome: LoginOutcome) -> String {
        switch outcome {
        case .succeeded: "Succeeded"
        case .expecting(let step, let reason, _, _): "Expecting \(step.rawValue): \(reason.rawValue)"
        case .failed(let step, let reason): "Failed \(step.rawValue): \(reason.rawValue)"
        case .throttled: "Throttled"
        }
    }
}

/// The credentials of a `/token` request: each from its header, or from a field of the same name in a form or JSON
/// body (ETNA's schema declares the form; headers also end up in proxies' logs). A field given both ways must say
/// the same, or the request is refused: two values could otherwise be checked against two different things.
struct LoginCredentials {
    var username: String?
    var password: String?
    var verificationCode: String?
    var pin: String?
    /// A refresh token to exchange (companies with refresh tokens only).
    var refreshToken: String?
    /// A remembered device's token, and whether to remember this one (companies with remembered devices only).
    var deviceToken: String?
    var rememberDevice = false

    static func read(_ request: Request) async throws -> LoginCredentials {
        let body = try await RequestFields.read(request, assuming: .form)
        func value(_ name: HTTPField.Name, _ etnaName: String) throws -> String? {
            let header = request.credential(name).flatMap { $0.isEmpty ? nil : $0 }
            let field = body.string(etnaName)
            if let header, let field, header != field {
                // Names only: the values are secrets.
                throw WireRefusal(
                    Wire.json(
                        .badRequest,
                        JSONText.object([
                            "error": .string("\(etnaName) in the body differs from the \(etnaName) header; send it once")
                        ])
                    )
                )
            }
            return header ?? field
        }
        return LoginCredentials(
            username: try value(.username, "Username"),
            password: try value(.password, "Password"),
            verificationCode: try value(.verificationCode, "VerificationCode"),
            pin: try value(.pinCode, "PinCode"),
            refreshToken: try value(.refreshToken, "RefreshToken"),
            deviceToken: try value(.deviceToken, "DeviceToken"),
            rememberDevice: try value(.rememberDevice, "RememberDevice").map { ["true", "1", "yes"].contains($0.lowercased()) } ?? false
        )
    }
}
