/// Every storage port the core's services work through, as one value: a database backend fills it once
/// (`TesseraDatabase`), the in-memory store of the tests fills it too, and each service takes it whole instead of
/// a long list of single ports.
public struct TesseraStores: Sendable {
    public var directory: any DirectoryStore
    public var transactions: any LoginTransactionStore
    public var accessTokens: any AccessTokenStore
    public var tickets: any TicketStore
    public var attempts: any AttemptStore
    public var audit: any AuditLog
    public var resetCodes: any ResetCodeStore
    public var messages: any MessageQueue
    public var refreshTokens: any RefreshTokenStore
    public var devices: any DeviceStore

    public init(
        directory: any DirectoryStore,
        transactions: any LoginTransactionStore,
        accessTokens: any AccessTokenStore,
        tickets: any TicketStore,
        attempts: any AttemptStore,
        audit: any AuditLog,
        resetCodes: any ResetCodeStore,
        messages: any MessageQueue,
        refreshTokens: any RefreshTokenStore,
        devices: any DeviceStore
    ) {
        self.directory = directory
        self.transactions = transactions
        self.accessTokens = accessTokens
        self.tickets = tickets
        self.attempts = attempts
        self.audit = audit
        self.resetCodes = resetCodes
        self.messages = messages
        self.refreshTokens = refreshTokens
        self.devices = devices
    }

    /// One object that is every store (an SQL database, the tests' in-memory store).
    public init(
        _ all: some DirectoryStore & LoginTransactionStore & AccessTokenStore & TicketStore & AttemptStore & AuditLog & ResetCodeStore
            & MessageQueue & RefreshTokenStore & DeviceStore
    ) {
        self.init(
            directory: all,
            transactions: all,
            accessTokens: all,
            tickets: all,
            attempts: all,
            audit: all,
            resetCodes: all,
            messages: all,
            refreshTokens: all,
            devices: all
        )
    }
}

/// What the services share besides storage: time, randomness, the server key, hashing and delivery.
public struct ServiceEnvironment: Sendable {
    public var hasher: any PasswordHasher
    public var sender: any CodeSender
    public var clock: any WallClock
    public var secrets: KeyedDigester
    public var generator: any SecretGenerator
    public var limits: LoginLimits

    public init(
        hasher: any PasswordHasher,
        sender: any CodeSender,
        clock: any WallClock,
        secrets: KeyedDigester,
        generator: any SecretGenerator = SecureRandom(),
        limits: LoginLimits = LoginLimits()
    ) {
        self.hasher = hasher
        self.sender = sender
        self.clock = clock
        self.secrets = secrets
        self.generator = generator
        self.limits = limits
    }
}
