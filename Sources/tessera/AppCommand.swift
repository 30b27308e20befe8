import ArgumentParser
import Foundation
import TesseraCore

/// `tessera app …`: the `Et-App-Key`s of client applications.
struct AppCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "app",
        abstract: "Manage app keys (Et-App-Key).",
        subcommands: [Create.self, Revoke.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an app key. The key is printed once, alone on the last line; only its hash is kept."
        )

        @OptionGroup var store: StoreOptions

        @Option(help: "The company the app belongs to.")
        var company: String

        @Option(help: "A name for the app (shown in lists and sessions).")
        var name: String

        @Flag(help: "A resource server: it may call POST /token/introspect with its key and a secret, printed once.")
        var introspect = false

        func run() async throws {
            let name = self.name.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.count <= 200 else { throw CommandError("an app needs a name of 1 to 200 characters") }
            let key = SecureRandom().token()
            let secret = self.introspect ? SecureRandom().token() : nil
            let appKey = try await self.store.withDatabase { database in
                let company = try await database.directory.requireCompany(self.company)
                let appKey = try await database.directory.createAppKey(
                    companyID: company.id,
                    name: name,
                    digest: SecretDigest.sha256(key),
                    now: Date()
                )
                if let secret {
                    try await database.directory.setIntrospectionSecret(appKeyID: appKey.id, digest: SecretDigest.sha256(secret))
                }
                try await database.audit.record(.operator(.appKeyCreated, companyID: company.id, appKeyID: appKey.id))
                return appKey
            }
            if let secret {
                print("Created resource server \"\(appKey.name)\" (id \(appKey.id)) for company \"\(self.company)\".")
                print("It introspects with HTTP Basic: the key as user name, the secret as password. Shown only now:")
                print("secret: \(secret)")
            } else {
                print("Created app key \"\(appKey.name)\" (id \(appKey.id)) for company \"\(self.company)\". It is shown only now:")
            }
            print(key)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an app key: it stops working at once.")

        @OptionGroup var store: StoreOptions

        @Argument(help: "The app key to revoke.")
        var key: String

        func run() async throws {
            let revoked = try await self.store.withDatabase { database in
                let app = try await database.directory.app(digest: SecretDigest.sha256(self.key))
                let revoked = try await database.directory.revokeAppKey(digest: SecretDigest.sha256(self.key), now: Date())
                if revoked, let app {
                    try await database.audit.record(.operator(.appKeyRevoked, companyID: app.company.id, appKeyID: app.appKey.id))
                }
                return revoked
            }
            guard revoked else { throw CommandError("no live app key matches") }
            print("Revoked the app key and every token issued through it.")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a company's app keys (never the keys themselves).")

        @OptionGroup var store: StoreOptions

        @Option(help: "The company.")
        var company: String

        func run() async throws {
            let keys = try await self.store.withDatabase { database in
                let company = try await database.directory.requireCompany(self.company)
                return try await database.directory.appKeys(companyID: company.id)
            }
            for key in keys {
                let state = key.revokedAt.map { "revoked \($0.formatted(.iso8601))" } ?? "live"
                print("\(key.id)\t\(key.name)\tcreated \(key.createdAt.formatted(.iso8601))\t\(state)")
            }
        }
    }
}
