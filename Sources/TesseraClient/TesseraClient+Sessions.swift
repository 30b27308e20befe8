import Foundation

/// What a re-authentication asks the user for, in turn: the password, then the second factor if they have one.
public enum ReauthenticationStep: Sendable, Equatable {
    case password
    /// A code was sent by email or SMS, or is read off the authenticator app (`reason` says which).
    case verificationCode(reason: String)
    case pin(reason: String, image: SecurityImage?)
}

/// Answers one ``ReauthenticationStep`` with what the user typed; throwing gives the re-authentication up (the
/// call then fails with that error).
public typealias Reauthenticator = @Sendable (ReauthenticationStep) async throws -> String

/// One of the user's live sessions, from `GET /v1.0/users/@me/sessions`.
public struct SessionInfo: Sendable, Equatable {
    public var id: String
    public var appName: String
    public var clientAddress: String?
    public var userAgent: String?
    /// The session of the token that asked.
    public var isCurrent: Bool

    init?(_ object: [String: Any]) {
        guard let id = object["Id"] as? String else { return nil }
        self.id = id
        self.appName = object["AppName"] as? String ?? ""
        self.clientAddress = object["ClientAddress"] as? String
        self.userAgent = object["UserAgent"] as? String
        self.isCurrent = object["Current"] as? Bool ?? false
    }
}

/// A new authenticator secret: show `url` as a QR code, then confirm with a first code.
public struct AuthenticatorSetup: Sendable, Equatable {
    public var url: String
    public var secret: String
}

extension TesseraClient {
    // MARK: Step-up

    /// Re-authenticates the stored session (step-up): the password and the second factor, asked of the
    /// ``Reauthenticator``, with the stored access token at `/token`. The fresh access token (same session, same
    /// refresh token) is stored and returned.
    ///
    /// - Throws: ``TesseraClientError/reauthenticationRequired`` without a reauthenticator;
    ///   ``TesseraClientError/loginFailed(step:reason:)`` for a wrong answer; what the reauthenticator throws.
    public func reauthenticate() async throws -> String {
        guard let tokens = try await self.tokenStore?.load() else { throw TesseraClientError.signedOut }
        return try await self.reauthenticate(replacing: tokens.accessToken)
    }

    func reauthenticate(replacing access: String) async throws -> String {
        guard let store = self.tokenStore else { throw TesseraClientError.signedOut }
        guard let ask = self.reauthenticate else { throw TesseraClientError.reauthenticationRequired }
        let password = try await ask(.password)
        var headers = ["Authorization": "Bearer \(access)", "Password": password]
        while true {
            let (status, object, response) = try await self.send("POST", "token", headers: headers, body: nil)
            let reason = object["Reason"] as? String ?? ""
            switch (status, object["State"] as? String, object["Step"] as? String) {
            case (200, "Succeeded", _):
                guard let token = object["Token"] as? String else { throw TesseraClientError.invalidResponse }
                // The session keeps its refresh token: a re-authentication renews the proof, not the family.
                let kept = try await store.load()?.refreshToken
                try await store.save(TesseraTokens(accessToken: token, refreshToken: kept))
                return token
            case (202, "Expecting", let step):
                guard let interim = object["Token"] as? String else { throw TesseraClientError.invalidResponse }
                headers = ["Authorization": "Bearer \(interim)"]
                if step == "SecutityPin" {
                    let image = (object["SecurityImage"] as? [String: Any]).flatMap(SecurityImage.init)
                    headers["PinCode"] = try await ask(.pin(reason: reason, image: image))
                } else {
                    headers["VerificationCode"] = try await ask(.verificationCode(reason: reason))
                }
            case (429, _, _):
                throw TesseraClientError.throttled(retryAfter: Self.retryAfter(response))
            case (503, _, _):
                throw TesseraClientError.unavailable(retryAfter: Self.retryAfter(response))
            case (401, "Failed", let step):
                throw TesseraClientError.loginFailed(step: step ?? "", reason: reason)
            default:
                throw TesseraClientError.invalidResponse
            }
        }
    }

    // MARK: Sessions

    /// The user's live sessions, the current one marked.
    public func sessions() async throws -> [SessionInfo] {
        try await self.withAccessToken { token in
            let model = try await self.envelope("GET", "v1.0/users/@me/sessions", bearer: token, body: nil)
            return (model as? [[String: Any]] ?? []).compactMap(SessionInfo.init)
        }
    }

    /// Ends one of the user's sessions by id.
    public func endSession(id: String) async throws {
        let path = "v1.0/users/@me/sessions/" + (id.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? id)
        _ = try await self.withAccessToken { try await self.envelope("DELETE", path, bearer: $0, body: nil) != nil }
    }

    /// Ends every session of the user but this one; returns how many.
    public func endOtherSessions() async throws -> Int {
        try await self.withAccessToken { token in
            try await self.envelope("DELETE", "v1.0/users/@me/sessions", bearer: token, body: nil) as? Int ?? 0
        }
    }

    // MARK: Authenticator

    /// Starts an authenticator enrolment (a sensitive change: the company may ask for a recent sign-in first,
    /// which the ``Reauthenticator`` is asked for).
    public func enrolAuthenticator() async throws -> AuthenticatorSetup {
        try await self.withAccessToken { token in
            let model = try await self.envelope("POST", "v1.0/users/@me/totp", bearer: token, body: [:])
            guard let object = model as? [String: Any], let url = object["Url"] as? String, let secret = object["Secret"] as? String
            else { throw TesseraClientError.invalidResponse }
            return AuthenticatorSetup(url: url, secret: secret)
        }
    }

    /// Confirms the enrolment with the first code of the new authenticator.
    public func confirmAuthenticator(code: String) async throws {
        _ = try await self.withAccessToken { token in
            try await self.envelope("POST", "v1.0/users/@me/totp/confirm", bearer: token, body: ["Code": code]) != nil
        }
    }
}
