import Foundation
import HummingbirdTesting
import Synchronization
import TesseraClient
import TesseraCore
import Testing

/// The SDK's step-up, session calls and remembered device against a real server (`devco`: step-up within 10
/// minutes, devices remembered for 30 days).
@Suite struct ClientSDKSessionTests {
    /// What the reauthenticator was asked, in order.
    final class Asked: Sendable {
        let steps = Mutex<[ReauthenticationStep]>([])
        var all: [ReauthenticationStep] { self.steps.withLock { $0 } }
    }

    static func sdk(_ client: Client, store: InMemoryTokenStore, rememberDevice: Bool = false, asked: Asked? = nil) -> TesseraClient {
        let world = client.world
        var reauthenticate: Reauthenticator?
        if let asked {
            reauthenticate = { @Sendable (step: ReauthenticationStep) async throws -> String in
                asked.steps.withLock { $0.append(step) }
                switch step {
                case .password: return TestWorld.password
                // dina's first code opened the login; each re-authentication sends the next.
                case .verificationCode: return try await world.awaitCodes(to: "dina@example.com", count: 2).last ?? ""
                case .pin: return ""
                }
            }
        }
        return TesseraClient(
            baseURL: URL(string: "http://127.0.0.1:\(client.client.port!)/")!,
            appKey: world.appKeys["devco"]!,
            tokenStore: store,
            rememberDevice: rememberDevice,
            reauthenticate: reauthenticate
        )
    }

    @Test func aChangeThatNeedsARecentSignInAsksTheReauthenticatorOnceAndGoesThrough() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let store = InMemoryTokenStore()
                let asked = Asked()
                let sdk = Self.sdk(client, store: store, asked: asked)
                let progress = try await sdk.login(username: "dina", password: TestWorld.password)
                guard case .verificationCodeRequired(let pending, _) = progress else {
                    Issue.record("expected the code step, got \(progress)")
                    return
                }
                let code = try #require(try await world.awaitCodes(to: "dina@example.com").last)
                _ = try await sdk.submit(code: code, to: pending)
                let login = try #require(try await store.load())
                #expect(asked.all.isEmpty)

                world.clock.advance(by: 11 * 60)
                // The enrolment is refused for an old sign-in; the SDK re-authenticates (password, then a fresh
                // code) and the call goes through without the caller handling anything.
                let setup = try await sdk.enrolAuthenticator()
                #expect(setup.url.hasPrefix("otpauth://totp/"))
                #expect(asked.all == [.password, .verificationCode(reason: "Expecting confirmation code")])
                let fresh = try #require(try await store.load())
                #expect(fresh.accessToken != login.accessToken && fresh.refreshToken == login.refreshToken)
                // Now recent: no question asked.
                _ = try await sdk.enrolAuthenticator()
                #expect(asked.all.count == 2)

                // Without a reauthenticator the caller is told what is needed.
                world.clock.advance(by: 11 * 60)
                let plain = TesseraClient(baseURL: sdk.baseURL, appKey: sdk.appKey, tokenStore: store)
                await #expect(throws: TesseraClientError.reauthenticationRequired) { _ = try await plain.enrolAuthenticator() }
            }
        }
    }

    @Test func theSessionCallsListAndEndTheUsersSessions() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let phone = InMemoryTokenStore()
                let laptop = InMemoryTokenStore()
                for store in [phone, laptop] {
                    _ = try await Self.sdk(client, store: store).login(username: "dex", password: TestWorld.password)
                }
                let sdk = Self.sdk(client, store: laptop)
                let sessions = try await sdk.sessions()
                #expect(sessions.count == 2 && sessions.filter(\.isCurrent).count == 1)
                let other = try #require(sessions.first { !$0.isCurrent })
                try await sdk.endSession(id: other.id)
                let ended = try #require(try await phone.load()).accessToken
                await #expect(throws: TesseraClientError.self) { _ = try await Self.sdk(client, store: phone).userInfo(token: ended) }
                #expect(try await sdk.sessions().count == 1)
                _ = try await Self.sdk(client, store: phone).login(username: "dex", password: TestWorld.password)
                #expect(try await sdk.endOtherSessions() == 1)
                #expect(try await sdk.sessions().count == 1)
            }
        }
    }

    @Test func aRememberedDeviceIsKeptAcrossALogoutAndSkipsTheCode() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let store = InMemoryTokenStore()
                let sdk = Self.sdk(client, store: store, rememberDevice: true)
                guard case .verificationCodeRequired(let pending, _) = try await sdk.login(username: "dina", password: TestWorld.password) else {
                    Issue.record("expected the code step")
                    return
                }
                let code = try #require(try await world.awaitCodes(to: "dina@example.com").last)
                _ = try await sdk.submit(code: code, to: pending)
                #expect(try await store.loadDeviceToken() != nil)
                try await sdk.logout()
                #expect(try await store.load() == nil)
                #expect(try await store.loadDeviceToken() != nil)
                guard case .authenticated = try await sdk.login(username: "dina", password: TestWorld.password) else {
                    Issue.record("the remembered device skips the code")
                    return
                }
            }
        }
    }
}
