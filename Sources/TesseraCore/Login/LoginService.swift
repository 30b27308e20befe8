import Foundation

/// Runs ``LoginStateMachine`` against the ports: loads what it asks for, verifies passwords, and makes its
/// decision durable before the answer leaves.
///
/// ```swift
/// let outcome = try await service.login(LoginRequest(username: "alice", password: "…"), app: app)
/// ```
public struct LoginService: Sendable {
    /// How often a request is replayed when another request changed its transaction first.
    static let conflictRetries = 3

    let directory: any DirectoryStore
    let transactions: any LoginTransactionStore
    let accessTokens: any AccessTokenStore
    let tickets: any TicketStore
    let hasher: any PasswordHasher
    let sender: any CodeSender
    let clock: any WallClock
    let secrets: GuessableSecrets
    let generator: any SecretGenerator
    let limits: LoginLimits

    public init(
        directory: any DirectoryStore,
        transactions: any LoginTransactionStore,
        accessTokens: any AccessTokenStore,
        tickets: any TicketStore,
        hasher: any PasswordHasher,
        sender: any CodeSender,
        clock: any WallClock,
        secrets: GuessableSecrets,
        generator: any SecretGenerator = SecureRandom(),
        limits: LoginLimits = LoginLimits()
    ) {
        self.directory = directory
        self.transactions = transactions
        self.accessTokens = accessTokens
        self.tickets = tickets
        self.hasher = hasher
        self.sender = sender
        self.clock = clock
        self.secrets = secrets
        self.generator = generator
        self.limits = limits
    }

    /// Runs one `/token` request for the app it came from.
    ///
    /// - Throws: ``LoginServiceError/deliveryFailed`` when a code could not be sent; storage errors as they come.
    public func login(_ request: LoginRequest, app: ResolvedApp) async throws -> LoginOutcome {
        var lastStep = LoginStep.baseAuthentication
        for _ in 0..<Self.conflictRetries {
            var machine = LoginStateMachine(
                request: request,
                app: app,
                secrets: self.secrets,
                generator: self.generator,
                limits: self.limits
            )
            var action = machine.start(now: self.clock.now)
            while true {
                switch action {
                case .loadTransaction(let digest):
                    let transaction = try await self.transactions.transaction(ticketDigest: digest)
                    let user: User? = if let transaction { try await self.directory.user(id: transaction.userID) } else { nil }
                    lastStep = transaction?.step ?? lastStep
                    action = machine.transactionLoaded(transaction, user: user, now: self.clock.now)
                    continue

                case .verifyPassword(let username, let password):
                    let user = try await self.directory.user(companyID: app.company.id, usernameKey: Username.key(username))
                    let matches: Bool
                    if let user {
                        matches = try await self.hasher.verify(password, against: user.passwordHash)
                    } else {
                        try await self.hasher.verifyDummy(password)
                        matches = false
                    }
                    action = machine.passwordChecked(user, matches: matches, now: self.clock.now)
                    continue

                case .finish(let decision):
                    if try await self.apply(decision) {
                        return decision.outcome
                    }
                }
                // Another request moved this transaction on first: replay against what it left.
                break
            }
        }
        return .failed(step: lastStep, reason: .corruptedTicket)
    }

    /// Stores the decision's effects in an order that never hands out what was not stored; `false` on a
    /// concurrent change of the transaction.
    private func apply(_ decision: LoginDecision) async throws -> Bool {
        switch decision.transaction {
        case .none:
            break
        case .insert(let transaction):
            try await self.transactions.insert(transaction)
        case .update(let transaction, let expectedVersion):
            guard try await self.transactions.update(transaction, expectedVersion: expectedVersion) else { return false }
        case .delete(let id, let expectedVersion):
            guard try await self.transactions.delete(id: id, expectedVersion: expectedVersion) else { return false }
        }
        if let ticket = decision.ticket {
            try await self.tickets.insert(ticket)
        }
        if let issued = decision.accessToken {
            try await self.accessTokens.insert(issued.record)
        }
        if let message = decision.message {
            do {
                try await self.sender.send(message)
            } catch {
                throw LoginServiceError.deliveryFailed(channel: message.channel)
            }
        }
        return true
    }
}

/// Failures of the login flow that are not an answer of the contract.
public enum LoginServiceError: Error, Equatable {
    /// The verification code could not be handed to its channel.
    case deliveryFailed(channel: DeliveryChannel)
}
