import Foundation
import TesseraCore
import TesseraTestSupport
import Testing

@testable import TesseraStorage

/// The password history on every backend: each replaced hash joins it, newest first, and it keeps no more than
/// any company may ask for.
@Suite struct PasswordHistoryContractTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test(arguments: TestBackend.allCases) func replacedHashesAreRememberedNewestFirstAndBounded(_ backend: TestBackend) async throws {
        try await TestDatabase.with(backend) { test in
            let database = try await test.open()
            let policy = CompanyPolicy(passwords: PasswordPolicy(requiredClasses: 3, history: 5))
            let company = try await database.directory.createCompany(name: "polco", policy: policy, now: self.now)
            #expect(try await database.directory.company(id: company.id)?.policy.passwords == policy.passwords)
            let user = try await database.directory.createUser(NewUser(companyID: company.id, username: "pat", passwordHash: "h0"), now: self.now)
            #expect(try await database.directory.passwordHistory(userID: user.id, limit: 5).isEmpty)
            for index in 1...(PasswordPolicy.maximumHistory + 3) {
                try await database.directory.setPassword(userID: user.id, hash: "h\(index)", changedAt: self.now)
            }
            let last = PasswordPolicy.maximumHistory + 3
            #expect(try await database.directory.passwordHistory(userID: user.id, limit: 3) == ["h\(last - 1)", "h\(last - 2)", "h\(last - 3)"])
            #expect(try await database.directory.passwordHistory(userID: user.id, limit: 100).count == PasswordPolicy.maximumHistory)
            #expect(try await database.directory.passwordHistory(userID: user.id, limit: 0).isEmpty)
            #expect(try await database.directory.user(id: user.id)?.passwordHash == "h\(last)")
            await database.close()
        }
    }
}
