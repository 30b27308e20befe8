import Foundation

/// Companies, app keys and users: what operators manage.
public protocol DirectoryStore: Sendable {
    func createCompany(name: String, policy: CompanyPolicy, now: Date) async throws -> Company
    func company(named name: String) async throws -> Company?
    func company(id: Int64) async throws -> Company?
    func companies() async throws -> [Company]

    func createAppKey(companyID: Int64, name: String, digest: String, now: Date) async throws -> AppKey
    /// The app key with this digest and its company, revoked or not.
    func app(digest: String) async throws -> ResolvedApp?
    func appKeys(companyID: Int64) async throws -> [AppKey]
    /// Marks the key revoked; `false` when no live key has this digest.
    func revokeAppKey(digest: String, now: Date) async throws -> Bool

    func createUser(_ user: NewUser, now: Date) async throws -> User
    func user(companyID: Int64, usernameKey: String) async throws -> User?
    func user(id: Int64) async throws -> User?
    func users(companyID: Int64) async throws -> [User]
    func setUserDisabled(id: Int64, at: Date?) async throws
    func setPinDigest(userID: Int64, digest: String?) async throws
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
    func transaction(ticketDigest: String) async throws -> LoginTransaction?
    /// Replaces the stored transaction if its version is still `expectedVersion`; `false` when another request
    /// changed or ended it first.
    func update(_ transaction: LoginTransaction, expectedVersion: Int) async throws -> Bool
    /// Deletes the transaction if its version is still `expectedVersion`; `false` when another request got there
    /// first. This is what makes an interim token single use.
    func delete(id: String, expectedVersion: Int) async throws -> Bool
    /// Removes transactions that expired before `now`; returns how many.
    func purgeExpired(before now: Date) async throws -> Int
}

/// Access tokens, by digest.
public protocol AccessTokenStore: Sendable {
    /// Stores the record durably before it returns.
    func insert(_ record: AccessTokenRecord) async throws
    func accessToken(digest: String) async throws -> AccessTokenRecord?
}

/// Single-purpose tickets (PIN setup, password change).
public protocol TicketStore: Sendable {
    func insert(_ ticket: Ticket) async throws
    func ticket(digest: String) async throws -> Ticket?
    /// Marks the ticket used if it was not; `false` when it already was.
    func markUsed(digest: String, at: Date) async throws -> Bool
}
