import Foundation
import HummingbirdTesting
import Logging
import TesseraClient
import TesseraCore
import TesseraStorage
import Testing

/// The SDK with refresh tokens (`refco`: access tokens live 10 minutes) against a real server: an expired token is
/// refreshed under the caller, once however many calls find it expired, and a refused refresh signs out.
@Suite struct ClientSDKRefreshTests {
    static func sdk(_ client: Client, store: InMemoryTokenStore) -> TesseraClient {
        TesseraClient(
            baseURL: URL(string: "http://127.0.0.1:\(client.client.port!)/")!,
            appKey: client.world.appKeys["refco"]!,
            tokenStore: store
        )
    }

    func count(_ world: TestWorld, _ kind: AuditKind) async throws -> Int {
        let database = try await TesseraDatabase.open(.sqlite(path: world.databasePath), logger: Logger(label: "test"))
        defer { Task { await database.close() } }
        return try await database.audit.events(companyID: nil, userID: nil, since: nil, limit: 1000).filter { $0.kind == kind }.count
    }

    @Test func anExpiredTokenIsRefreshedOnceUnderParallelCallsWithoutTheCallerNoticing() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let store = InMemoryTokenStore()
                let sdk = Self.sdk(client, store: store)
                guard case .authenticated(let first) = try await sdk.login(username: "rita", password: TestWorld.password) else {
                    Issue.record("expected a token")
                    return
                }
                #expect(try await store.load()?.accessToken == first)
                #expect(try await store.load()?.refreshToken != nil)
                #expect(try await sdk.userInfo().login == "rita")

                // The access token expires; eight calls at once each get their answer, through one refresh.
                world.clock.advance(by: 601)
                let logins = try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<8 { group.addTask { try await sdk.userInfo().login } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(logins == Array(repeating: "rita", count: 8))
                let refreshed = try #require(try await store.load())
                #expect(refreshed.accessToken != first)
                #expect(try await self.count(world, .tokenRefreshed) == 1)
                #expect(try await self.count(world, .tokenReuseDetected) == 0)

                // A session ended elsewhere: the refresh is refused, the store is emptied, the caller told.
                world.clock.advance(by: 601)
                try await sdk.logout(token: refreshed.accessToken)
                await #expect(throws: TesseraClientError.loginFailed(step: "BaseAuthentication", reason: "Invalid refresh token")) {
                    _ = try await sdk.userInfo()
                }
                #expect(try await store.load() == nil)
                await #expect(throws: TesseraClientError.signedOut) { _ = try await sdk.userInfo() }
            }
        }
    }

    @Test func clientsSharingAStoreShareTheirRefresh() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let store = InMemoryTokenStore()
                let clients = (0..<4).map { _ in Self.sdk(client, store: store) }
                _ = try await clients[0].login(username: "rita", password: TestWorld.password)
                world.clock.advance(by: 601)
                let logins = try await withThrowingTaskGroup(of: String.self) { group in
                    for sdk in clients {
                        group.addTask { try await sdk.userInfo().login }
                        group.addTask { try await sdk.userInfo().login }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(logins.count == 8 && logins.allSatisfy { $0 == "rita" })
                #expect(try await self.count(world, .tokenRefreshed) == 1)
                #expect(try await self.count(world, .tokenReuseDetected) == 0)
            }
        }
    }

    @Test func withoutRefreshTokensAnExpiredTokenIsTheCallersError() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let store = InMemoryTokenStore()
                let sdk = TesseraClient(
                    baseURL: URL(string: "http://127.0.0.1:\(client.client.port!)/")!,
                    appKey: world.appKeys["shortco"]!,
                    tokenStore: store
                )
                _ = try await sdk.login(username: "gina", password: TestWorld.password)
                #expect(try await store.load()?.refreshToken == nil, "shortco did not opt into refresh tokens")
                world.clock.advance(by: 61)
                do {
                    _ = try await sdk.userInfo()
                    Issue.record("an expired token without a refresh token must fail")
                } catch TesseraClientError.requestFailed(let status, _, _) {
                    #expect(status == 401)
                }
            }
        }
    }
}
