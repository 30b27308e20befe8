import ArgumentParser
import Foundation
import Logging
import TesseraCore
import TesseraServer
import TesseraStorage

/// The options every command that touches the database shares.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "Database URL: sqlite://PATH (default sqlite://tessera.sqlite) or postgres://…; also TESSERA_DATABASE_URL.")
    var database: String?

    @Option(name: .long, help: "File holding the server key (hex). Default: TESSERA_SECRET_KEY, else PATH.key beside an SQLite database.")
    var secretKeyFile: String?

    /// The database URL from the flag, the environment or the default.
    func databaseURL() throws -> DatabaseURL {
        let text =
            self.database
            ?? ProcessInfo.processInfo.environment["TESSERA_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
            ?? DatabaseURL.defaultValue
        return try DatabaseURL(parsing: text)
    }

    func open() async throws -> TesseraDatabase {
        var logger = Logger(label: "tessera")
        logger.logLevel = .warning
        return try await TesseraDatabase.open(self.databaseURL(), logger: logger)
    }

    func serverKey() throws -> ServerKey {
        try ServerKeyLoader.load(database: self.databaseURL(), keyFile: self.secretKeyFile)
    }

    /// Runs `body` with the open database and closes it afterwards, whatever happens.
    func withDatabase<T>(_ body: (TesseraDatabase) async throws -> T) async throws -> T {
        let database = try await self.open()
        do {
            let result = try await body(database)
            await database.close()
            return result
        } catch {
            await database.close()
            throw error
        }
    }
}

/// An operator mistake, printed as `Error: …` with a non-zero exit and no stack trace.
struct CommandError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

extension DirectoryStore {
    /// The company named `name`, or a clear error.
    func requireCompany(_ name: String) async throws -> Company {
        guard let company = try await self.company(named: name) else {
            throw CommandError("no company is named \"\(name)\" (see `tessera company list`)")
        }
        return company
    }

    /// The user `username`, in `companyName` when given, else in the only company that has one by that name.
    func requireUser(_ username: String, companyName: String?) async throws -> (Company, User) {
        let companies: [Company]
        if let companyName {
            companies = [try await self.requireCompany(companyName)]
        } else {
            companies = try await self.companies()
        }
        var found: [(Company, User)] = []
        for company in companies {
            if let user = try await self.user(companyID: company.id, usernameKey: Username.key(username)) {
                found.append((company, user))
            }
        }
        guard let first = found.first else { throw CommandError("no user is named \"\(username)\"") }
        guard found.count == 1 else {
            throw CommandError("several companies have a user \"\(username)\": name one with --company")
        }
        return first
    }
}
