import ArgumentParser
import Foundation
import TesseraCore

/// `tessera operator …`: the back office's operators.
struct OperatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator",
        abstract: "Manage the back office's operators (viewer, support, admin).",
        subcommands: [Create.self, List.self, Delete.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an operator; prints their authenticator secret once (they sign in with password and code)."
        )

        @OptionGroup var store: StoreOptions

        @Option(help: "The operator's username.")
        var username: String

        @Option(help: "viewer (reads everything), support (also acts on users) or admin (also companies, keys, operators).")
        var role: String

        @Option(help: "The password (visible in process lists; prefer --password-stdin).")
        var password: String?

        @Flag(help: "Read the password from the first line of standard input.")
        var passwordStdin = false

        @Option(help: "The operator's email.")
        var email: String?

        func run() async throws {
            guard let role = OperatorRole(rawValue: self.role) else { throw ValidationError("--role must be viewer, support or admin") }
            let password = try PasswordInput.read(self.password, fromStdin: self.passwordStdin)
            let (created, enrolment) = try await self.store.withOperators {
                try await $0.createOperator(username: self.username, role: role, password: password, email: self.email, by: .cli)
            }
            print("Created operator \"\(created.user.username)\" (role \(created.role.rawValue)).")
            enrolment.printOnce()
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the operators and their roles.")

        @OptionGroup var store: StoreOptions

        func run() async throws {
            for item in try await self.store.withOperators({ try await $0.operators(by: .cli) }) {
                print("\(item.user.username)\t\(item.role.rawValue)")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an operator: no role, disabled, every session ended.")

        @OptionGroup var store: StoreOptions

        @Argument(help: "The operator's username.")
        var username: String

        func run() async throws {
            try await self.store.withOperators { try await $0.deleteOperator(username: self.username, by: .cli) }
            print("Deleted operator \"\(self.username)\".")
        }
    }
}
