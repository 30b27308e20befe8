import Foundation
import Hummingbird
import HummingbirdTesting
import TesseraClient
import TesseraCore
import TesseraHummingbird
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The Swift SDK and the resource-server middleware against a real server.
@Suite struct ClientSDKTests {
    static func sdk(_ client: Client, app: String = "acme") -> TesseraClient {
        TesseraClient(baseURL: URL(string: "http://127.0.0.1:\(client.client.port!)/")!, appKey: client.world.appKeys[app]!)
    }

    @Test func singleFactorAndUserInfo() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let sdk = Self.sdk(client)
                guard case .authenticated(let token) = try await sdk.login(username: "alice", password: TestWorld.password) else {
                    Issue.record("expected a token")
                    return
                }
                #expect(try await sdk.userInfo(token: token).login == "alice")
                await #expect(throws: TesseraClientError.loginFailed(step: "BaseAuthentication", reason: "Invalid credentials")) {
                    _ = try await sdk.login(username: "alice", password: "wrong password")
                }
                try await sdk.logout(token: token)
                await #expect(throws: TesseraClientError.self) { _ = try await sdk.userInfo(token: token) }
            }
        }
    }

    @Test func etnasThrottleAnswerIsThrottledToo() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                // etnaco answers layer 3 as ETNA's guard does: 401 "Too many login requests", with Retry-After.
                let sdk = Self.sdk(client, app: "etnaco")
                for _ in 0..<2 { _ = try? await sdk.login(username: "lena", password: "not the password") }
                do {
                    _ = try await sdk.login(username: "lena", password: TestWorld.password)
                    Issue.record("expected the throttle")
                } catch let TesseraClientError.throttled(retryAfter) {
                    #expect((retryAfter ?? 0) >= 1)
                }
            }
        }
    }

    @Test func emailTwoFactorWithAResend() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let sdk = Self.sdk(client)
                guard case .verificationCodeRequired(let pending, _) = try await sdk.login(username: "bob", password: TestWorld.password) else {
                    Issue.record("expected the code step")
                    return
                }
                #expect(pending.interimToken != nil)
                world.clock.advance(by: 61)
                guard case .verificationCodeRequired(let again, _) = try await sdk.resendCode(pending) else {
                    Issue.record("expected the code step again")
                    return
                }
                let codes = try world.codes(to: "bob@example.com")
                #expect(codes.count == 2)
                guard case .authenticated(let token) = try await sdk.submit(code: codes.last!, to: again) else {
                    Issue.record("expected a token")
                    return
                }
                #expect(try await sdk.userInfo(token: token).login == "bob")
            }
        }
    }

    @Test func pinAndPinSetup() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let sdk = Self.sdk(client, app: "pinco")
                guard case .pinRequired(let pending, _, nil) = try await sdk.login(username: "dave", password: TestWorld.password) else {
                    Issue.record("expected the PIN step")
                    return
                }
                guard case .authenticated = try await sdk.submit(pin: "2468", to: pending) else {
                    Issue.record("expected a token")
                    return
                }

                guard case .pinSetupRequired(let ticket) = try await sdk.login(username: "erin", password: TestWorld.password) else {
                    Issue.record("expected PIN setup")
                    return
                }
                let images = try await sdk.securityImages(ticket: ticket)
                #expect(images.count == 8)
                try await sdk.setPin(ticket: ticket, pin: "8080", imageName: images[0].fileName, phrase: "my phrase")
                guard case .pinRequired(let next, _, let image) = try await sdk.login(username: "erin", password: TestWorld.password) else {
                    Issue.record("expected the PIN step")
                    return
                }
                #expect(image?.fileName == images[0].fileName)
                #expect(image?.personalPhrase == "my phrase")
                guard case .authenticated = try await sdk.submit(pin: "8080", to: next) else {
                    Issue.record("expected a token")
                    return
                }
            }
        }
    }

    @Test func passwordExpiry() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                world.clock.advance(by: 31 * 86_400)
                let sdk = Self.sdk(client, app: "expco")
                guard case .passwordChangeRequired(let ticket) = try await sdk.login(username: "ivan", password: TestWorld.password) else {
                    Issue.record("expected a password change")
                    return
                }
                await #expect(throws: TesseraClientError.self) { try await sdk.setPassword(ticket: ticket, newPassword: "short") }
                try await sdk.setPassword(ticket: ticket, newPassword: "an entirely new passphrase")
                guard case .authenticated = try await sdk.login(username: "ivan", password: "an entirely new passphrase") else {
                    Issue.record("expected a token")
                    return
                }
            }
        }
    }

    /// A resource server's context for the middleware.
    struct ResourceContext: TesseraAuthRequestContext {
        var coreContext: CoreRequestContextStorage
        var tesseraIdentity: TesseraIdentity?
        init(source: ApplicationRequestContextSource) { self.coreContext = .init(source: source) }
    }

    @Test func theMiddlewareProtectsARouteAndSeesARevocationWithinItsTTL() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let base = URL(string: "http://127.0.0.1:\(client.client.port!)/")!
                let introspector = TesseraIntrospector(
                    baseURL: base,
                    key: world.appKeys["resource"]!,
                    secret: world.appKeys["resource-secret"]!,
                    cacheTTL: .milliseconds(500)
                )
                let router = Router(context: ResourceContext.self)
                router.add(middleware: TesseraAuthMiddleware(introspector: introspector))
                router.get("/orders") { _, context in "orders of \(context.tesseraIdentity?.username ?? "nobody")" }
                let resource = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))

                let token = try #require(try await client.login("alice").token)
                try await resource.test(.live) { api in
                    let ok = try await api.execute(uri: "/orders", method: .get, headers: [.authorization: "Bearer \(token)"]) { $0 }
                    #expect(ok.status == .ok)
                    #expect(String(buffer: ok.body) == "orders of alice")
                    #expect(try await api.execute(uri: "/orders", method: .get) { $0.status } == .unauthorized)
                    #expect(
                        try await api.execute(uri: "/orders", method: .get, headers: [.authorization: "Bearer forged"]) { $0.status } == .unauthorized
                    )

                    _ = try await client.send(.delete, "/token", [("Et-App-Key", world.appKeys["acme"]!), ("Authorization", token)])
                    // Within the TTL the cached answer may still let it through; after it, never.
                    try await Task.sleep(for: .milliseconds(600))
                    let after = try await api.execute(uri: "/orders", method: .get, headers: [.authorization: "Bearer \(token)"]) { $0.status }
                    #expect(after == .unauthorized)
                }
            }
        }
    }
}
