import ArgumentParser
import Foundation
import TesseraCore
import TesseraServer

/// `tessera user …`: traders' accounts.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage users.",
        subcommands: [
            Create.self, List.self, Show.self, Disable.self, Enable.self, Unlock.self, ExpirePassword.self, EnrolTOTP.self,
        ]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user.")

        @OptionGroup var store: StoreOptions

        @Option(help: "The company the user belongs to.")
        var company: String

        @Option(help: "The login name, unique in the company (compared case-insensitively, in Unicode NFC).")
        var username: String

        @Option(help: "The password. Prefer --password-stdin: arguments show up in process lists.")
        var password: String?

        @Flag(help: "Read the password from the first line of standard input.")
        var passwordStdin = false

        @Option(help: "Email address (for email codes).")
        var email: String?

        @Option(help: "Phone number in international form, e.g. +15551234567 (for SMS codes).")
        var phone: String?

        @Option(help: "Second factor: none, email, sms or totp (an authenticator app; prints its otpauth:// URL once).")
        var twoFactor: String = "none"

        @Option(help: "Security PIN, 4 to 12 digits.")
        var pin: String?

        @Option(help: "A secret question for password reset (with --secret-answer).")
        var secretQuestion: String?

        @Option(help: "The answer to the secret question; case and spaces do not count. Stored only as a keyed hash.")
        var secretAnswer: String?

        @Option var firstName: String?
        @Option var middleName: String?
        @Option var lastName: String?
        @Option var salutation: String?
        @Option var suffix: String?

        func run() async throws {
            guard Username.isAcceptable(self.username) else {
                throw CommandError("a username needs 1 to \(Username.maximumLength) bytes and no control characters")
            }
            let password = try self.readPassword()
            let email = try self.email.map(Contact.email)
            let phone = try self.phone.map(Contact.phone)
            guard let method = TwoFactorMethod(rawValue: self.twoFactor) else {
                throw CommandError("--two-factor must be none, email, sms or totp")
            }
            if method == .email && email == nil { throw CommandError("--two-factor email needs --email") }
            if method == .sms && phone == nil { throw CommandError("--two-factor sms needs --phone") }
            if let pin = self.pin, !Pin.isAcceptable(pin) { throw CommandError("a PIN is 4 to 12 digits") }
            switch (self.secretQuestion, self.secretAnswer) {
            case (nil, nil): break
            case (.some(let question), .some(let answer)):
                guard !question.trimmingCharacters(in: .whitespaces).isEmpty, question.count <= 200,
                    !answer.trimmingCharacters(in: .whitespaces).isEmpty
                else { throw CommandError("a secret question and its answer must not be empty (question: at most 200 characters)") }
            default: throw CommandError("give --secret-question and --secret-answer together")
            }
            let key = try self.store.serverKey()

            let (user, enrolment) = try await self.store.withDatabase { database in
                let company = try await database.directory.requireCompany(self.company)
                if company.policy.requireTwoFactor && method != .totp && email == nil && phone == nil {
                    throw CommandError("company \"\(company.name)\" requires 2-FA: give the user --email, --phone or --two-factor totp")
                }
                let problems = PasswordRules.problems(
                    password,
                    confirmation: nil,
                    username: self.username,
                    policy: company.policy.passwords
                )
                guard problems.isEmpty else {
                    throw CommandError(problems.map { $0.message(company.policy.passwords) }.joined(separator: " "))
                }
                let hash = try await BcryptPasswordHasher().hash(password)
                let user = try await database.directory.createUser(
                    NewUser(
                        companyID: company.id,
                        username: self.username,
                        passwordHash: hash,
                        email: email,
                        phone: phone,
                        // An authenticator user is one from the start: should storing the secret below fail, the
                        // login fails closed (no secret, no second factor) instead of asking for the password only.
                        twoFactor: method,
                        profile: UserProfile(
                            firstName: self.firstName,
                            middleName: self.middleName,
                            lastName: self.lastName,
                            salutation: self.salutation,
                            suffix: self.suffix
                        )
                    ),
                    now: Date()
                )
                if let pin = self.pin {
                    try await database.directory.setPinDigest(
                        userID: user.id,
                        digest: KeyedDigester(key: key).pinDigest(pin, userID: user.id)
                    )
                }
                if let question = self.secretQuestion, let answer = self.secretAnswer {
                    try await database.directory.setSecretQuestion(
                        userID: user.id,
                        question: question.trimmingCharacters(in: .whitespaces),
                        answerDigest: KeyedDigester(key: key).secretAnswerDigest(answer, userID: user.id)
                    )
                }
                var enrolment: AuthenticatorEnrolment?
                if method == .totp {
                    enrolment = try await AuthenticatorService(
                        directory: database.directory,
                        audit: database.audit,
                        secrets: KeyedDigester(key: key),
                        clock: SystemClock()
                    ).enrol(userID: user.id, issuer: company.name, account: user.username)
                }
                try await database.audit.record(.operator(.userCreated, companyID: company.id, userID: user.id))
                return (user, enrolment)
            }
            print("Created user \"\(user.username)\" (id \(user.id)) in company \"\(self.company)\".")
            if let enrolment { enrolment.printOnce() }
        }

        private func readPassword() throws -> String {
            let password: String
            switch (self.password, self.passwordStdin) {
            case (.some, true): throw CommandError("give --password or --password-stdin, not both")
            case (nil, false): throw CommandError("give the password with --password-stdin (or --password)")
            case (.some(let given), false): password = given
            case (nil, true):
                guard let line = readLine(strippingNewline: true) else {
                    throw CommandError("--password-stdin: standard input is empty")
                }
                password = line.hasSuffix("\r") ? String(line.dropLast()) : line
            }
            guard !password.isEmpty else { throw CommandError("the password is empty") }
            return password
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a company's users.")

        @OptionGroup var store: StoreOptions

        @Option(help: "The company.")
        var company: String

        func run() async throws {
            let users = try await self.store.withDatabase { database in
                let company = try await database.directory.requireCompany(self.company)
                return try await database.directory.users(companyID: company.id)
            }
            for user in users {
                print(
                    "\(user.id)\t\(user.username)\t\(user.email ?? "-")\t\(user.phone ?? "-")\t2fa=\(user.twoFactor.rawValue)\t"
                        + (user.isDisabled ? "disabled" : "active")
                )
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one user (never a secret).")

        @OptionGroup var store: StoreOptions

        @OptionGroup var selection: UserSelection

        func run() async throws {
            let (company, user) = try await self.store.withDatabase {
                try await self.selection.resolve(in: $0.directory)
            }
            let rows: [(String, String)] = [
                ("id", "\(user.id)"),
                ("username", user.username),
                ("company", company.name),
                ("email", user.email ?? "-"),
                ("phone", user.phone ?? "-"),
                ("two-factor", user.twoFactor.rawValue),
                ("pin", user.pinDigest == nil ? "not set" : "set"),
                ("password", user.passwordExpired ? "expired by an operator" : "changed \(user.passwordChangedAt.formatted(.iso8601))"),
                ("secret q.", user.secretQuestion ?? "-"),
                ("first name", user.profile.firstName ?? "-"),
                ("middle name", user.profile.middleName ?? "-"),
                ("last name", user.profile.lastName ?? "-"),
                ("added", user.addedAt.formatted(.iso8601)),
                ("status", user.disabledAt.map { "disabled \($0.formatted(.iso8601))" } ?? "active"),
            ]
            for (label, value) in rows {
                print("\(label):".padding(toLength: 13, withPad: " ", startingAt: 0) + value)
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user: logins fail and their tokens stop working.")

        @OptionGroup var store: StoreOptions

        @OptionGroup var selection: UserSelection

        func run() async throws {
            let user = try await self.store.withDatabase { database in
                let (company, user) = try await self.selection.resolve(in: database.directory)
                try await database.directory.setUserDisabled(id: user.id, at: Date())
                try await database.audit.record(.operator(.userDisabled, companyID: company.id, userID: user.id))
                return user
            }
            print("Disabled user \"\(user.username)\".")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user again.")

        @OptionGroup var store: StoreOptions

        @OptionGroup var selection: UserSelection

        func run() async throws {
            let user = try await self.store.withDatabase { database in
                let (company, user) = try await self.selection.resolve(in: database.directory)
                try await database.directory.setUserDisabled(id: user.id, at: nil)
                try await database.audit.record(.operator(.userEnabled, companyID: company.id, userID: user.id))
                return user
            }
            print("Enabled user \"\(user.username)\".")
        }
    }
}

extension UserCommand {
    struct Unlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lift a lockout at once: the account lock and every throttled device of the user."
        )

        @OptionGroup var store: StoreOptions

        @OptionGroup var selection: UserSelection

        func run() async throws {
            let lifted = try await self.store.withDatabase { database in
                let (company, user) = try await self.selection.resolve(in: database.directory)
                let lifted = try await database.attempts.unlock(companyID: company.id, usernameKey: user.usernameKey)
                if lifted {
                    try await database.audit.record(.operator(.accountUnlocked, companyID: company.id, userID: user.id))
                }
                return lifted
            }
            print(lifted ? "Unlocked user \"\(self.selection.username)\"." : "User \"\(self.selection.username)\" was not locked or throttled.")
        }
    }
}

extension UserCommand {
    struct ExpirePassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "expire-password",
            abstract: "Make the user change their password at the next login."
        )

        @OptionGroup var store: StoreOptions

        @OptionGroup var selection: UserSelection

        func run() async throws {
            try await self.store.withDatabase { database in
                let (company, user) = try await self.selection.resolve(in: database.directory)
                try await database.directory.expirePassword(userID: user.id)
                try await database.audit.record(.operator(.passwordExpired, companyID: company.id, userID: user.id))
            }
            print("The password of \"\(self.selection.username)\" has expired: the next login must change it.")
        }
    }
}

extension UserCommand {
    struct EnrolTOTP: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "enrol-totp",
            abstract: "Give the user a new authenticator secret (a lost phone, a changed server key); the old one stops working."
        )

        @OptionGroup var store: StoreOptions

        @OptionGroup var selection: UserSelection

        func run() async throws {
            let key = try self.store.serverKey()
            let enrolment = try await self.store.withDatabase { database in
                let (company, user) = try await self.selection.resolve(in: database.directory)
                let enrolment = try await AuthenticatorService(
                    directory: database.directory,
                    audit: database.audit,
                    secrets: KeyedDigester(key: key),
                    clock: SystemClock()
                ).enrol(userID: user.id, issuer: company.name, account: user.username)
                try await database.audit.record(.operator(.authenticatorEnrolled, companyID: company.id, userID: user.id))
                return enrolment
            }
            print("\"\(self.selection.username)\" now logs in with an authenticator code; the previous secret no longer works.")
            enrolment.printOnce()
        }
    }
}

extension AuthenticatorEnrolment {
    /// Shown this once: Tessera keeps the secret only encrypted and never prints it again.
    func printOnce() {
        print("Authenticator secret (shown once; give it to the user over a safe channel):")
        print("  secret: \(self.secret)")
        print("  url:    \(self.url)")
    }
}

/// Validation of contact details an operator types.
enum Contact {
    static func email(_ text: String) throws -> String {
        let email = text.trimmingCharacters(in: .whitespaces)
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
            !parts[1].hasSuffix("."), email.count <= 254,
            !email.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 })
        else { throw CommandError("\"\(text)\" is not an email address") }
        return email
    }

    static func phone(_ text: String) throws -> String {
        let compact = text.filter { !" -().".contains($0) }
        let digits = compact.hasPrefix("+") ? compact.dropFirst() : Substring(compact)
        guard (7...15).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw CommandError("\"\(text)\" is not a phone number (use the international form, e.g. +15551234567)")
        }
        return compact.hasPrefix("+") ? compact : "+" + compact
    }
}

/// The user a command acts on: a username, and the company when several have a user by that name.
struct UserSelection: ParsableArguments {
    @Argument(help: "The username.")
    var username: String

    @Option(help: "The company, when several have a user by this name.")
    var company: String?

    func resolve(in directory: any DirectoryStore) async throws -> (Company, User) {
        try await directory.requireUser(self.username, companyName: self.company)
    }
}
