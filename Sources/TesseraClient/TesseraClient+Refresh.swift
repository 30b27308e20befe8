import Foundation
import Synchronization

/// The tokens of a signed-in user, as a ``TesseraTokenStore`` keeps them.
public struct TesseraTokens: Sendable, Equatable, Codable {
    public var accessToken: String
    /// Only from a company with refresh tokens.
    public var refreshToken: String?

    public init(accessToken: String, refreshToken: String? = nil) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
    }
}

/// Where a ``TesseraClient`` keeps the user's tokens between calls: memory, a keychain, a file. The client saves
/// after every login and refresh, and saves `nil` when the session is over. A store is an object: every client
/// that shares one shares its refreshes too (one at a time), since two refreshes with one refresh token would end
/// the session as a reuse.
public protocol TesseraTokenStore: AnyObject, Sendable {
    func load() async throws -> TesseraTokens?
    func save(_ tokens: TesseraTokens?) async throws
    /// The device token of a remembered device. It outlives a session: a logout forgets the tokens, not the
    /// device. A store that does not keep one (the default) makes every login ask for the code.
    func loadDeviceToken() async throws -> String?
    func saveDeviceToken(_ token: String?) async throws
}

extension TesseraTokenStore {
    public func loadDeviceToken() async throws -> String? { nil }
    public func saveDeviceToken(_ token: String?) async throws {}
}

/// Tokens kept in memory for the life of the process.
public actor InMemoryTokenStore: TesseraTokenStore {
    private var tokens: TesseraTokens?
    private var deviceToken: String?

    public init(_ tokens: TesseraTokens? = nil) {
        self.tokens = tokens
    }

    public func load() async throws -> TesseraTokens? { self.tokens }
    public func save(_ tokens: TesseraTokens?) async throws { self.tokens = tokens }
    public func loadDeviceToken() async throws -> String? { self.deviceToken }
    public func saveDeviceToken(_ token: String?) async throws { self.deviceToken = token }
}

/// One refresh at a time for each token store, whichever clients use it: a refresh token is spent once, and a
/// second refresh with the same one would be taken for a stolen copy and end the session.
actor RefreshGate {
    private var running: Task<String, any Error>?

    /// The gates of the stores in use, by identity; a store's entry goes when the store does.
    private static let gates = Mutex<[ObjectIdentifier: (store: Weak, gate: RefreshGate)]>([:])

    private struct Weak: @unchecked Sendable {
        weak var object: AnyObject?
    }

    /// The gate of `store`.
    static func of(_ store: any TesseraTokenStore) -> RefreshGate {
        self.gates.withLock { gates in
            gates = gates.filter { $0.value.store.object != nil }
            let key = ObjectIdentifier(store)
            if let entry = gates[key], entry.store.object === store { return entry.gate }
            let gate = RefreshGate()
            gates[key] = (Weak(object: store), gate)
            return gate
        }
    }

    /// Runs `exchange`, or waits for the one already running.
    func refresh(_ exchange: @escaping @Sendable () async throws -> String) async throws -> String {
        if let running = self.running { return try await running.value }
        let task = Task { try await exchange() }
        self.running = task
        defer { self.running = nil }
        return try await task.value
    }
}

extension TesseraClient {
    /// Runs `call` with the stored access token. When the server answers `401` and there is a refresh token, the
    /// client refreshes — once, however many calls find the token expired at the same time — and runs `call` again
    /// with the new token; the caller never sees the expiry.
    ///
    /// - Throws: ``TesseraClientError/signedOut`` without stored tokens; ``TesseraClientError/loginFailed(step:reason:)``
    ///   when the refresh is refused (the session is over: log in again); the call's own errors.
    ///
    /// A change that needs a recent sign-in (`ReauthenticationRequired`) is asked of the ``Reauthenticator``, and
    /// `call` runs again once with the re-authenticated token.
    public func withAccessToken<T: Sendable>(_ call: @Sendable (String) async throws -> T) async throws -> T {
        guard let store = self.tokenStore, let tokens = try await store.load() else { throw TesseraClientError.signedOut }
        do {
            return try await call(tokens.accessToken)
        } catch TesseraClientError.requestFailed(401, _, let codes) where codes.contains("ReauthenticationRequired") {
            return try await call(try await self.reauthenticate(replacing: tokens.accessToken))
        } catch TesseraClientError.requestFailed(let status, _, _) where status == 401 && tokens.refreshToken != nil {
            let refreshed = try await self.refresh(replacing: tokens.accessToken)
            do {
                return try await call(refreshed)
            } catch TesseraClientError.requestFailed(401, _, let codes) where codes.contains("ReauthenticationRequired") {
                return try await call(try await self.reauthenticate(replacing: refreshed))
            }
        }
    }

    /// `GET /v1.0/users/@me/info` with the stored token, refreshed when it has expired.
    public func userInfo() async throws -> UserInfo {
        try await self.withAccessToken { try await self.userInfo(token: $0) }
    }

    /// Exchanges the stored refresh token for a new pair and stores it; returns the new access token.
    public func refresh() async throws -> String {
        guard let tokens = try await self.tokenStore?.load() else { throw TesseraClientError.signedOut }
        return try await self.refresh(replacing: tokens.accessToken)
    }

    /// A refresh because `failed` was refused; when another call has already replaced it, its successor.
    func refresh(replacing failed: String) async throws -> String {
        guard let store = self.tokenStore else { throw TesseraClientError.signedOut }
        return try await RefreshGate.of(store).refresh {
            guard let tokens = try await store.load() else { throw TesseraClientError.signedOut }
            if tokens.accessToken != failed { return tokens.accessToken }
            guard let refreshToken = tokens.refreshToken else { throw TesseraClientError.signedOut }
            let (status, object, response) = try await self.send("POST", "token", headers: ["RefreshToken": refreshToken], body: nil)
            switch (status, object["State"] as? String) {
            case (200, "Succeeded"):
                guard let token = object["Token"] as? String else { throw TesseraClientError.invalidResponse }
                try await store.save(TesseraTokens(accessToken: token, refreshToken: object["RefreshToken"] as? String))
                return token
            case (401, "Failed"):
                // Spent, expired or ended: the session is over — unless a login stored new tokens meanwhile.
                if try await store.load()?.refreshToken == refreshToken { try await store.save(nil) }
                throw TesseraClientError.loginFailed(step: object["Step"] as? String ?? "", reason: object["Reason"] as? String ?? "")
            case (503, _):
                throw TesseraClientError.unavailable(retryAfter: Self.retryAfter(response))
            case (401, _):
                throw TesseraClientError.unknownAppKey
            default:
                throw TesseraClientError.invalidResponse
            }
        }
    }

    /// Logs the stored session out and forgets its tokens.
    public func logout() async throws {
        guard let store = self.tokenStore, let tokens = try await store.load() else { return }
        try await self.logout(token: tokens.accessToken)
        try await store.save(nil)
    }
}
