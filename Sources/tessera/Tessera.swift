import ArgumentParser

/// `tessera`: the server and the operator's commands.
@main
struct Tessera: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "An authentication token service speaking ETNA Trader's POST /token contract.",
        subcommands: [
            Serve.self, CompanyCommand.self, AppCommand.self, UserCommand.self, SessionCommand.self, AuditCommand.self, LoginCommand.self,
            TokenCommand.self, OperatorCommand.self, BenchHashCommand.self,
        ]
    )
}
