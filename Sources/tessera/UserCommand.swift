import ArgumentParser
import Foundation
import TesseraCore

/// `tessera user …`: traders' accounts.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage users.",
        subcommands: [
            Create.self, List.self, Show.self, Disable.self, Enable.self, Unlock.self, ExpirePassword.self, EnrolTOTP.self,
            Devices.self, ForgetDevices.self,
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

        @Option(help: "bcrypt cost to hash the password at, 10 to 16 (default: the cost the server last started with, else 10).")
        var bcryptCost: UInt8?

        func validate() throws {
            if let cost = self.bcryptCost, !(10...16).contains(cost) {
                throw ValidationError("--bcrypt-cost must be between 10 and 16")
            }
        }

        func run() async throws {
            let password = try self.readPassword()
            let (user, enrolment) = try await self.store.withOperators(bcryptCost: self.bcryptCost) { operators in
                try await operators.createUser(
                    UserDraft(
                        company: self.company,
                        username: self.username,
                        password: password,
                        email: self.email,
                        phone: self.phone,
                        twoFactor: try TwoFactorMethod.parse(self.twoFactor),
                        pin: self.pin,
                        secretQuestion: self.secretQuestion,
                        secretAnswer: self.secretAnswer,
                        profile: UserProfile(
                            firstName: self.firstName,
                            middleName: self.middleName,
                            lastName: self.lastName,
                            salutation: self.salutation,
                            suffix: self.suffix
                        )
                    ),
                    by: .cli
                )
            }
            print("Created user \"\(user.username)\" (id \(user.id)) in company \"\(self.company)\".")
            if let enrolment { enrolment.printOnce() }
        }

        private func readPassword() throws -> String {
            try PasswordInput.read(self.password, fromStdin: self.passwordStdin)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a company's users.")

        @OptionGroup var store: StoreOptions

        @Option(help: "The company.")
        var company: String

        func run() async throws {
            let users = try await self.store.withOperators { try await $0.users(company: self.company, by: .cli) }
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
            let (company, user) = try await self.store.withOperators { try await $0.user(self.selection.reference, by: .cli) }
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
            let user = try await self.store.withOperators { try await $0.setDisabled(self.selection.reference, true, by: .cli) }
            print("Disabled user \"\(user.username)\".")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enable a disabled user again; also lifts a user expiry (the account counts as used now)."
        )

        @OptionGroup var store: StoreOptions

        @OptionGroup var selection: UserSelection

        func run() async throws {
            let user = try await self.store.withOperators { try await $0.setDisabled(self.selection.reference, false, by: .cli) }
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
            let lifted = try await self.store.withOperators { try await $0.unlock(self.selection.reference, by: .cli) }
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
            try await self.store.withOperators { try await $0.expirePassword(self.selection.reference, by: .cli) }
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
            let enrolment = try await self.store.withOperators { try await $0.enrolAuthenticator(self.selection.reference, by: .cli) }
            print("\"\(self.selection.username)\" now logs in with an authenticator code; the previous secret no longer works.")
            enrolment.printOnce()
        }
    }
}

extension UserCommand {
    struct Devices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the user's remembered devices, newest first.")

        @OptionGroup var store: StoreOptions

        @OptionGroup var selection: UserSelection

        func run() async throws {
            let devices = try await self.store.withOperators { try await $0.trustedDevices(of: self.selection.reference, by: .cli) }
            if devices.isEmpty { print("\"\(self.selection.username)\" has no remembered device.") }
            for device in devices {
                let used = device.lastUsedAt.map { $0.formatted(.iso8601) } ?? "never"
                print("\(device.id)\t\(device.label)\t\(device.address ?? "-")\tremembered \(device.createdAt.formatted(.iso8601))\tused \(used)")
            }
        }
    }

    struct ForgetDevices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "forget-devices",
            abstract: "Forget the user's remembered devices (or one, with --id): their next login asks for the code again."
        )

        @OptionGroup var store: StoreOptions

        @OptionGroup var selection: UserSelection

        @Option(help: "The id of one device, from `user devices`.")
        var id: String?

        func run() async throws {
            let count = try await self.store.withOperators {
                try await $0.forgetTrustedDevices(of: self.selection.reference, id: self.id, by: .cli)
            }
            print("Forgot \(count) remembered device\(count == 1 ? "" : "s") of \"\(self.selection.username)\".")
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

/// A new password from `--password` or `--password-stdin`, exactly one of them.
enum PasswordInput {
    static func read(_ given: String?, fromStdin: Bool) throws -> String {
        let password: String
        switch (given, fromStdin) {
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

/// The user a command acts on: a username, and the company when several have a user by that name.
struct UserSelection: ParsableArguments {
    @Argument(help: "The username.")
    var username: String

    @Option(help: "The company, when several have a user by this name.")
    var company: String?

    var reference: UserReference { UserReference(username: self.username, company: self.company) }
}
