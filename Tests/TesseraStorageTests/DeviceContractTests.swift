import Foundation
import TesseraCore
import TesseraTestSupport
import Testing

@testable import TesseraStorage

/// Devices, sign-ins and step-up on every backend: sightings answer when a device was seen before, remembered
/// devices are bound to their user and die with a password change or a revoke, sign-ins are kept apart from the
/// user's row (so they end no validated token), and the new policy and token fields are kept.
@Suite struct DeviceContractTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test(arguments: TestBackend.allCases) func sightingsTellWhenADeviceWasSeenBefore(_ backend: TestBackend) async throws {
        try await TestDatabase.with(backend) { test in
            let database = try await test.open()
            let policy = CompanyPolicy(
                recentAuthentication: 5,
                userExpiryDays: 90,
                devices: DevicePolicy(newDeviceNotices: true, trustedDeviceDays: 14)
            )
            let company = try await database.directory.createCompany(name: "devco", policy: policy, now: self.now)
            let stored = try #require(try await database.directory.company(id: company.id)?.policy)
            #expect(stored.recentAuthentication == 5 && stored.userExpiryDays == 90 && stored.devices == policy.devices)
            #expect(try await database.directory.updateCompany(id: company.id, policy: CompanyPolicy())?.policy.devices == DevicePolicy())

            let user = try await database.directory.createUser(NewUser(companyID: company.id, username: "dex", passwordHash: "x"), now: self.now)
            let other = try await database.directory.createUser(NewUser(companyID: company.id, username: "dora", passwordHash: "x"), now: self.now)
            let devices = database.stores.devices
            #expect(
                try await devices.seeDevice(userID: user.id, key: "laptop", at: self.now) == DeviceSighting(previouslySeenAt: nil, knownDevices: 0)
            )
            let later = self.now.addingTimeInterval(60)
            #expect(
                try await devices.seeDevice(userID: user.id, key: "laptop", at: later) == DeviceSighting(previouslySeenAt: self.now, knownDevices: 1)
            )
            #expect(try await devices.seeDevice(userID: user.id, key: "phone", at: later) == DeviceSighting(previouslySeenAt: nil, knownDevices: 1))
            #expect(
                try await devices.seeDevice(userID: user.id, key: "laptop", at: later) == DeviceSighting(previouslySeenAt: later, knownDevices: 2)
            )
            // Per user: the same key of another user is another device.
            #expect(try await devices.seeDevice(userID: other.id, key: "laptop", at: later) == DeviceSighting(previouslySeenAt: nil, knownDevices: 0))

            // A sign-in is kept, read with the user, and ends none of the user's validated tokens.
            let logged = try await database.revocations?.latestRevocation()
            #expect(try await database.directory.user(id: user.id)?.lastSignInAt == nil)
            try await database.directory.recordSignIn(userID: user.id, at: later)
            try await database.directory.recordSignIn(userID: user.id, at: later.addingTimeInterval(5))
            #expect(try await database.directory.user(id: user.id)?.lastSignInAt == later.addingTimeInterval(5))
            #expect(try await database.directory.user(companyID: company.id, usernameKey: "dex")?.lastSignInAt == later.addingTimeInterval(5))
            #expect(try await database.directory.users(companyID: company.id).first { $0.id == user.id }?.lastSignInAt == later.addingTimeInterval(5))
            #expect(try await database.revocations?.latestRevocation() == logged)
            await database.close()
        }
    }

    @Test(arguments: TestBackend.allCases) func aRememberedDeviceIsBoundToItsUserAndDiesWithAPasswordChange(_ backend: TestBackend) async throws {
        try await TestDatabase.with(backend) { test in
            let database = try await test.open()
            let company = try await database.directory.createCompany(name: "devco", policy: CompanyPolicy(), now: self.now)
            let app = try await database.directory.createAppKey(companyID: company.id, name: "app", digest: "app", now: self.now)
            let revokedApp = try await database.directory.createAppKey(companyID: company.id, name: "old", digest: "old", now: self.now)
            _ = try await database.directory.revokeAppKey(digest: "old", now: self.now)
            let user = try await database.directory.createUser(NewUser(companyID: company.id, username: "dina", passwordHash: "x"), now: self.now)
            func device(_ id: String, app appKeyID: Int64, at created: Date) -> TrustedDevice {
                TrustedDevice(
                    id: id,
                    digest: "digest-" + id,
                    userID: user.id,
                    appKeyID: appKeyID,
                    companyID: company.id,
                    label: "Firefox on Windows",
                    address: "192.0.2.1",
                    createdAt: created,
                    expiresAt: created.addingTimeInterval(86_400)
                )
            }
            let devices = database.stores.devices
            let one = device("one", app: app.id, at: self.now.addingTimeInterval(1))
            #expect(try await devices.insert(one))
            #expect(try await devices.insert(device("two", app: app.id, at: self.now.addingTimeInterval(2))))
            #expect(try await devices.insert(device("three", app: revokedApp.id, at: self.now)) == false, "not for a revoked key")
            #expect(try await devices.trustedDevice(digest: "digest-one") == one)
            #expect(try await devices.trustedDevice(digest: "digest-three") == nil)
            #expect(try await devices.trustedDevices(userID: user.id, now: self.now).map(\.id) == ["two", "one"])
            // Expired ones are not listed.
            #expect(try await devices.trustedDevices(userID: user.id, now: self.now.addingTimeInterval(86_401.5)).map(\.id) == ["two"])

            try await devices.touchTrustedDevice(id: "one", at: self.now.addingTimeInterval(10))
            #expect(try await devices.trustedDevice(digest: "digest-one")?.lastUsedAt == self.now.addingTimeInterval(10))
            #expect(try await devices.revokeTrustedDevices(userID: user.id, id: "one", at: self.now) == 1)
            #expect(try await devices.revokeTrustedDevices(userID: user.id, id: "one", at: self.now) == 0)
            #expect(try await devices.trustedDevice(digest: "digest-one")?.revokedAt == self.now)
            #expect(try await devices.revokeTrustedDevices(userID: user.id + 1, id: nil, at: self.now) == 0, "another user's")

            // A new password forgets every remembered device of the user.
            try await database.directory.setPassword(userID: user.id, hash: "y", changedAt: self.now.addingTimeInterval(5))
            #expect(try await devices.trustedDevices(userID: user.id, now: self.now.addingTimeInterval(6)).isEmpty)
            #expect(try await devices.trustedDevice(digest: "digest-two")?.revokedAt != nil)
            #expect(try await devices.insert(device("four", app: app.id, at: self.now.addingTimeInterval(7))))
            #expect(try await devices.revokeTrustedDevices(userID: user.id, id: nil, at: self.now.addingTimeInterval(8)) == 1)
            await database.close()
        }
    }

    @Test(arguments: TestBackend.allCases) func tokensAndTransactionsKeepWhenTheirSessionProvedItsUser(_ backend: TestBackend) async throws {
        try await TestDatabase.with(backend) { test in
            let database = try await test.open()
            let company = try await database.directory.createCompany(name: "devco", policy: CompanyPolicy(), now: self.now)
            let app = try await database.directory.createAppKey(companyID: company.id, name: "app", digest: "app", now: self.now)
            let user = try await database.directory.createUser(NewUser(companyID: company.id, username: "dex", passwordHash: "x"), now: self.now)
            let token = AccessTokenRecord(
                digest: "token-1",
                userID: user.id,
                appKeyID: app.id,
                companyID: company.id,
                issuedAt: self.now.addingTimeInterval(600),
                expiresAt: self.now.addingTimeInterval(3600),
                sessionID: "session-1",
                authenticatedAt: self.now.addingTimeInterval(300),
                sessionStartedAt: self.now
            )
            #expect(try await database.stores.accessTokens.insert(token))
            #expect(try await database.stores.accessTokens.accessToken(digest: "token-1") == token)
            #expect(try await database.stores.accessTokens.lookup(digest: "token-1")?.record == token)

            let transaction = LoginTransaction(
                id: "tx-1",
                interimTokenDigest: "interim-1",
                appKeyID: app.id,
                userID: user.id,
                passwordProof: "proof",
                step: .verificationCode,
                createdAt: self.now,
                expiresAt: self.now.addingTimeInterval(300),
                reauthentication: Reauthentication(sessionID: "session-1", sessionStartedAt: self.now, tokenDigest: "token-1")
            )
            try await database.stores.transactions.insert(transaction)
            #expect(try await database.stores.transactions.transaction(interimTokenDigest: "interim-1") == transaction)
            var verified = transaction
            verified.codeVerified = true
            verified.step = .securityPin
            verified.version = 1
            #expect(try await database.stores.transactions.update(verified, expectedVersion: 0))
            #expect(try await database.stores.transactions.transaction(interimTokenDigest: "interim-1") == verified)

            // A logout ends every access token of the session, however it came.
            var sibling = token
            sibling.digest = "token-2"
            #expect(try await database.stores.accessTokens.insert(sibling))
            #expect(try await database.stores.accessTokens.revoke(digest: "token-1", at: self.now.addingTimeInterval(700)))
            #expect(try await database.stores.accessTokens.accessToken(digest: "token-2")?.revokedAt != nil)
            #expect(try await database.stores.accessTokens.revoke(digest: "token-1", at: self.now.addingTimeInterval(701)) == false)
            await database.close()
        }
    }
}
