import ArgumentParser
import Foundation
import TesseraCore

/// `tessera company …`: tenants and their security policy.
struct CompanyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "company",
        abstract: "Manage companies (tenants) and their policies.",
        subcommands: [Create.self, Update.self, Show.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a company.")

        @OptionGroup var store: StoreOptions

        @Argument(help: "The company's name, unique.")
        var name: String

        @OptionGroup var policy: PolicyOptions

        func run() async throws {
            let company = try await self.store.withOperators { operators in
                var policy = CompanyPolicy()
                try self.policy.apply(to: &policy)
                return try await operators.createCompany(name: self.name, policy: policy, by: .cli)
            }
            print("Created company \"\(company.name)\" (id \(company.id)): \(describe(company.policy))")
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a company's policy: only the options given change. Running nodes apply it within seconds."
        )

        @OptionGroup var store: StoreOptions

        @Argument(help: "The company's name.")
        var name: String

        @OptionGroup var policy: PolicyOptions

        func run() async throws {
            let company = try await self.store.withOperators { operators in
                try await operators.updateCompany(named: self.name, by: .cli) { try self.policy.apply(to: &$0) }
            }
            print("Updated company \"\(company.name)\": \(describe(company.policy))")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a company's policy.")

        @OptionGroup var store: StoreOptions

        @Argument(help: "The company's name.")
        var name: String

        func run() async throws {
            let company = try await self.store.withOperators { try await $0.company(named: self.name, by: .cli) }
            let policy = company.policy
            let rows: [(String, String)] = [
                ("id", "\(company.id)"),
                ("name", company.name),
                ("2-FA", policy.requireTwoFactor ? "required" : "per user"),
                ("PIN", policy.requirePin ? "required" : "not required"),
                ("token TTL", "\(policy.tokenLifetime) s"),
                ("lockout", "\(policy.lockout.pairFailureLimit) per device / \(policy.lockout.accountFailureLimit) per account"),
                ("throttle", "\(policy.lockout.addressFailureLimit) failures per address"),
                ("passwords", "\(policy.passwords.minimumLength)+ characters"),
                ("max age", policy.passwords.maximumAgeDays.map { "\($0) days" } ?? "no limit"),
                ("on change", policy.passwords.revokeSessionsOnChange ? "end other sessions" : "keep other sessions"),
                ("classes", policy.passwords.requiredClasses == 0 ? "any" : "at least \(policy.passwords.requiredClasses) of 4"),
                ("history", policy.passwords.history == 0 ? "off" : "differ from the last \(policy.passwords.history)"),
                ("throttled", policy.throttleAnswer == .etna ? "401 Too many login requests (etna)" : "429 Too many attempts"),
                ("browsers", policy.browserOrigins.isEmpty ? "none" : policy.browserOrigins.joined(separator: " ")),
                (
                    "refresh",
                    policy.refresh.map {
                        "tokens live \(TimeSpan.describe($0.lifetime)), sessions at most \(TimeSpan.describe($0.sessionMaxAge))"
                    } ?? "off"
                ),
                ("step-up", policy.recentAuthentication.map { "sign-in within \($0) minutes" } ?? "off"),
                ("expiry", policy.userExpiryDays.map { "accounts unused for \($0) days" } ?? "off"),
                ("new device", policy.devices.newDeviceNotices ? "notify the user" : "off"),
                ("remember", policy.devices.trustedDeviceDays.map { "devices for \($0) days" } ?? "off"),
            ]
            for (label, value) in rows {
                print("\(label):".padding(toLength: 12, withPad: " ", startingAt: 0) + value)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List companies.")

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let companies = try await self.store.withOperators { try await $0.companies(by: .cli) }
            for company in companies {
                print("\(company.id)\t\(company.name)\t\(describe(company.policy))")
            }
        }
    }
}

/// The policy flags `company create` and `company update` share. Create applies them over the defaults; update
/// over the company's current policy, so a flag left out keeps its value.
struct PolicyOptions: ParsableArguments {
    @Flag(name: .customLong("require-2fa"), inversion: .prefixedNo, help: "Every user must pass a verification code.")
    var requireTwoFactor: Bool?

    @Flag(inversion: .prefixedNo, help: "Every user must pass the security PIN step.")
    var requirePin: Bool?

    @Option(help: "Access token lifetime in seconds (1 to 86400; default 86400).")
    var tokenTtl: Int?

    @Option(help: "Days a password lasts before the user must change it at login (1 to 3650; 0: no limit, the default).")
    var passwordMaxAge: Int?

    @Option(help: "The shortest new password, in characters (8 to 128; default 12).")
    var passwordMinLength: Int?

    @Flag(inversion: .prefixedNo, help: "Keep a user's other sessions when they change their password or PIN (default: end them).")
    var keepSessionsOnChange: Bool?

    @Option(help: "How many of lower-case, upper-case, digits and symbols a new password must mix (0 to 4; default 0, as NIST advises).")
    var passwordClasses: Int?

    @Option(help: "How many earlier passwords a new one must differ from, besides the current one (0 to 24; default 0).")
    var passwordHistory: Int?

    @Option(help: "Failures of one account from one address, within 15 minutes, that throttle that pair (default 10).")
    var maxFailuresPerDevice: Int?

    @Option(help: "Failures of one account, within an hour, that lock it for an hour (NIST caps this at 100; the default).")
    var maxFailuresPerAccount: Int?

    @Option(help: "Failures from one address across accounts, within an hour, before /token answers 429 (default 100).")
    var maxFailuresPerAddress: Int?

    @Option(help: "How a throttled /token is answered: 429 (the default) or etna (ETNA's 401 \"Too many login requests\").")
    var throttleAnswer: ThrottleAnswer?

    @Option(
        name: .customLong("cors-origin"),
        help: "A web origin (https://trade.example.com) whose pages may call the API from a browser; repeat for more. On update, replaces the list."
    )
    var browserOrigins: [String] = []

    @Flag(name: .customLong("no-cors-origins"), help: "Allow no browser origin (on update: clear the list).")
    var clearBrowserOrigins = false

    @Flag(inversion: .prefixedNo, help: "Answer each login with a RefreshToken too, exchanged once at POST /token (default: off, ETNA's answer).")
    var refreshTokens: Bool?

    @Option(help: "How long a refresh token can be used: seconds, or a number with m, h or d (1m to 365d; default 30d).")
    var refreshTtl: TimeSpan?

    @Option(help: "How long after the login refreshes may carry a session (at least --refresh-ttl, at most 365d; default 90d).")
    var sessionMaxAge: TimeSpan?

    @Flag(
        inversion: .prefixedNo,
        help: "Ask for a recent sign-in (re-authentication at POST /token) before enrolling an authenticator (default: off; on: 10 minutes)."
    )
    var stepUp: Bool?

    @Option(help: "Minutes a sign-in counts as recent for step-up (1 to 1440; turns step-up on).")
    var recentAuth: Int?

    @Option(help: "Days an account may go without a sign-in before it cannot sign in until enabled again (1 to 3650; 0: never, the default).")
    var userExpiryDays: Int?

    @Flag(
        inversion: .prefixedNo,
        help: "Tell users (and audit login.new_device) when they sign in from a device not seen for 90 days (default: off)."
    )
    var newDeviceNotices: Bool?

    @Option(help: "Days a DeviceToken lets a remembered device skip the verification code (1 to 365; 0: no remembered devices, the default).")
    var trustedDeviceDays: Int?

    func apply(to policy: inout CompanyPolicy) throws {
        if let value = self.requireTwoFactor { policy.requireTwoFactor = value }
        if let value = self.requirePin { policy.requirePin = value }
        if let value = self.tokenTtl { policy.tokenLifetime = value }
        if let value = self.passwordMaxAge { policy.passwords.maximumAgeDays = value == 0 ? nil : value }
        if let value = self.passwordMinLength { policy.passwords.minimumLength = value }
        if let value = self.keepSessionsOnChange { policy.passwords.revokeSessionsOnChange = !value }
        if let value = self.passwordClasses { policy.passwords.requiredClasses = value }
        if let value = self.passwordHistory { policy.passwords.history = value }
        if let value = self.maxFailuresPerDevice { policy.lockout.pairFailureLimit = value }
        if let value = self.maxFailuresPerAccount { policy.lockout.accountFailureLimit = value }
        if let value = self.maxFailuresPerAddress { policy.lockout.addressFailureLimit = value }
        if let value = self.throttleAnswer { policy.throttleAnswer = value }
        if let value = self.refreshTokens { policy.refresh = value ? (policy.refresh ?? RefreshPolicy()) : nil }
        if self.refreshTtl != nil || self.sessionMaxAge != nil {
            guard var refresh = policy.refresh else {
                throw ValidationError("--refresh-ttl and --session-max-age need refresh tokens on (--refresh-tokens)")
            }
            if let value = self.refreshTtl { refresh.lifetime = value.seconds }
            if let value = self.sessionMaxAge { refresh.sessionMaxAge = value.seconds }
            policy.refresh = refresh
        }
        if let value = self.stepUp {
            policy.recentAuthentication = value ? (policy.recentAuthentication ?? CompanyPolicy.defaultRecentAuthentication) : nil
        }
        if let value = self.recentAuth { policy.recentAuthentication = value }
        if let value = self.userExpiryDays { policy.userExpiryDays = value == 0 ? nil : value }
        if let value = self.newDeviceNotices { policy.devices.newDeviceNotices = value }
        if let value = self.trustedDeviceDays { policy.devices.trustedDeviceDays = value == 0 ? nil : value }
        if self.clearBrowserOrigins { policy.browserOrigins = [] }
        if !self.browserOrigins.isEmpty {
            var origins: [String] = []
            for origin in self.browserOrigins {
                let normal = try CompanyPolicy.normalizedOrigin(origin)
                if !origins.contains(normal) { origins.append(normal) }
            }
            policy.browserOrigins = origins
        }
    }
}

extension ThrottleAnswer: ExpressibleByArgument {}

/// A length of time on the command line: `3600`, `3600s`, `90m`, `12h`, `30d`.
struct TimeSpan: ExpressibleByArgument {
    var seconds: Int

    init?(argument: String) {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        let (digits, unit) = argument.last.flatMap { units[$0] }.map { (argument.dropLast(), $0) } ?? (Substring(argument), 1)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let count = Int(digits), count >= 0, count <= Int(Int32.max) else {
            return nil
        }
        self.seconds = count * unit
    }

    /// `30d`, `12h`, `90m` or `45s`: the largest unit that divides it.
    static func describe(_ seconds: Int) -> String {
        for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60)] where seconds % size == 0 && seconds > 0 {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }
}

func describe(_ policy: CompanyPolicy) -> String {
    "2-FA \(policy.requireTwoFactor ? "required" : "per user"), PIN \(policy.requirePin ? "required" : "not required"), "
        + "tokens live \(policy.tokenLifetime) s, lockout after \(policy.lockout.pairFailureLimit) per device / "
        + "\(policy.lockout.accountFailureLimit) per account / \(policy.lockout.addressFailureLimit) per address, "
        + "passwords of \(policy.passwords.minimumLength)+ characters"
        + (policy.passwords.maximumAgeDays.map { " lasting \($0) days" } ?? "")
}
