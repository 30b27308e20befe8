import Foundation
import TesseraCore
import TesseraTestSupport
import Testing

@testable import TesseraStorage

/// What the back office reads and writes on every backend: operator roles, user search across companies, and
/// the accounts locked now.
@Suite struct BackOfficeContractTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test(arguments: TestBackend.allCases) func rolesSearchAndLocks(_ backend: TestBackend) async throws {
        try await TestDatabase.with(backend) { test in
            let database = try await test.open()
            let directory = database.directory
            let acme = try await directory.createCompany(name: "acme", policy: CompanyPolicy(), now: self.now)
            let other = try await directory.createCompany(name: "other", policy: CompanyPolicy(), now: self.now)
            let alice = try await directory.createUser(
                NewUser(companyID: acme.id, username: "Alice", passwordHash: "x", email: "alice@Example.com"),
                now: self.now
            )
            let bob = try await directory.createUser(
                NewUser(companyID: other.id, username: "bob_1", passwordHash: "x", email: "b@x.example"),
                now: self.now
            )
            _ = try await directory.createUser(NewUser(companyID: other.id, username: "bobby", passwordHash: "x"), now: self.now)

            // Roles: set, changed, removed.
            #expect(try await directory.operatorRole(userID: alice.id) == nil)
            try await directory.setOperatorRole(userID: alice.id, role: .support)
            try await directory.setOperatorRole(userID: alice.id, role: .admin)
            #expect(try await directory.operatorRole(userID: alice.id) == .admin)
            try await directory.setOperatorRole(userID: alice.id, role: nil)
            #expect(try await directory.operatorRole(userID: alice.id) == nil)

            // Search: username or email, any company, case-insensitive; LIKE's wildcards match only themselves.
            #expect(try await directory.searchUsers("ALI", limit: 10).map(\.id) == [alice.id])
            #expect(try await directory.searchUsers("example.com", limit: 10).map(\.id) == [alice.id])
            #expect(try await directory.searchUsers("bob", limit: 10).map(\.username) == ["bob_1", "bobby"])
            #expect(try await directory.searchUsers("b_", limit: 10).map(\.id) == [bob.id])
            #expect(try await directory.searchUsers("%", limit: 10).isEmpty)
            #expect(try await directory.searchUsers("bob", limit: 1).count == 1)

            // Locks now, the latest end first; an expired one is not listed.
            let attempts = database.stores.attempts
            _ = try await attempts.lock(companyID: acme.id, usernameKey: "alice", until: self.now.addingTimeInterval(600), now: self.now)
            _ = try await attempts.lock(companyID: other.id, usernameKey: "bob_1", until: self.now.addingTimeInterval(1200), now: self.now)
            _ = try await attempts.lock(
                companyID: other.id,
                usernameKey: "gone",
                until: self.now.addingTimeInterval(-1),
                now: self.now.addingTimeInterval(-60)
            )
            let locks = try await attempts.currentLocks(now: self.now)
            #expect(locks.map(\.usernameKey) == ["bob_1", "alice"])
            #expect(locks.first?.companyID == other.id && locks.first?.until == self.now.addingTimeInterval(1200))
            await database.close()
        }
    }
}
