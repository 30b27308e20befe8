import Foundation
import TesseraCore

/// The demo of `serve --demo`: a company, an app key and two users, created on an empty database and found
/// again on later starts. The key and passwords are derived from the server key, so they are stable for one
/// installation, never stored in clear, and never the same on two installations.
public enum DemoSeed {
    public static let companyName = "demo"
    public static let username = "demo"
    public static let twoFactorUsername = "demo-2fa"

    /// What a newcomer needs to log in.
    public struct Credentials: Sendable {
        public var appKey: String
        public var password: String

        /// The text `serve --demo` prints once the server listens.
        public func banner(host: String, port: Int, outbox: String? = nil) -> String {
            let codes = outbox.map { "its codes are appended to \($0)" } ?? "its codes are printed in this log, on purpose"
            let url = "http://\(host == "0.0.0.0" ? "127.0.0.1" : host):\(port)"
            return """

                Tessera demo — for trying Tessera out, never for production.
                  app key (Et-App-Key): \(self.appKey)
                  user:                 \(DemoSeed.username) / \(self.password)
                  2-FA user:            \(DemoSeed.twoFactorUsername) / \(self.password) (\(codes))

                Get a token:
                  curl -i -X POST \(url)/token -H 'Et-App-Key: \(self.appKey)' -H 'Username: \(DemoSeed.username)' -H 'Password: \(self.password)'

                Then use it:
                  curl -i \(url)/v1.0/users/@me/info -H 'Et-App-Key: \(self.appKey)' -H 'Authorization: Bearer <Token>'

                """
        }
    }

    /// Creates what is missing of the demo and returns its credentials.
    public static func ensure(
        in directory: any DirectoryStore,
        key: ServerKey,
        hasher: any PasswordHasher,
        clock: any WallClock
    ) async throws -> Credentials {
        let credentials = Credentials(appKey: key.derivedSecret("demo-app-key"), password: key.derivedSecret("demo-password"))
        let now = clock.now
        let company: Company
        if let existing = try await directory.company(named: companyName) {
            company = existing
        } else {
            company = try await directory.createCompany(name: companyName, policy: CompanyPolicy(), now: now)
        }
        if try await directory.app(digest: SecretDigest.sha256(credentials.appKey)) == nil {
            _ = try await directory.createAppKey(
                companyID: company.id,
                name: "demo app",
                digest: SecretDigest.sha256(credentials.appKey),
                now: now
            )
        }
        let users: [(String, TwoFactorMethod)] = [(username, .none), (twoFactorUsername, .email)]
        for (name, method) in users where try await directory.user(companyID: company.id, usernameKey: Username.key(name)) == nil {
            _ = try await directory.createUser(
                NewUser(
                    companyID: company.id,
                    username: name,
                    passwordHash: try await hasher.hash(credentials.password),
                    email: "\(name)@example.com",
                    twoFactor: method,
                    profile: UserProfile(firstName: "Demo", lastName: "Trader")
                ),
                now: now
            )
        }
        return credentials
    }
}
