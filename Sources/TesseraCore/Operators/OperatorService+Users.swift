import Foundation

/// A user an operator is about to create, as typed: the service checks and normalises every field.
public struct UserDraft: Sendable {
    public var company: String
    public var username: String
    public var password: String
    public var email: String?
    public var phone: String?
    public var twoFactor: TwoFactorMethod
    public var pin: String?
    public var secretQuestion: String?
    public var secretAnswer: String?
    public var profile: UserProfile

    public init(
        company: String,
        username: String,
        password: String,
        email: String? = nil,
        phone: String? = nil,
        twoFactor: TwoFactorMethod = .none,
        pin: String? = nil,
        secretQuestion: String? = nil,
        secretAnswer: String? = nil,
        profile: UserProfile = UserProfile()
    ) {
        self.company = company
        self.username = username
        self.password = password
        self.email = email
        self.phone = phone
        self.twoFactor = twoFactor
        self.pin = pin
        self.secretQuestion = secretQuestion
        self.secretAnswer = secretAnswer
        self.profile = profile
    }
}

/// A user by name, and by company when several have a user of that name.
public struct UserReference: Sendable, Equatable {
    public var username: String
    public var company: String?

    public init(username: String, company: String? = nil) {
        self.username = username
        self.company = company
    }
}

extension TwoFactorMethod {
    /// The method an operator names.
    public static func parse(_ text: String) throws(OperatorError) -> TwoFactorMethod {
        guard let method = TwoFactorMethod(rawValue: text) else {
            throw OperatorError(.invalid, "\(.twoFactor) must be none, email, sms or totp")
        }
        return method
    }
}

extension OperatorService {
    /// The company's users.
    public func users(company name: String, by actor: OperatorActor) async throws -> [User] {
        try actor.require(.viewer)
        let company = try await self.requireCompany(name)
        return try await self.directory.users(companyID: company.id)
    }

    /// The user a reference names, with their company.
    public func user(_ reference: UserReference, by actor: OperatorActor) async throws -> (Company, User) {
        try actor.require(.viewer)
        return try await self.resolve(reference)
    }

    /// Creates a user: the password meets the company's rules and is hashed at the server's cost; a PIN and a
    /// secret answer are stored as keyed digests; an authenticator user gets a secret at once, returned once.
    public func createUser(_ draft: UserDraft, by actor: OperatorActor) async throws -> (User, AuthenticatorEnrolment?) {
        try actor.require(.admin)
        guard Username.isAcceptable(draft.username) else {
            throw OperatorError(.invalid, "a \(.username) needs 1 to \(Username.maximumLength) bytes and no control characters")
        }
        guard !draft.password.isEmpty else { throw OperatorError(.invalid, "the \(.password) is empty") }
        let email = try draft.email.map(ContactAddress.email)
        let phone = try draft.phone.map(ContactAddress.phone)
        switch draft.twoFactor {
        case .email where email == nil: throw OperatorError(.invalid, "\(.twoFactor) email needs \(.email)")
        case .sms where phone == nil: throw OperatorError(.invalid, "\(.twoFactor) sms needs \(.phone)")
        default: break
        }
        if let pin = draft.pin, !Pin.isAcceptable(pin) { throw OperatorError(.invalid, "a \(.pin) is 4 to 12 digits") }
        let question = try Self.secretQuestion(draft.secretQuestion, answer: draft.secretAnswer)

        let company = try await self.requireCompany(draft.company)
        if company.policy.requireTwoFactor && draft.twoFactor != .totp && email == nil && phone == nil {
            throw OperatorError(
                .invalid,
                "company \"\(company.name)\" requires 2-FA: give the user \(.email), \(.phone) or \(.twoFactor) totp"
            )
        }
        let problems = PasswordRules.problems(draft.password, confirmation: nil, username: draft.username, policy: company.policy.passwords)
        guard problems.isEmpty else {
            throw OperatorError(.invalid, "\(.password): \(problems.map { $0.message(company.policy.passwords) }.joined(separator: " "))")
        }
        // The key before anything is stored: a user must not be left half made when it cannot be had.
        let keyring = draft.pin != nil || question != nil || draft.twoFactor == .totp ? try self.keyring() : nil
        let hash = try await self.hasher.hash(draft.password)
        let user: User
        do {
            user = try await self.directory.createUser(
                NewUser(
                    companyID: company.id,
                    username: draft.username,
                    passwordHash: hash,
                    email: email,
                    phone: phone,
                    // An authenticator user is one from the start: should storing the secret below fail, the
                    // login fails closed (no secret, no second factor) instead of asking for the password only.
                    twoFactor: draft.twoFactor,
                    profile: draft.profile
                ),
                now: self.now
            )
        } catch let error as DuplicateName {
            throw OperatorError(.conflict, "\(error.what) already exists")
        }
        if let pin = draft.pin, let keyring {
            try await self.directory.setPinDigest(userID: user.id, digest: keyring.pinDigest(pin, userID: user.id))
        }
        if let (question, answer) = question, let keyring {
            try await self.directory.setSecretQuestion(
                userID: user.id,
                question: question,
                answerDigest: keyring.secretAnswerDigest(answer, userID: user.id)
            )
        }
        var enrolment: AuthenticatorEnrolment?
        if draft.twoFactor == .totp, let keyring {
            enrolment = try await self.authenticators(keyring).enrol(userID: user.id, issuer: company.name, account: user.username)
        }
        try await self.record(.userCreated, by: actor, companyID: company.id, userID: user.id)
        return (user, enrolment)
    }

    /// Disables (logins fail, tokens stop working) or enables a user. Enabling also lifts a user expiry: the
    /// account counts as used now.
    public func setDisabled(_ reference: UserReference, _ disabled: Bool, by actor: OperatorActor) async throws -> User {
        try actor.require(.support)
        let (company, user) = try await self.resolveForSupport(reference, by: actor)
        try await self.directory.setUserDisabled(id: user.id, at: disabled ? self.now : nil)
        if !disabled { try await self.directory.recordSignIn(userID: user.id, at: self.now) }
        try await self.record(disabled ? .userDisabled : .userEnabled, by: actor, companyID: company.id, userID: user.id)
        return user
    }

    /// Lifts the account's lock and forgets its failures from every address; `false` when there was nothing to lift.
    public func unlock(_ reference: UserReference, by actor: OperatorActor) async throws -> Bool {
        try actor.require(.support)
        let (company, user) = try await self.resolveForSupport(reference, by: actor)
        let lifted = try await self.stores.attempts.unlock(companyID: company.id, usernameKey: user.usernameKey)
        if lifted { try await self.record(.accountUnlocked, by: actor, companyID: company.id, userID: user.id) }
        return lifted
    }

    /// Makes the next login change the password.
    public func expirePassword(_ reference: UserReference, by actor: OperatorActor) async throws {
        try actor.require(.support)
        let (company, user) = try await self.resolveForSupport(reference, by: actor)
        try await self.directory.expirePassword(userID: user.id)
        try await self.record(.passwordExpired, by: actor, companyID: company.id, userID: user.id)
    }

    /// A new authenticator secret in force at once (a lost phone, a changed server key): the old one stops working.
    public func enrolAuthenticator(_ reference: UserReference, by actor: OperatorActor) async throws -> AuthenticatorEnrolment {
        try actor.require(.support)
        let (company, user) = try await self.resolveForSupport(reference, by: actor)
        let enrolment = try await self.authenticators(try self.keyring()).enrol(userID: user.id, issuer: company.name, account: user.username)
        try await self.record(.authenticatorEnrolled, by: actor, companyID: company.id, userID: user.id)
        return enrolment
    }

    // MARK: Helpers

    func authenticators(_ keyring: KeyedDigester) -> AuthenticatorService {
        AuthenticatorService(directory: self.directory, audit: self.stores.audit, secrets: keyring, clock: self.clock)
    }

    /// The user `reference` names: in its company when given, else in the only company that has one by that name.
    func resolve(_ reference: UserReference) async throws -> (Company, User) {
        let companies: [Company]
        if let name = reference.company {
            companies = [try await self.requireCompany(name)]
        } else {
            companies = try await self.directory.companies()
        }
        var found: [(Company, User)] = []
        for company in companies {
            if let user = try await self.directory.user(companyID: company.id, usernameKey: Username.key(reference.username)) {
                found.append((company, user))
            }
        }
        guard let first = found.first else { throw OperatorError(.notFound, "no user is named \"\(reference.username)\"") }
        guard found.count == 1 else {
            throw OperatorError(.ambiguous, "several companies have a user \"\(reference.username)\": name one with \(.company)")
        }
        return first
    }

    /// A secret question and its answer, given together or not at all.
    static func secretQuestion(_ question: String?, answer: String?) throws(OperatorError) -> (String, String)? {
        switch (question, answer) {
        case (nil, nil):
            return nil
        case (.some(let question), .some(let answer)):
            let trimmed = question.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, trimmed.count <= 200, !answer.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw OperatorError(
                    .invalid,
                    "a \(.secretQuestion) and its \(.secretAnswer) must not be empty (question: at most 200 characters)"
                )
            }
            return (trimmed, answer)
        default:
            throw OperatorError(.invalid, "give \(.secretQuestion) and \(.secretAnswer) together")
        }
    }
}
