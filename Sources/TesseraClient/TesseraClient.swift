import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A client of Tessera for API apps: runs ETNA's multi-step `/token` flow and the `v1.0` calls around it.
///
/// ```swift
/// let client = TesseraClient(baseURL: URL(string: "https://auth.broker.example")!, appKey: "…")
/// var progress = try await client.login(username: "alice", password: password)
/// while true {
///     switch progress {
///     case .authenticated(let token): return token
///     case .verificationCodeRequired(let pending, _): progress = try await client.submit(code: askUser(), to: pending)
///     case .pinRequired(let pending, _, _): progress = try await client.submit(pin: askUser(), to: pending)
///     case .passwordChangeRequired(let ticket): try await client.setPassword(ticket: ticket, newPassword: new)
///     case .pinSetupRequired(let ticket): try await client.setPin(ticket: ticket, pin: pin)
///     }
/// }
/// ```
public struct TesseraClient: Sendable {
    public let baseURL: URL
    public let appKey: String
    let session: URLSession
    /// Where a login's tokens are kept, for ``withAccessToken(_:)`` and transparent refreshes.
    public let tokenStore: (any TesseraTokenStore)?
    /// Asks the user for what a re-authentication needs (step-up): see ``Reauthenticator``.
    public let reauthenticate: Reauthenticator?
    /// Ask the server to remember this device after a login with a verification code (companies with remembered
    /// devices): its `DeviceToken` is kept in the token store and sent with later logins, which skip the code.
    public let rememberDevice: Bool

    public init(
        baseURL: URL,
        appKey: String,
        session: URLSession = .shared,
        tokenStore: (any TesseraTokenStore)? = nil,
        rememberDevice: Bool = false,
        reauthenticate: Reauthenticator? = nil
    ) {
        self.baseURL = baseURL
        self.appKey = appKey
        self.session = session
        self.tokenStore = tokenStore
        self.rememberDevice = rememberDevice
        self.reauthenticate = reauthenticate
    }

    // MARK: The /token flow

    /// Starts a login with username and password.
    public func login(username: String, password: String) async throws -> LoginProgress {
        try await self.token(PendingLogin(username: username, password: password, interimToken: nil), code: nil, pin: nil)
    }

    /// Answers the `VerificationCode` step.
    public func submit(code: String, to pending: PendingLogin) async throws -> LoginProgress {
        try await self.token(pending, code: code, pin: nil)
    }

    /// Answers the `SecutityPin` step.
    public func submit(pin: String, to pending: PendingLogin) async throws -> LoginProgress {
        try await self.token(pending, code: nil, pin: pin)
    }

    /// Asks for the verification code again (the server sends at most one per minute).
    public func resendCode(_ pending: PendingLogin) async throws -> LoginProgress {
        try await self.token(pending, code: nil, pin: nil)
    }

    private func token(_ pending: PendingLogin, code: String?, pin: String?) async throws -> LoginProgress {
        // As ETNA's own clients do: username and password on every request, the interim token once there is one.
        var headers = ["Username": pending.username, "Password": pending.password]
        if let interim = pending.interimToken { headers["Authorization"] = "Bearer \(interim)" }
        if let code { headers["VerificationCode"] = code }
        if let pin { headers["PinCode"] = pin }
        if let device = try await self.tokenStore?.loadDeviceToken() { headers["DeviceToken"] = device }
        if self.rememberDevice { headers["RememberDevice"] = "true" }
        let (status, object, response) = try await self.send("POST", "token", headers: headers, body: nil)
        let state = object["State"] as? String
        let step = object["Step"] as? String ?? ""
        let reason = object["Reason"] as? String ?? ""
        let token = object["Token"] as? String
        switch (status, state) {
        case (200, "Succeeded"):
            guard let token else { throw TesseraClientError.invalidResponse }
            try await self.tokenStore?.save(TesseraTokens(accessToken: token, refreshToken: object["RefreshToken"] as? String))
            if let device = object["DeviceToken"] as? String { try await self.tokenStore?.saveDeviceToken(device) }
            return .authenticated(token: token)
        case (202, "Expecting"):
            guard let token else { throw TesseraClientError.invalidResponse }
            var next = pending
            next.interimToken = token
            switch (step, reason) {
            case ("BaseAuthentication", _): return .passwordChangeRequired(ticket: token)
            case ("SecutityPin", "PIN code is not init"): return .pinSetupRequired(ticket: token)
            case ("SecutityPin", _):
                let image = (object["SecurityImage"] as? [String: Any]).flatMap(SecurityImage.init)
                return .pinRequired(next, reason: reason, image: image)
            default: return .verificationCodeRequired(next, reason: reason)
            }
        case (429, _),
            (401, "Failed") where reason == "Too many login requests":
            // HTTP's answer, or ETNA's guard's (a company with --throttle-answer etna): the same throttle.
            throw TesseraClientError.throttled(retryAfter: Self.retryAfter(response))
        case (503, _):
            throw TesseraClientError.unavailable(retryAfter: Self.retryAfter(response))
        case (401, "Failed"):
            throw TesseraClientError.loginFailed(step: step, reason: reason)
        case (401, _):
            throw TesseraClientError.unknownAppKey
        default:
            throw TesseraClientError.invalidResponse
        }
    }

    // MARK: v1.0

    /// `GET /v1.0/users/@me/info`.
    public func userInfo(token: String) async throws -> UserInfo {
        let model = try await self.envelope("GET", "v1.0/users/@me/info", bearer: token, body: nil)
        guard let object = model as? [String: Any], let info = UserInfo(object) else { throw TesseraClientError.invalidResponse }
        return info
    }

    /// `PUT /v1.0/users/@me/password/change`.
    public func changePassword(token: String, old: String, new: String) async throws {
        _ = try await self.envelope(
            "PUT",
            "v1.0/users/@me/password/change",
            bearer: token,
            body: ["OldPassword": old, "Password": new, "PasswordConfirm": new]
        )
    }

    /// `PUT /v1.0/users/passwords/reset`: with a password-change ticket (expired password) or a reset ticket.
    public func setPassword(ticket: String, newPassword: String) async throws {
        _ = try await self.envelope(
            "PUT",
            "v1.0/users/passwords/reset",
            bearer: nil,
            body: ["Token": ticket, "Password": newPassword, "PasswordConfirmation": newPassword]
        )
    }

    /// `GET /v1.0/assets/security-images` with a PIN-setup ticket.
    public func securityImages(ticket: String) async throws -> [SecurityImage] {
        let model = try await self.envelope("GET", "v1.0/assets/security-images", bearer: ticket, body: nil)
        return (model as? [[String: Any]] ?? []).compactMap(SecurityImage.init)
    }

    /// `POST /v1.0/users/pincode/change`: a first (or reset) PIN, with the image and phrase to show with it.
    public func setPin(ticket: String, pin: String, imageName: String? = nil, phrase: String? = nil) async throws {
        var body = ["Token": ticket, "Pin": pin]
        body["ImageName"] = imageName
        body["PersonalPhrase"] = phrase
        _ = try await self.envelope("POST", "v1.0/users/pincode/change", bearer: nil, body: body)
    }

    /// `GET /v1.0/users/password/secret-question`: the question, or `nil`.
    public func secretQuestion(username: String) async throws -> String? {
        var components = URLComponents()
        components.queryItems = [URLQueryItem(name: "username", value: username)]
        let model = try await self.envelope("GET", "v1.0/users/password/secret-question" + (components.string ?? ""), bearer: nil, body: nil)
        return (model as? String).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `POST /v1.0/users/password/reset`: asks for a reset code by email.
    public func requestPasswordReset(username: String, answer: String? = nil) async throws {
        var body = ["User": username]
        body["SecretQuestionAnswer"] = answer
        _ = try await self.envelope("POST", "v1.0/users/password/reset", bearer: nil, body: body)
    }

    /// `POST /v1.0/users/identifiers/reset/code`: trades the emailed code for a ticket.
    public func redeemResetCode(_ code: String, forPin: Bool = false) async throws -> String {
        let model = try await self.envelope(
            "POST",
            "v1.0/users/identifiers/reset/code",
            bearer: nil,
            body: ["Code": code, "Identifier": forPin ? "ResetPinCode" : "ResetPassword"]
        )
        guard let ticket = model as? String else { throw TesseraClientError.invalidResponse }
        return ticket
    }

    /// `DELETE /token`: logs this token out.
    public func logout(token: String) async throws {
        let (status, _, _) = try await self.send("DELETE", "token", headers: ["Authorization": "Bearer \(token)"], body: nil)
        guard status == 204 else { throw TesseraClientError.requestFailed(status: status, errors: [], codes: []) }
    }

    // MARK: Transport

    func envelope(_ method: String, _ path: String, bearer: String?, body: [String: String]?) async throws -> Any? {
        var headers: [String: String] = [:]
        if let bearer { headers["Authorization"] = "Bearer \(bearer)" }
        let (status, object, response) = try await self.send(method, path, headers: headers, body: body)
        guard status == 200, object["IsSucceed"] as? Bool == true else {
            if status == 503 { throw TesseraClientError.unavailable(retryAfter: Self.retryAfter(response)) }
            if status == 401, object["error"] != nil { throw TesseraClientError.unknownAppKey }
            throw TesseraClientError.requestFailed(
                status: status,
                errors: object["Errors"] as? [String] ?? [],
                codes: object["ErrorsCode"] as? [String] ?? []
            )
        }
        return object["Model"]
    }

    func send(
        _ method: String,
        _ path: String,
        headers: [String: String],
        body: [String: String]?
    ) async throws
        -> (Int, [String: Any], HTTPURLResponse)
    {
        guard let url = URL(string: path, relativeTo: self.baseURL) else { throw TesseraClientError.invalidResponse }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue(self.appKey, forHTTPHeaderField: "Et-App-Key")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
        }
        let (data, response) = try await self.session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw TesseraClientError.invalidResponse }
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return (http.statusCode, object, http)
    }

    static func retryAfter(_ response: HTTPURLResponse) -> Int? {
        (response.value(forHTTPHeaderField: "Retry-After")).flatMap { Int($0) }
    }
}

/// A login waiting for its next step: the interim token and the credentials ETNA clients resend.
public struct PendingLogin: Sendable, Equatable {
    public var username: String
    public var password: String
    public var interimToken: String?
}

/// Where a login stands after a call.
public enum LoginProgress: Sendable, Equatable {
    /// Done: the access token.
    case authenticated(token: String)
    /// A code was sent by email or SMS; answer with ``TesseraClient/submit(code:to:)``.
    case verificationCodeRequired(PendingLogin, reason: String)
    /// The security PIN is asked; `image` is the one the user chose, to show beside the prompt.
    case pinRequired(PendingLogin, reason: String, image: SecurityImage?)
    /// The password has expired: set a new one with ``TesseraClient/setPassword(ticket:newPassword:)``, then log in.
    case passwordChangeRequired(ticket: String)
    /// The company requires a PIN the user has never set: ``TesseraClient/setPin(ticket:pin:imageName:phrase:)``.
    case pinSetupRequired(ticket: String)
}

/// A security image.
public struct SecurityImage: Sendable, Equatable {
    public var fileName: String
    public var png: Data
    public var personalPhrase: String?

    init?(_ object: [String: Any]) {
        guard let name = object["FileName"] as? String, let content = object["Content"] as? String,
            let png = Data(base64Encoded: content)
        else { return nil }
        self.fileName = name
        self.png = png
        self.personalPhrase = object["PersonalPhrase"] as? String
    }
}

/// `GET /v1.0/users/@me/info`.
public struct UserInfo: Sendable, Equatable {
    public var userID: Int
    public var login: String
    public var firstName: String?
    public var middleName: String?
    public var lastName: String?
    public var email: String?

    init?(_ object: [String: Any]) {
        guard let id = object["UserId"] as? Int, let login = object["Login"] as? String else { return nil }
        self.userID = id
        self.login = login
        self.firstName = object["FirstName"] as? String
        self.middleName = object["MiddleName"] as? String
        self.lastName = object["LastName"] as? String
        self.email = object["Email"] as? String
    }
}

/// What went wrong, as the server said it.
public enum TesseraClientError: Error, Equatable {
    /// `401 {"State":"Failed",…}`: the login is over.
    case loginFailed(step: String, reason: String)
    /// `429` (or ETNA's `401` "Too many login requests"): too many failures from this address.
    case throttled(retryAfter: Int?)
    /// `503`: try again later.
    case unavailable(retryAfter: Int?)
    /// The `Et-App-Key` is missing, unknown or revoked.
    case unknownAppKey
    /// A `v1.0` call was refused.
    case requestFailed(status: Int, errors: [String], codes: [String])
    /// The server's answer did not follow the contract.
    case invalidResponse
    /// A call that needs the stored tokens found none: log in first.
    case signedOut
    /// The change needs a recent sign-in and the client has no ``Reauthenticator`` to ask for one (or the user
    /// gave up): re-authenticate, then try again.
    case reauthenticationRequired
}
