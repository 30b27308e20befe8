import ArgumentParser
import Foundation
import TesseraCore

/// `tessera session …`: live access tokens, as operators see them.
struct SessionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session",
        abstract: "List and end users' sessions (live access tokens).",
        subcommands: [List.self, Revoke.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a user's live sessions, newest first.")

        @OptionGroup var store: StoreOptions

        @Option(help: "The user.")
        var user: String

        @Option(help: "The company, when several have a user by this name.")
        var company: String?

        func run() async throws {
            let sessions = try await self.store.withOperators { operators in
                try await operators.sessions(of: UserReference(username: self.user, company: self.company), by: .cli)
            }
            for session in sessions {
                let record = session.record
                print(
                    "\(record.sessionID)\t\(session.appName)\tcreated \(record.issuedAt.formatted(.iso8601))\t"
                        + "seen \(record.lastSeenAt.formatted(.iso8601))\t\(record.address ?? "-")\t\(record.userAgent ?? "-")"
                )
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End one session by id, or every session of a user.")

        @OptionGroup var store: StoreOptions

        @Argument(help: "The session id (from `session list`).")
        var id: String?

        @Option(help: "End every live session of this user instead.")
        var user: String?

        @Option(help: "The company, when several have a user by this name.")
        var company: String?

        func validate() throws {
            guard (self.id == nil) != (self.user == nil) else {
                throw ValidationError("give a session id or --user, not both")
            }
        }

        func run() async throws {
            let message = try await self.store.withOperators { operators -> String in
                if let id = self.id {
                    try await operators.endSession(id: id, by: .cli)
                    return "Ended session \(id)."
                }
                let reference = UserReference(username: self.user ?? "", company: self.company)
                let count = try await operators.endSessions(of: reference, by: .cli)
                return "Ended \(count) session(s) of \"\(reference.username)\"."
            }
            print(message)
        }
    }
}
