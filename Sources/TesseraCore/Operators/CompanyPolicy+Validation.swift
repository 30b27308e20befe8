import Foundation

/// The ranges an operator may set a company's policy within, whoever sets it (the CLI or the admin API).
extension CompanyPolicy {
    /// The most failures a limit may be set to.
    public static let maximumFailureLimit = 100_000
    /// The longest password age, in days.
    public static let maximumPasswordAgeDays = 3650
    /// The shortest minimum length a company may ask for.
    public static let minimumPasswordLength = 8

    /// Throws the first value out of range.
    public func validate() throws(OperatorError) {
        guard (1...Self.maximumTokenLifetime).contains(self.tokenLifetime) else {
            throw OperatorError(.invalid, "\(.tokenLifetime) must be between 1 and \(Self.maximumTokenLifetime) seconds")
        }
        let limits: [(OperatorError.Field, Int)] = [
            (.pairFailureLimit, self.lockout.pairFailureLimit),
            (.accountFailureLimit, self.lockout.accountFailureLimit),
            (.addressFailureLimit, self.lockout.addressFailureLimit),
        ]
        for (field, value) in limits where !(1...Self.maximumFailureLimit).contains(value) {
            throw OperatorError(.invalid, "\(field) must be between 1 and \(Self.maximumFailureLimit)")
        }
        if let days = self.passwords.maximumAgeDays, !(1...Self.maximumPasswordAgeDays).contains(days) {
            throw OperatorError(.invalid, "\(.passwordMaxAge) must be between 1 and \(Self.maximumPasswordAgeDays) days")
        }
        guard (Self.minimumPasswordLength...PasswordPolicy.maximumLength).contains(self.passwords.minimumLength) else {
            throw OperatorError(.invalid, "\(.passwordMinLength) must be between \(Self.minimumPasswordLength) and \(PasswordPolicy.maximumLength)")
        }
        guard (0...4).contains(self.passwords.requiredClasses) else {
            throw OperatorError(.invalid, "\(.passwordClasses) must be between 0 and 4")
        }
        guard (0...PasswordPolicy.maximumHistory).contains(self.passwords.history) else {
            throw OperatorError(.invalid, "\(.passwordHistory) must be between 0 and \(PasswordPolicy.maximumHistory)")
        }
        if let minutes = self.recentAuthentication, !(1...Self.maximumRecentAuthentication).contains(minutes) {
            throw OperatorError(.invalid, "\(.recentAuthentication) must be between 1 and \(Self.maximumRecentAuthentication) minutes")
        }
        if let days = self.userExpiryDays, !(1...Self.maximumPasswordAgeDays).contains(days) {
            throw OperatorError(.invalid, "\(.userExpiryDays) must be between 1 and \(Self.maximumPasswordAgeDays) days")
        }
        if let days = self.devices.trustedDeviceDays, !(1...DevicePolicy.maximumTrustedDays).contains(days) {
            throw OperatorError(.invalid, "\(.trustedDeviceDays) must be between 1 and \(DevicePolicy.maximumTrustedDays) days")
        }
        if let refresh = self.refresh {
            guard (60...RefreshPolicy.maximumAge).contains(refresh.lifetime) else {
                throw OperatorError(.invalid, "\(.refreshLifetime) must be between 1 minute and \(RefreshPolicy.maximumAge / 86_400) days")
            }
            guard (refresh.lifetime...RefreshPolicy.maximumAge).contains(refresh.sessionMaxAge) else {
                throw OperatorError(
                    .invalid,
                    "\(.sessionMaxAge) must be at least \(.refreshLifetime) and at most \(RefreshPolicy.maximumAge / 86_400) days"
                )
            }
        }
        guard self.browserOrigins.count <= Self.maximumBrowserOrigins else {
            throw OperatorError(.invalid, "a company allows at most \(Self.maximumBrowserOrigins) of \(.corsOrigin)")
        }
        for origin in self.browserOrigins {
            guard try Self.normalizedOrigin(origin) == origin else {
                throw OperatorError(.invalid, "\(.corsOrigin) \"\(origin)\" is not in its normal form")
            }
        }
    }

    /// The longest step-up window, in minutes: a day.
    public static let maximumRecentAuthentication = 1440

    /// The most browser origins one company may allow.
    public static let maximumBrowserOrigins = 32

    /// `origin` as browsers send it in `Origin`: `http` or `https`, a host, a port only when not the scheme's
    /// default, lower case, nothing else. Throws for anything else (a path, a query, credentials, a wildcard).
    public static func normalizedOrigin(_ origin: String) throws(OperatorError) -> String {
        let refusal = OperatorError(
            .invalid,
            "\(.corsOrigin) must be a web origin like https://trade.example.com (a scheme, a host, a port at most), not \"\(origin)\""
        )
        guard origin.count <= 300, !origin.contains("*"),
            let components = URLComponents(string: origin.trimmingCharacters(in: .whitespaces)),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host?.lowercased(), !host.isEmpty,
            components.path.isEmpty || components.path == "/",
            components.query == nil, components.fragment == nil, components.user == nil, components.password == nil,
            host.unicodeScalars.allSatisfy({ $0.isASCII && !$0.properties.isWhitespace })
        else { throw refusal }
        let defaultPort = scheme == "https" ? 443 : 80
        let port = components.port.flatMap { $0 == defaultPort ? nil : $0 }
        return "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "")
    }
}

extension CompanyPolicy {
    /// What differs from `other`, as `name: old → new` pairs for the audit trail (no secrets live in a policy).
    public func changes(to other: CompanyPolicy) -> String {
        let fields: [(String, String, String)] = [
            ("requireTwoFactor", "\(self.requireTwoFactor)", "\(other.requireTwoFactor)"),
            ("requirePin", "\(self.requirePin)", "\(other.requirePin)"),
            ("tokenLifetime", "\(self.tokenLifetime)", "\(other.tokenLifetime)"),
            ("pairFailureLimit", "\(self.lockout.pairFailureLimit)", "\(other.lockout.pairFailureLimit)"),
            ("accountFailureLimit", "\(self.lockout.accountFailureLimit)", "\(other.lockout.accountFailureLimit)"),
            ("addressFailureLimit", "\(self.lockout.addressFailureLimit)", "\(other.lockout.addressFailureLimit)"),
            ("passwordMinLength", "\(self.passwords.minimumLength)", "\(other.passwords.minimumLength)"),
            (
                "passwordMaxAgeDays", self.passwords.maximumAgeDays.map(String.init) ?? "none",
                other.passwords.maximumAgeDays.map(String.init) ?? "none"
            ),
            ("revokeSessionsOnChange", "\(self.passwords.revokeSessionsOnChange)", "\(other.passwords.revokeSessionsOnChange)"),
            ("passwordClasses", "\(self.passwords.requiredClasses)", "\(other.passwords.requiredClasses)"),
            ("passwordHistory", "\(self.passwords.history)", "\(other.passwords.history)"),
            ("throttleAnswer", self.throttleAnswer.rawValue, other.throttleAnswer.rawValue),
            ("recentAuthentication", self.recentAuthentication.map(String.init) ?? "off", other.recentAuthentication.map(String.init) ?? "off"),
            ("userExpiryDays", self.userExpiryDays.map(String.init) ?? "off", other.userExpiryDays.map(String.init) ?? "off"),
            ("newDeviceNotices", "\(self.devices.newDeviceNotices)", "\(other.devices.newDeviceNotices)"),
            (
                "trustedDeviceDays", self.devices.trustedDeviceDays.map(String.init) ?? "off",
                other.devices.trustedDeviceDays.map(String.init) ?? "off"
            ),
            ("refreshLifetime", self.refresh.map { "\($0.lifetime)" } ?? "off", other.refresh.map { "\($0.lifetime)" } ?? "off"),
            ("sessionMaxAge", self.refresh.map { "\($0.sessionMaxAge)" } ?? "off", other.refresh.map { "\($0.sessionMaxAge)" } ?? "off"),
            (
                "browserOrigins", self.browserOrigins.isEmpty ? "none" : self.browserOrigins.joined(separator: " "),
                other.browserOrigins.isEmpty ? "none" : other.browserOrigins.joined(separator: " ")
            ),
        ]
        return fields.filter { $0.1 != $0.2 }.map { "\($0.0): \($0.1) → \($0.2)" }.joined(separator: ", ")
    }
}

/// Names of things operators create: companies and apps.
enum DisplayName {
    /// The name trimmed of surrounding spaces, if it has 1 to 200 characters.
    static func validated(_ name: String, as field: OperatorError.Field, what: String) throws(OperatorError) -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 200,
            !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw OperatorError(.invalid, "\(what) needs a \(field) of 1 to 200 characters")
        }
        return trimmed
    }
}
