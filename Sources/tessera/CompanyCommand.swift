import ArgumentParser
import Foundation
import TesseraCore

/// `tessera company …`: tenants and their security policy.
struct CompanyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "company",
        abstract: "Manage companies (tenants) and their policies.",
        subcommands: [Create.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a company.")

        @OptionGroup var store: StoreOptions

        @Argument(help: "The company's name, unique.")
        var name: String

        @Flag(name: .customLong("require-2fa"), help: "Every user must pass a verification code.")
        var requireTwoFactor = false

        @Flag(help: "Every user must pass the security PIN step.")
        var requirePin = false

        @Option(help: "Access token lifetime in seconds (1 to 86400; default 86400).")
        var tokenTtl: Int = CompanyPolicy.maximumTokenLifetime

        @Option(help: "Days a password lasts before the user must change it at login (default: no limit).")
        var passwordMaxAge: Int?

        @Option(help: "The shortest new password, in characters (8 to 128).")
        var passwordMinLength = PasswordPolicy().minimumLength

        @Flag(help: "Keep a user's other sessions when they change their password or PIN (default: end them).")
        var keepSessionsOnChange = false

        @Option(help: "Failures of one account from one address, within 15 minutes, that throttle that pair.")
        var maxFailuresPerDevice = LockoutPolicy().pairFailureLimit

        @Option(help: "Failures of one account, within an hour, that lock it for an hour (NIST caps this at 100).")
        var maxFailuresPerAccount = LockoutPolicy().accountFailureLimit

        @Option(help: "Failures from one address across accounts, within an hour, before /token answers 429.")
        var maxFailuresPerAddress = LockoutPolicy().addressFailureLimit

        func run() async throws {
            let name = self.name.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.count <= 200 else { throw CommandError("a company needs a name of 1 to 200 characters") }
            guard (1...CompanyPolicy.maximumTokenLifetime).contains(self.tokenTtl) else {
                throw CommandError("--token-ttl must be between 1 and \(CompanyPolicy.maximumTokenLifetime) seconds")
            }
            for (flag, value) in [
                ("--max-failures-per-device", self.maxFailuresPerDevice),
                ("--max-failures-per-account", self.maxFailuresPerAccount),
                ("--max-failures-per-address", self.maxFailuresPerAddress),
            ] where !(1...100_000).contains(value) {
                throw CommandError("\(flag) must be between 1 and 100000")
            }
            if let days = self.passwordMaxAge, !(1...3650).contains(days) {
                throw CommandError("--password-max-age must be between 1 and 3650 days")
            }
            guard (8...PasswordPolicy.maximumLength).contains(self.passwordMinLength) else {
                throw CommandError("--password-min-length must be between 8 and \(PasswordPolicy.maximumLength)")
            }
            var lockout = LockoutPolicy()
            lockout.pairFailureLimit = self.maxFailuresPerDevice
            lockout.accountFailureLimit = self.maxFailuresPerAccount
            lockout.addressFailureLimit = self.maxFailuresPerAddress
            let policy = CompanyPolicy(
                requireTwoFactor: self.requireTwoFactor,
                requirePin: self.requirePin,
                tokenLifetime: self.tokenTtl,
                lockout: lockout,
                passwords: PasswordPolicy(
                    minimumLength: self.passwordMinLength,
                    maximumAgeDays: self.passwordMaxAge,
                    revokeSessionsOnChange: !self.keepSessionsOnChange
                )
            )
            let company = try await self.store.withDatabase { database in
                let company = try await database.directory.createCompany(name: name, policy: policy, now: Date())
                try await database.audit.record(.operator(.companyCreated, companyID: company.id))
                return company
            }
            print("Created company \"\(company.name)\" (id \(company.id)): \(describe(company.policy))")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List companies.")

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let companies = try await self.store.withDatabase { try await $0.directory.companies() }
            for company in companies {
                print("\(company.id)\t\(company.name)\t\(describe(company.policy))")
            }
        }
    }
}

func describe(_ policy: CompanyPolicy) -> String {
    "2-FA \(policy.requireTwoFactor ? "required" : "per user"), PIN \(policy.requirePin ? "required" : "not required"), "
        + "tokens live \(policy.tokenLifetime) s, lockout after \(policy.lockout.pairFailureLimit) per device / "
        + "\(policy.lockout.accountFailureLimit) per account / \(policy.lockout.addressFailureLimit) per address, "
        + "passwords of \(policy.passwords.minimumLength)+ characters"
        + (policy.passwords.maximumAgeDays.map { " lasting \($0) days" } ?? "")
}

extension AuditEvent {
    /// An operator's action through the CLI.
    static func `operator`(_ kind: AuditKind, companyID: Int64? = nil, userID: Int64? = nil, appKeyID: Int64? = nil) -> AuditEvent {
        AuditEvent(at: Date(), kind: kind, companyID: companyID, userID: userID, appKeyID: appKeyID, outcome: "success", actor: "cli")
    }
}
