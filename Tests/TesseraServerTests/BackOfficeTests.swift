import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import TesseraCore
import TesseraServer
import TesseraStorage
import Testing

/// The back office through its own listener: operators sign in with password and authenticator code through the
/// login flow, every action is checked against the operator's role on the server, the admin API's document lists
/// exactly its routes, and nothing of it is on the public listener.
@Suite struct BackOfficeTests {
    static let password = "operator password, long enough"

    /// An operator made through the operator service, with their authenticator secret.
    struct Operator {
        let username: String
        let secret: [UInt8]

        /// The authenticator's code at `date` (the world's clock).
        func code(at date: Date) -> String {
            TOTP(secret: self.secret).code(step: TOTP.step(at: date))
        }
    }

    static func makeOperator(_ world: TestWorld, _ username: String, _ role: OperatorRole) async throws -> Operator {
        let (_, enrolment) = try await world.withOperators {
            try await $0.createOperator(username: username, role: role, password: Self.password, email: nil, by: .cli)
        }
        return Operator(username: username, secret: try #require(Base32.decode(enrolment.secret)))
    }

    /// Runs `body` with a client of the admin listener and one of the public listener, on the world's database.
    static func withBackOffice(_ world: TestWorld, _ body: @Sendable (any TestClientProtocol, Client) async throws -> Void) async throws {
        var configuration = world.configuration()
        configuration.adminPort = 0
        let database = try await TesseraDatabase.open(.sqlite(path: world.databasePath), logger: Logger(label: "test"))
        let parts = try buildRouter(configuration, database: database, logger: Logger(label: "test"))
        let admin = Application(router: try #require(parts.admin))
        do {
            try await admin.test(.live) { adminClient in
                try await world.withServer { publicClient in try await body(adminClient, publicClient) }
            }
            await database.close()
        } catch {
            await database.close()
            throw error
        }
    }

    static func json(
        _ client: any TestClientProtocol,
        _ method: HTTPRequest.Method,
        _ path: String,
        token: String? = nil,
        _ body: [String: Any]? = nil
    ) async throws -> (status: Int, object: Any?) {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        let buffer = try body.map { ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: $0)) }
        return try await client.execute(uri: path, method: method, headers: headers, body: buffer) { response in
            (Int(response.status.code), try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)))
        }
    }

    static func signIn(_ client: any TestClientProtocol, _ who: Operator, at date: Date, password: String = Self.password) async throws -> String? {
        let answer = try await Self.json(
            client,
            .post,
            "/admin/v1/sign-in",
            ["username": who.username, "password": password, "code": who.code(at: date)]
        )
        return (answer.object as? [String: Any])?["token"] as? String
    }

    @Test func operatorsSignInWithPasswordAndCodeAndEachRoleIsCheckedOnTheServer() async throws {
        try await TestWorld.with { world in
            let admin = try await Self.makeOperator(world, "ada", .admin)
            let support = try await Self.makeOperator(world, "sam", .support)
            let viewer = try await Self.makeOperator(world, "vic", .viewer)
            try await Self.withBackOffice(world) { office, _ in
                // Without a token: nothing.
                #expect(try await Self.json(office, .get, "/admin/v1/companies").status == 401)
                // A wrong password or a wrong code: one refusal, no token.
                #expect(try await Self.signIn(office, admin, at: world.clock.now, password: "not the password, no") == nil)
                #expect(
                    try await Self.json(office, .post, "/admin/v1/sign-in", ["username": "ada", "password": Self.password, "code": "000000"]).status
                        == 401
                )
                let adminToken = try #require(try await Self.signIn(office, admin, at: world.clock.now))
                // A code works once: the same step again is refused.
                #expect(try await Self.signIn(office, admin, at: world.clock.now) == nil)
                world.clock.advance(by: 30)
                let supportToken = try #require(try await Self.signIn(office, support, at: world.clock.now))
                let viewerToken = try #require(try await Self.signIn(office, viewer, at: world.clock.now))

                let companies = try await Self.json(office, .get, "/admin/v1/companies", token: viewerToken)
                let names = (companies.object as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                #expect(companies.status == 200 && names.contains("acme") && !names.contains(OperatorService.operatorsCompany))

                // The viewer reads, never writes; support acts on users, not on companies.
                #expect(try await Self.json(office, .post, "/admin/v1/companies", token: viewerToken, ["name": "x1"]).status == 403)
                #expect(try await Self.json(office, .post, "/admin/v1/companies", token: supportToken, ["name": "x2"]).status == 403)
                #expect(try await Self.json(office, .post, "/admin/v1/companies/acme/users/alice/disable", token: viewerToken).status == 403)
                let created = try await Self.json(
                    office,
                    .post,
                    "/admin/v1/companies",
                    token: adminToken,
                    ["name": "brokerco", "policy": ["passwordMinLength": 14]]
                )
                #expect(created.status == 201, "\(String(describing: created.object))")
                #expect(((created.object as? [String: Any])?["policy"] as? [String: Any])?["passwordMinLength"] as? Int == 14)
                #expect(
                    try await Self.json(office, .put, "/admin/v1/companies/brokerco/policy", token: adminToken, ["passwordMinLength": 3]).status
                        == 400
                )

                // Support unlocks and disables a trader; the audit names the operator.
                #expect(try await Self.json(office, .post, "/admin/v1/companies/acme/users/alice/disable", token: supportToken).status == 200)
                let events = try await Self.json(office, .get, "/admin/v1/audit?kind=user.disabled", token: viewerToken)
                #expect((events.object as? [[String: Any]])?.first?["actor"] as? String == "operator:sam")

                // The operators' own accounts are the admins': support cannot disable one.
                #expect(try await Self.json(office, .post, "/admin/v1/companies/%23operators/users/ada/disable", token: supportToken).status == 403)
                // The operators' company is built in: no policy change, no app key.
                #expect(
                    try await Self.json(office, .put, "/admin/v1/companies/%23operators/policy", token: adminToken, ["requireTwoFactor": false])
                        .status == 409
                )
                #expect(
                    try await Self.json(office, .post, "/admin/v1/companies/%23operators/app-keys", token: adminToken, ["name": "side door"]).status
                        == 409
                )
            }
        }
    }

    @Test func aSessionEndsAfterFifteenIdleMinutesAndDestructiveActionsAskAgain() async throws {
        try await TestWorld.with { world in
            let admin = try await Self.makeOperator(world, "ada", .admin)
            try await Self.withBackOffice(world) { office, _ in
                let token = try #require(try await Self.signIn(office, admin, at: world.clock.now))
                let key = try await Self.json(office, .post, "/admin/v1/companies/acme/app-keys", token: token, ["name": "doomed"])
                let id = try #require((key.object as? [String: Any])?["id"] as? Int)

                // Revoking needs the password and a fresh code again: the sign-in's own code (spent), the right
                // password with a wrong code, or a wrong password are refused, and the key stays live.
                let path = "/admin/v1/app-keys/\(id)/revoke"
                let replayed = try await Self.json(
                    office,
                    .post,
                    path,
                    token: token,
                    ["password": Self.password, "code": admin.code(at: world.clock.now)]
                )
                #expect(replayed.status == 401)
                world.clock.advance(by: 14 * 60)
                #expect(try await Self.json(office, .get, "/admin/v1/me", token: token).status == 200)
                #expect(try await Self.json(office, .post, path, token: token, ["password": Self.password, "code": "000000"]).status == 401)
                let wrongPassword = ["password": "wrong password here", "code": admin.code(at: world.clock.now)]
                #expect(try await Self.json(office, .post, path, token: token, wrongPassword).status == 401)
                let keys = try await Self.json(office, .get, "/admin/v1/companies/acme/app-keys", token: token)
                #expect((keys.object as? [[String: Any]])?.first { $0["id"] as? Int == id }?["revokedAt"] is NSNull)
                world.clock.advance(by: 30)
                let right = try await Self.json(
                    office,
                    .post,
                    "/admin/v1/app-keys/\(id)/revoke",
                    token: token,
                    ["password": Self.password, "code": admin.code(at: world.clock.now)]
                )
                #expect(right.status == 200 && (right.object as? [String: Any])?["revokedAt"] is String, "\(String(describing: right.object))")

                // Idle for 16 minutes: the session is over.
                world.clock.advance(by: 16 * 60)
                #expect(try await Self.json(office, .get, "/admin/v1/me", token: token).status == 401)
                #expect(try await Self.json(office, .get, "/admin/v1/me", token: token).status == 401)
            }
        }
    }

    @Test func aSessionLastsEightHoursAtMostHoweverBusyOrReconfirmed() async throws {
        try await TestWorld.with { world in
            let admin = try await Self.makeOperator(world, "ada", .admin)
            try await Self.withBackOffice(world) { office, _ in
                let token = try #require(try await Self.signIn(office, admin, at: world.clock.now))
                // Busy every ten minutes for almost eight hours: still signed in.
                for _ in 0..<47 {
                    world.clock.advance(by: 10 * 60)
                    #expect(try await Self.json(office, .get, "/admin/v1/me", token: token).status == 200)
                }
                world.clock.advance(by: 11 * 60)
                #expect(try await Self.json(office, .get, "/admin/v1/me", token: token).status == 401)
            }
        }
    }

    @Test func supportCannotEndAnOperatorsSessionAndBadInputIsAClearRefusal() async throws {
        try await TestWorld.with { world in
            let admin = try await Self.makeOperator(world, "ada", .admin)
            let support = try await Self.makeOperator(world, "sam", .support)
            try await Self.withBackOffice(world) { office, front in
                let adminToken = try #require(try await Self.signIn(office, admin, at: world.clock.now))
                let supportToken = try #require(try await Self.signIn(office, support, at: world.clock.now))
                let sessions = try await Self.json(office, .get, "/admin/v1/companies/%23operators/users/ada/sessions", token: supportToken)
                let id = try #require((sessions.object as? [[String: Any]])?.first?["id"] as? String)
                #expect(try await Self.json(office, .delete, "/admin/v1/sessions/\(id)", token: supportToken).status == 403)
                #expect(try await Self.json(office, .get, "/admin/v1/me", token: adminToken).status == 200)

                // A trader's session: support ends it, and the audit says whose it was.
                let trader = try #require(try await front.login("alice").token)
                let traderSessions = try await Self.json(office, .get, "/admin/v1/companies/acme/users/alice/sessions", token: supportToken)
                let traderSession = try #require((traderSessions.object as? [[String: Any]])?.first?["id"] as? String)
                #expect(try await Self.json(office, .delete, "/admin/v1/sessions/\(traderSession)", token: supportToken).status == 200)
                #expect(try await front.info(trader).status == 401)
                let ended = try await Self.json(office, .get, "/admin/v1/audit?kind=tokens.revoked&user=alice&company=acme", token: supportToken)
                #expect((ended.object as? [[String: Any]])?.first?["actor"] as? String == "operator:sam", "\(String(describing: ended.object))")

                // Out-of-range filters and non-JSON bodies are refused, never a crash.
                for since in ["infd", "1e13d", "99999999d", "-5h", "soon"] {
                    #expect(try await Self.json(office, .get, "/admin/v1/audit?since=\(since)", token: supportToken).status == 400, "\(since)")
                }
                #expect(try await Self.json(office, .get, "/admin/v1/audit?kind=no.such", token: supportToken).status == 400)
                let plain = try await office.execute(
                    uri: "/admin/v1/sign-in",
                    method: .post,
                    headers: [.contentType: "text/plain"],
                    body: ByteBuffer(string: "{\"username\":\"ada\",\"password\":\"x\",\"code\":\"0\"}")
                ) { $0.status }
                #expect(plain == .unsupportedMediaType)
            }
        }
    }

    /// Signs `who` in at the console's form; returns the session cookie and a CSRF token of its pages.
    static func consoleSignIn(_ client: any TestClientProtocol, _ who: Operator, at date: Date) async throws -> (cookie: String, csrf: String) {
        let page = try await client.execute(uri: "/sign-in", method: .get, headers: [:], body: nil) { $0 }
        let setCookie = try #require(page.headers[.setCookie])
        let formCookie = String(setCookie.prefix { $0 != ";" })
        let formToken = try #require(formCookie.split(separator: "=", maxSplits: 1).last.map(String.init))
        let form =
            "csrf=\(formToken)&username=\(who.username)&password=\(Self.password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&code=\(who.code(at: date))"
        let signedIn = try await client.execute(
            uri: "/sign-in",
            method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded", .cookie: formCookie],
            body: ByteBuffer(string: form)
        ) { $0 }
        #expect(signedIn.status == .seeOther)
        let session = try #require(signedIn.headers[values: .setCookie].first { $0.hasPrefix("tessera_admin=") })
        #expect(session.contains("HttpOnly") && session.contains("SameSite=Strict"))
        let cookie = String(session.prefix { $0 != ";" })
        let home = try await client.execute(uri: "/companies", method: .get, headers: [.cookie: cookie], body: nil) { String(buffer: $0.body) }
        let csrf = try #require(home.firstRange(of: "name=\"csrf\" value=\"").map { String(home[$0.upperBound...].prefix { $0 != "\"" }) })
        return (cookie, csrf)
    }

    static func post(_ client: any TestClientProtocol, _ path: String, cookie: String, _ form: String) async throws -> (HTTPResponse.Status, String) {
        try await client.execute(
            uri: path,
            method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded", .cookie: cookie],
            body: ByteBuffer(string: form)
        ) { ($0.status, String(buffer: $0.body)) }
    }

    @Test func theConsoleSavesEveryPolicyFieldAndRefusesForeignFormsAndLowRoles() async throws {
        try await TestWorld.with { world in
            let admin = try await Self.makeOperator(world, "ada", .admin)
            let viewer = try await Self.makeOperator(world, "vic", .viewer)
            try await Self.withBackOffice(world) { office, _ in
                let (cookie, csrf) = try await Self.consoleSignIn(office, admin, at: world.clock.now)
                let form =
                    "csrf=\(csrf)&tokenTtl=3600&passwordMinLength=14&passwordMaxAge=0&maxFailuresPerDevice=10&maxFailuresPerAccount=50"
                    + "&maxFailuresPerAddress=100&throttleAnswer=etna&stepUp=on&recentAuthMinutes=5&trustedDeviceDays=7&newDeviceNotices=on"
                    + "&userExpiryDays=90"
                let (status, _) = try await Self.post(office, "/companies/acme/policy", cookie: cookie, form)
                #expect(status == .seeOther)
                let policy = try await world.withOperators { try await $0.company(named: "acme", by: .cli).policy }
                #expect(policy.passwords.minimumLength == 14 && policy.tokenLifetime == 3600 && policy.lockout.accountFailureLimit == 50)
                #expect(policy.throttleAnswer == .etna && policy.recentAuthentication == 5 && policy.devices.trustedDeviceDays == 7)
                #expect(policy.devices.newDeviceNotices && policy.userExpiryDays == 90 && !policy.requireTwoFactor)
                #expect(policy.browserOrigins == [TestWorld.acmeTerminal], "the WebApi tab's origins are not this form's")

                // Without its token, or with another session's: refused, nothing changes.
                let (missing, page) = try await Self.post(office, "/companies", cookie: cookie, "name=evilco")
                #expect(missing == .forbidden && page.contains("Form expired"))
                world.clock.advance(by: 30)
                let (viewerCookie, viewerCSRF) = try await Self.consoleSignIn(office, viewer, at: world.clock.now)
                #expect(try await Self.post(office, "/companies", cookie: cookie, "csrf=\(viewerCSRF)&name=evilco").0 == .forbidden)
                // A viewer with its own token: the server refuses the write.
                let (refused, body) = try await Self.post(office, "/companies", cookie: viewerCookie, "csrf=\(viewerCSRF)&name=evilco")
                #expect(refused == .forbidden && body.contains("Not allowed"))
                #expect(try await world.withOperators { try await $0.companies(by: .cli) }.allSatisfy { $0.name != "evilco" })
            }
        }
    }

    @Test func nothingOfTheBackOfficeIsOnThePublicListenerAndOperatorTokensOpenNoPublicRoute() async throws {
        try await TestWorld.with { world in
            let admin = try await Self.makeOperator(world, "ada", .admin)
            try await Self.withBackOffice(world) { office, front in
                for path in ["/admin/v1/companies", "/sign-in", "/companies", "/admin"] {
                    #expect(try await front.send(.get, path, []).status == 404, "\(path)")
                }
                let token = try #require(try await Self.signIn(office, admin, at: world.clock.now))
                // An operator's token is no trader's: acme's info refuses it.
                #expect(try await front.info(token).status == 401)
                // The console sends a browser without a session to the sign-in page.
                let page = try await office.execute(uri: "/companies", method: .get, headers: [:], body: nil) { $0 }
                #expect(page.status == .seeOther && page.headers[.location] == "/sign-in")
                let signIn = try await office.execute(uri: "/sign-in", method: .get, headers: [:], body: nil) { $0 }
                #expect(signIn.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'self'") == true)
                #expect(signIn.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
                #expect(signIn.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            }
        }
    }

    @Test func theAdminAPIDocumentListsExactlyItsRoutes() async throws {
        try await TestWorld.with { world in
            var configuration = world.configuration()
            configuration.adminPort = 0
            let database = try await TesseraDatabase.open(.sqlite(path: world.databasePath), logger: Logger(label: "test"))
            defer { Task { await database.close() } }
            let admin = try #require(try buildRouter(configuration, database: database, logger: Logger(label: "test")).admin)
            let routes = Set(
                admin.routes.filter { $0.path.description.hasPrefix("/admin/v1") }.map { "\($0.method.rawValue) \($0.path.description)" }
            )
            let documented = OperationsTests.documentedOperations(try AdminDocument.text())
            #expect(documented == routes)
            #expect(routes.count >= 19)
        }
    }
}

/// The admin API's OpenAPI document, as the admin listener serves it.
enum AdminDocument {
    static func text() throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/TesseraServer/Resources/admin-openapi.yaml")
        return try String(contentsOf: url, encoding: .utf8)
    }
}

extension HTTPField.Name {
    fileprivate static let contentSecurityPolicy = Self("Content-Security-Policy")!
}
