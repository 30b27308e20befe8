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
            let created = try await self.store.withOperators { operators in
                try await operators.createAppKey(company: self.company, name: self.name, resourceServer: self.introspect, by: .cli)
            }
            let appKey = created.appKey
            if let secret = created.introspectionSecret {
                print("Created resource server \"\(appKey.name)\" (id \(appKey.id)) for company \"\(self.company)\".")
                print("It introspects with HTTP Basic: the key as user name, the secret as password. Shown only now:")
                print("secret: \(secret)")
            } else {
                print("Created app key \"\(appKey.name)\" (id \(appKey.id)) for company \"\(self.company)\". It is shown only now:")
            }
            print(created.key)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an app key: it stops working at once.")

        @OptionGroup var store: StoreOptions

        @Argument(help: "The app key to revoke (write `-- KEY` for a key from an older version that starts with '-').")
        var key: String

        func run() async throws {
            _ = try await self.store.withOperators { try await $0.revokeAppKey(self.key, by: .cli) }
            print("Revoked the app key and every token issued through it.")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a company's app keys (never the keys themselves).")

        @OptionGroup var store: StoreOptions

        @Option(help: "The company.")
        var company: String

        func run() async throws {
            let keys = try await self.store.withOperators { try await $0.appKeys(company: self.company, by: .cli) }
            for key in keys {
                let state = key.revokedAt.map { "revoked \($0.formatted(.iso8601))" } ?? "live"
                print("\(key.id)\t\(key.name)\tcreated \(key.createdAt.formatted(.iso8601))\t\(state)")
            }
        }
    }
}
