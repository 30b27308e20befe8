import Foundation
import NIOSSL
import PostgresNIO

/// Where a PostgreSQL server is, from `postgres://user:password@host:port/database?sslmode=…`.
struct PostgresTarget: Sendable {
    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String
    var sslMode: String

    init(parsing text: String) throws {
        guard let components = URLComponents(string: text), let host = components.host, !host.isEmpty else {
            throw StorageError.invalidURL("expected postgres://user:password@host:port/database")
        }
        self.host = host
        self.port = components.port ?? 5432
        // URLComponents hands these out already percent-decoded.
        self.username = components.user ?? "postgres"
        self.password = components.password
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? self.username : path
        self.sslMode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer"
        guard ["disable", "prefer", "require"].contains(self.sslMode) else {
            throw StorageError.invalidURL("sslmode must be disable, prefer or require")
        }
    }

    var redacted: String { "postgres://\(self.username)@\(self.host):\(self.port)/\(self.database)" }

    var clientConfiguration: PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS =
            switch self.sslMode {
            case "disable": .disable
            case "require": .require(.makeClientConfiguration())
            default: .prefer(.makeClientConfiguration())
            }
        return PostgresClient.Configuration(
            host: self.host,
            port: self.port,
            username: self.username,
            password: self.password,
            database: self.database,
            tls: tls
        )
    }

    /// Limits PostgreSQL enforces on every session, so a statement or a lock wait that outlasts the node's
    /// patience is ended by the server too, and a transaction left open by a node that went away does not hold
    /// its locks for ever.
    func sessionParameters(_ options: PostgresOptions) -> [(String, String)] {
        let milliseconds = max(
            options.statementTimeout.components.seconds * 1000 + options.statementTimeout.components.attoseconds / 1_000_000_000_000_000,
            1
        )
        return [
            ("statement_timeout", "\(milliseconds)"),
            ("lock_timeout", "\(milliseconds)"),
            ("idle_in_transaction_session_timeout", "\(milliseconds * 2)"),
        ]
    }

    func connectionConfiguration(_ options: PostgresOptions) throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS =
            switch self.sslMode {
            case "disable": .disable
            case "require": .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            default: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
        var configuration = PostgresConnection.Configuration(
            host: self.host,
            port: self.port,
            username: self.username,
            password: self.password,
            database: self.database,
            tls: tls
        )
        let timeout = options.connectTimeout.components
        configuration.options.connectTimeout = .nanoseconds(timeout.seconds * 1_000_000_000 + timeout.attoseconds / 1_000_000_000)
        configuration.options.additionalStartupParameters = self.sessionParameters(options)
        return configuration
    }
}
