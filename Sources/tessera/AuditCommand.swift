import ArgumentParser
import Foundation
import TesseraCore

/// `tessera audit …`: the security events.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Read security events.",
        subcommands: [List.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List audit events, newest first.")

        @OptionGroup var store: StoreOptions

        @Option(help: "Only this user's events.")
        var user: String?

        @Option(help: "Only this company's events (and the company of --user, when several have one by that name).")
        var company: String?

        @Option(help: "Only events since this time: ISO 8601 (2026-11-29T10:00:00Z) or a duration back from now (30m, 2h, 7d).")
        var since: String?

        @Option(help: "At most this many events.")
        var limit = 100

        func run() async throws {
            let since = try self.since.map(Self.parseSince)
            guard self.limit > 0 else { throw CommandError("--limit must be positive") }
            let events = try await self.store.withOperators { operators in
                try await operators.auditEvents(
                    user: self.user.map { UserReference(username: $0, company: self.company) },
                    company: self.company,
                    since: since,
                    limit: self.limit,
                    by: .cli
                )
            }
            for event in events {
                let fields: [(String, String?)] = [
                    ("company", event.companyID.map(String.init)),
                    ("user", event.userID.map(String.init)),
                    ("app", event.appKeyID.map(String.init)),
                    ("address", event.address),
                    ("actor", event.actor),
                    ("request", event.requestID),
                ]
                let detail = fields.compactMap { name, value in value.map { "\(name)=\($0)" } }.joined(separator: " ")
                print("\(event.at.formatted(.iso8601))\t\(event.kind.rawValue)\t\(event.outcome ?? "-")\t\(detail)")
            }
        }

        static func parseSince(_ text: String) throws -> Date {
            if let date = try? Date(text, strategy: .iso8601) { return date }
            let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
            if let unit = text.last.flatMap({ units[$0] }), let amount = Double(text.dropLast()), amount >= 0 {
                return Date().addingTimeInterval(-amount * unit)
            }
            throw CommandError("--since takes an ISO 8601 time or a duration such as 30m, 2h or 7d")
        }
    }
}
