import Foundation

/// Companies, app keys and users: what operators manage.
public protocol DirectoryStore: Sendable {
    /// Creates a company; throws ``DuplicateName`` when the name is taken.
    func createCompany(name: String, policy: CompanyPolicy, now: Date) async throws -> Company
    /// Replaces the company's policy; `nil` when there is no such company.
    func updateCompany(id: Int64, policy: CompanyPolicy) async throws -> Company?
    func company(named name: String) async throws -> Company?
    func company(id: Int64) async throws -> Company?
    func companies() async throws -> [Company]

    func createAppKey(companyID: Int64, name: String, digest: String, now: Date) async throws -> AppKey
    /// The app key with this digest and its company, revoked or not.
    func app(digest: String) async throws -> ResolvedApp?
    func appKeys(companyID: Int64) async throws -> [AppKey]
    /// Makes the app a resource server that may introspect tokens with this secret (its SHA-256).
    func setIntrospectionSecret(appKeyID: Int64, digest: String) async throws
    /// Marks the key revoked; `false` when no live key has this digest.
    func revokeAppKey(digest: String, now: Date) async throws -> Bool

    func createUser(_ user: NewUser, now: Date) async throws -> User
    func user(companyID: Int64, usernameKey: String) async throws -> User?
    func user(id: Int64) async throws -> User?
    /// The little a reset request needs of an account, read as narrowly as a missing one: so a request for a real
    /// user costs what one for an unknown name costs.
    func resetProfile(companyID: Int64, usernameKey: String) async throws -> ResetProfile?
    func users(companyID: Int64) async throws -> [User]
    func setUserDisabled(id: Int64, at: Date?) async throws
    /// Notes that the account was used (a sign-in, a refresh, an operator enabling it) at `at`: its user expiry
    /// counts from here.
    func recordSignIn(userID: Int64, at: Date) async throws
    /// Makes the user an operator of the back office with `role`, or no operator with `nil`.
    func setOperatorRole(userID: Int64, role: OperatorRole?) async throws
    /// The user's back-office role, if they are an operator.
    func operatorRole(userID: Int64) async throws -> OperatorRole?
    /// Users of any company whose username key or email contains `text` (case-insensitive), by username, at most
    /// `limit`; every user (up to `limit`) for an empty `text`.
    func searchUsers(_ text: String, limit: Int) async throws -> [User]
    func setPinDigest(userID: Int64, digest: String?) async throws
    /// Sets the user's password hash and clears an operator's expiry mark; the hash it replaces joins the user's
    /// password history, and the user's remembered devices are forgotten.
    func setPassword(userID: Int64, hash: String, changedAt: Date) async throws
    /// The hashes of the user's earlier passwords (not the current one), newest first, at most `limit`.
    func passwordHistory(userID: Int64, limit: Int) async throws -> [String]
    /// Marks the password expired: the next login must change it.
    func expirePassword(userID: Int64) async throws
    /// Sets the PIN with the image and phrase the user chose.
    func setPin(userID: Int64, digest: String, image: String?, phrase: String?) async throws
    /// Sets (or clears, with `nil`) the secret question and the keyed digest of its answer.
    func setSecretQuestion(userID: Int64, question: String?, answerDigest: String?) async throws

    /// Stores (or clears, with `nil`) a sealed authenticator secret that waits for its first code.
    func setPendingAuthenticator(userID: Int64, sealedSecret: String?) async throws
    /// Makes the pending secret the user's second factor (method `totp`) with `usedStep` spent, if the pending
    /// secret is still `sealedSecret`; `false` when another request replaced or confirmed it first.
    func confirmAuthenticator(userID: Int64, sealedSecret: String, usedStep: Int64) async throws -> Bool
    /// Sets the user's authenticator secret outright (operator enrolment): method `totp`, nothing pending,
    /// no step spent.
    func setAuthenticator(userID: Int64, sealedSecret: String) async throws
    /// Spends the TOTP `step` if it is later than the last spent one; `false` when it is not (a replay). Atomic,
    /// so of two requests with one code at most one gets `true`.
    func spendAuthenticatorStep(userID: Int64, step: Int64) async throws -> Bool
}

/// What a reset request reads of an account.
public struct ResetProfile: Sendable, Equatable {
    public var userID: Int64
    public var isDisabled: Bool
    /// The keyed digest of the secret answer, when the user has a question.
    public var secretAnswerDigest: String?

    public init(userID: Int64, isDisabled: Bool, secretAnswerDigest: String?) {
        self.userID = userID
        self.isDisabled = isDisabled
        self.secretAnswerDigest = secretAnswerDigest
    }
}

/// The fields of a user an operator creates.
public struct NewUser: Sendable, Equatable {
    public var companyID: Int64
    public var username: String
    public var passwordHash: String
    public var email: String?
    public var phone: String?
    public var twoFactor: TwoFactorMethod
    public var pinDigest: String?
    public var profile: UserProfile

    public init(
        companyID: Int64,
        username: String,
        passwordHash: String,
        email: String? = nil,
        phone: String? = nil,
        twoFactor: TwoFactorMethod = .none,
        pinDigest: String? = nil,
        profile: UserProfile = UserProfile()
    ) {
        self.companyID = companyID
        self.username = username
        self.passwordHash = passwordHash
        self.email = email
        self.phone = phone
        self.twoFactor = twoFactor
        self.pinDigest = pinDigest
        self.profile = profile
    }
}

/// In-flight logins between a `202` and the final `200`.
public protocol LoginTransactionStore: Sendable {
    func insert(_ transaction: LoginTransaction) async throws
    func transaction(interimTokenDigest: String) async throws -> LoginTransaction?
    /// Replaces the stored transaction if its version is still `expectedVersion`; `false` when another request
    /// changed or ended it first.
    func update(_ transaction: LoginTransaction, expectedVersion: Int) async throws -> Bool
    /// Deletes the transaction if its version is still `expectedVersion`; `false` when another request got there
    /// first. This is what makes an interim token single use.
    func delete(id: String, expectedVersion: Int) async throws -> Bool
    /// Removes transactions that expired before `now`; returns how many.
    func purgeExpired(before now: Date) async throws -> Int
}

/// Refresh tokens, by digest. A refresh token is exchanged once: ``spend(digest:appKeyID:at:)`` is atomic, so of two
/// requests with the same token one gets the new pair and the other gives the family away.
public protocol RefreshTokenStore: Sendable {
    /// Stores the record durably before it returns — only while its app key is live (`false`: nothing stored).
    func insert(_ record: RefreshTokenRecord) async throws -> Bool
    func refreshToken(digest: String) async throws -> RefreshTokenRecord?
    /// Marks the token of this app spent at `at` if it was not yet: ``RefreshSpend/spent(_:)`` with the record
    /// (spent now); ``RefreshSpend/alreadySpent(_:)`` when it had been spent before; `nil` when there is no such
    /// token of this app.
    func spend(digest: String, appKeyID: Int64, at: Date) async throws -> RefreshSpend?
    /// Revokes every refresh token of the session; returns how many were live.
    func revokeRefreshTokens(sessionID: String, at: Date) async throws -> Int
    /// Whether the session was ended: a refresh token of it revoked. Every way of ending a session revokes its
    /// refresh tokens — a logout (``AccessTokenStore/revoke(digest:at:)``), a session revoke
    /// (``AccessTokenStore/revoke(sessionID:userID:at:)``), the end of the other sessions on a password change or
    /// by an operator (``AccessTokenStore/revokeAll(userID:keeping:at:)``), a reuse — even when its access
    /// tokens have all expired. An expired token does not end a session.
    func isSessionEnded(sessionID: String) async throws -> Bool
}

/// What spending a refresh token found.
public enum RefreshSpend: Sendable, Equatable {
    /// It was unspent and is spent now.
    case spent(RefreshTokenRecord)
    /// It had been spent before: a reuse.
    case alreadySpent(RefreshTokenRecord)
}

/// Access tokens, by digest.
public protocol AccessTokenStore: Sendable {
    /// Stores the record durably before it returns — only while its app key is live: `false` (nothing stored)
    /// when the key was revoked, so a node whose cache still held the key cannot mint a token that outlives it.
    func insert(_ record: AccessTokenRecord) async throws -> Bool
    func accessToken(digest: String) async throws -> AccessTokenRecord?
    /// Revokes every live token of the user but `keeping` (a digest), and the refresh tokens of every session but
    /// `keeping`'s; returns how many access tokens.
    func revokeAll(userID: Int64, keeping: String?, at: Date) async throws -> Int
    /// Ends the session of the token with this digest (a logout): its refresh tokens, then every live access token
    /// of it; `false` when none was live.
    func revoke(digest: String, at: Date) async throws -> Bool
    /// Revokes one session by its public id, access and refresh tokens — of `userID` only, when given; `false`
    /// when there is no such live session.
    func revoke(sessionID: String, userID: Int64?, at: Date) async throws -> Bool
    /// The live sessions of a user, newest first, with the name of the app each came through.
    func sessions(userID: Int64, now: Date) async throws -> [Session]
    /// The user a session (by its public id) belongs to, if any token of it is stored.
    func sessionOwner(sessionID: String) async throws -> Int64?
    /// The token with this digest, its user and its app key, in one lookup (the hot path of every API request),
    /// live or not.
    func lookup(digest: String) async throws -> TokenLookup?
    /// Records that the token was used at `at`.
    func touch(digest: String, at: Date) async throws
    /// Records the last use of several tokens at once (never moving a time back).
    func touch(_ uses: [(digest: String, at: Date)]) async throws
}

/// An access token as validation and introspection need it: the record, its user, and the app key it was issued
/// through.
public struct TokenLookup: Sendable, Equatable {
    public var record: AccessTokenRecord
    public var user: User
    public var appName: String
    /// When the app key was revoked: a token of a revoked key never validates, whenever it was minted.
    public var appKeyRevokedAt: Date?

    public init(record: AccessTokenRecord, user: User, appName: String, appKeyRevokedAt: Date?) {
        self.record = record
        self.user = user
        self.appName = appName
        self.appKeyRevokedAt = appKeyRevokedAt
    }

    /// Whether the token opens the API at `now`: live, its key live, its user enabled.
    public func opensAPI(at now: Date) -> Bool {
        self.record.isLive(at: now) && self.appKeyRevokedAt == nil && !self.user.isDisabled
    }
}

/// A live access token as its user sees it.
public struct Session: Sendable, Equatable {
    public var record: AccessTokenRecord
    public var appName: String

    public init(record: AccessTokenRecord, appName: String) {
        self.record = record
        self.appName = appName
    }
}

/// A password-reset code waiting to be redeemed. Found by the keyed digest of the code alone, as ETNA's
/// redeem call carries no username.
public struct ResetCode: Sendable, Equatable {
    public var digest: String
    public var userID: Int64
    public var companyID: Int64
    public var createdAt: Date
    public var expiresAt: Date

    public init(digest: String, userID: Int64, companyID: Int64, createdAt: Date, expiresAt: Date) {
        self.digest = digest
        self.userID = userID
        self.companyID = companyID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// Reset codes.
public protocol ResetCodeStore: Sendable {
    /// Stores a code, replacing any earlier code of the user; `false` when another user's live code has the same
    /// digest (draw again).
    func replaceResetCode(_ code: ResetCode) async throws -> Bool
    /// The user's current code, if any.
    func latestResetCode(userID: Int64) async throws -> ResetCode?
    /// Removes and returns the live code with this digest: a code is redeemed once.
    func takeResetCode(digest: String, now: Date) async throws -> ResetCode?
    /// Opens the account's sending window if the last one opened `interval` seconds ago or more — one atomic step,
    /// so of parallel requests exactly one gets `true`. Keyed by username key, so an unknown name costs the same.
    /// Redeeming a code does not close the window.
    func claimResetWindow(companyID: Int64, usernameKey: String, now: Date, interval: TimeInterval) async throws -> Bool
}

/// Single-purpose tickets (PIN setup, password change).
public protocol TicketStore: Sendable {
    func insert(_ ticket: Ticket) async throws
    func ticket(digest: String) async throws -> Ticket?
    /// Marks the ticket used if it was not; `false` when it already was.
    func markUsed(digest: String, at: Date) async throws -> Bool
}

/// The devices users sign in from, and the ones they chose to have remembered.
public protocol DeviceStore: Sendable {
    /// Records that the user signed in from the device with this key at `at`, and tells when it was seen before.
    func seeDevice(userID: Int64, key: String, at: Date) async throws -> DeviceSighting
    /// Stores a remembered device; `false` when its app key was revoked first.
    func insert(_ device: TrustedDevice) async throws -> Bool
    /// The remembered device with this token digest, whatever its state.
    func trustedDevice(digest: String) async throws -> TrustedDevice?
    /// Notes that the device skipped a code at `at`.
    func touchTrustedDevice(id: String, at: Date) async throws
    /// The user's live remembered devices (not revoked, not expired, remembered since the password was set),
    /// newest first.
    func trustedDevices(userID: Int64, now: Date) async throws -> [TrustedDevice]
    /// Forgets the user's remembered device `id`, or all of them with `nil`; how many were live.
    func revokeTrustedDevices(userID: Int64, id: String?, at: Date) async throws -> Int
}
