import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import TesseraCore
import TesseraStorage
import Testing

/// Refresh tokens, for the companies that opt in (`refco` in the test world: tokens live 10 minutes, refresh
/// tokens an hour, sessions two hours), through the real server.
@Suite struct RefreshTokenTests {
    /// `POST /token` with a refresh token and nothing else.
    static func refresh(_ client: Client, _ token: String, app: String = "refco") async throws -> Answer {
        try await client.token(app: app, [("RefreshToken", token)])
    }

    /// The same, with the token in a form body as ETNA's schema sends credentials.
    static func refreshInForm(_ client: Client, _ token: String) async throws -> Answer {
        var fields = HTTPFields()
        fields.append(HTTPField(name: HTTPField.Name("Et-App-Key")!, value: client.world.appKeys["refco"]!))
        fields.append(HTTPField(name: .contentType, value: "application/x-www-form-urlencoded"))
        return try await client.client.execute(uri: "/token", method: .post, headers: fields, body: ByteBuffer(string: "RefreshToken=" + token)) {
            Answer(status: Int($0.status.code), headers: $0.headers, body: String(buffer: $0.body))
        }
    }

    static func pair(_ answer: Answer) throws -> (access: String, refresh: String) {
        #expect(answer.status == 200 && Set(answer.json.keys) == ["State", "Token", "RefreshToken"], "\(answer.body)")
        return (try #require(answer.token), try #require(answer.json["RefreshToken"] as? String))
    }

    static func isRefused(_ answer: Answer) -> Bool {
        answer.isFailure("BaseAuthentication", "Invalid refresh token")
    }

    func events(_ world: TestWorld, _ kind: AuditKind) async throws -> [AuditEvent] {
        let database = try await TesseraDatabase.open(.sqlite(path: world.databasePath), logger: Logger(label: "test"))
        defer { Task { await database.close() } }
        return try await database.audit.events(companyID: nil, userID: nil, since: nil, limit: 1000).filter { $0.kind == kind }
    }

    @Test func aRefreshRotatesAndAReusedTokenEndsTheWholeSession() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let first = try Self.pair(try await client.login("rita", app: "refco"))
                #expect(first.refresh.count >= 43, "at least 256 bits")
                #expect(try await client.info(first.access, app: "refco").status == 200)

                // Exchanged once: a new pair, both working; in a form body as well as in a header.
                let second = try Self.pair(try await Self.refreshInForm(client, first.refresh))
                #expect(second.access != first.access && second.refresh != first.refresh)
                #expect(try await client.info(second.access, app: "refco").status == 200)
                let third = try Self.pair(try await Self.refresh(client, second.refresh))

                // The first one again: a copy, or a client that lost the answer. Every token of the session ends,
                // the newest access token included; the user is told and the event audited.
                #expect(Self.isRefused(try await Self.refresh(client, first.refresh)))
                #expect(try await client.info(third.access, app: "refco").status == 401)
                #expect(try await client.info(first.access, app: "refco").status == 401)
                #expect(Self.isRefused(try await Self.refresh(client, third.refresh)))
                #expect(try await self.events(world, .tokenReuseDetected).count == 1)
                let notices = try await world.awaitMessages(to: "rita@example.com").filter { $0["notice"] as? String == "refresh-token-reused" }
                #expect(notices.count == 1)
                #expect(notices.first?["code"] == nil)
                // A new login starts a new session.
                #expect(try await client.login("rita", app: "refco").status == 200)
            }
        }
    }

    @Test func aLostAnswerRetriedAtOnceEndsTheSessionAndTheClientLogsInAgain() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let login = try Self.pair(try await client.login("rita", app: "refco"))
                // The answer to this refresh is "lost"; the client retries with the same token at once.
                let lost = try Self.pair(try await Self.refresh(client, login.refresh))
                let retry = try await Self.refresh(client, login.refresh)
                #expect(Self.isRefused(retry), "\(retry.body)")
                // What the lost answer held is dead too: nobody can tell the client from a thief.
                #expect(try await client.info(lost.access, app: "refco").status == 401)
                #expect(Self.isRefused(try await Self.refresh(client, lost.refresh)))
                #expect(try await client.login("rita", app: "refco").status == 200)
            }
        }
    }

    @Test func parallelRefreshesWithOneTokenGetAtMostOnePair() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let login = try Self.pair(try await client.login("rita", app: "refco"))
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<12 {
                        group.addTask { try await client.onNewConnection { try await Self.refresh($0, login.refresh).status } }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.filter { $0 == 200 }.count <= 1, "\(statuses)")
                #expect(statuses.allSatisfy { $0 == 200 || $0 == 401 }, "\(statuses)")
                // The others were reuses: the session is over.
                #expect(try await client.info(login.access, app: "refco").status == 401)
            }
        }
    }

    @Test func aPasswordChangeEndsTheRefreshOfEveryOtherSession() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let here = try Self.pair(try await client.login("rita", app: "refco"))
                let elsewhere = try Self.pair(try await client.login("rita", app: "refco"))
                let newPassword = "a brand new passphrase 42"
                let changed = try await client.changePassword(app: "refco", bearer: here.access, to: newPassword)
                #expect(changed.succeeded, "\(changed.body)")
                #expect(Self.isRefused(try await Self.refresh(client, elsewhere.refresh)))
                // The session that changed it goes on.
                _ = try Self.pair(try await Self.refresh(client, here.refresh))
            }
        }
    }

    @Test func anIdleSessionIsEndedToo() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                // Two sessions left idle past their access tokens' 10 minutes: only their refresh tokens live.
                let idle = try Self.pair(try await client.login("rita", app: "refco"))
                let revoked = try Self.pair(try await client.login("rita", app: "refco"))
                world.clock.advance(by: 601)
                // A password change from a third session ends both.
                let here = try Self.pair(try await client.login("rita", app: "refco"))
                let newPassword = "a brand new passphrase 42"
                let changed = try await client.changePassword(app: "refco", bearer: here.access, to: newPassword)
                #expect(changed.succeeded, "\(changed.body)")
                #expect(Self.isRefused(try await Self.refresh(client, idle.refresh)))
                #expect(Self.isRefused(try await Self.refresh(client, revoked.refresh)))
                _ = try Self.pair(try await Self.refresh(client, here.refresh))
            }
        }
    }

    @Test func aDisabledUserOrALogoutEndsRefresh() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let out = try Self.pair(try await client.login("rita", app: "refco"))
                #expect(
                    try await client.send(.delete, "/token", [("Et-App-Key", world.appKeys["refco"]!), ("Authorization", "Bearer \(out.access)")])
                        .status == 204
                )
                #expect(Self.isRefused(try await Self.refresh(client, out.refresh)))

                let session = try Self.pair(try await client.login("rita", app: "refco"))
                let database = try await TesseraDatabase.open(.sqlite(path: world.databasePath), logger: Logger(label: "test"))
                let refco = try #require(try await database.directory.company(named: "refco"))
                let rita = try #require(try await database.directory.user(companyID: refco.id, usernameKey: "rita"))
                try await database.directory.setUserDisabled(id: rita.id, at: world.clock.now)
                await database.close()
                #expect(Self.isRefused(try await Self.refresh(client, session.refresh)))
            }
        }
    }

    @Test func noRefreshCarriesASessionPastItsMaximumAge() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                var pair = try Self.pair(try await client.login("rita", app: "refco"))
                let started = world.clock.now
                // Every 50 minutes, inside the refresh token's hour: at 50 and at 100 minutes.
                for _ in 0..<2 {
                    world.clock.advance(by: 3000)
                    pair = try Self.pair(try await Self.refresh(client, pair.refresh))
                }
                // At 116 minutes: the new access token ends with the session at 120, not 10 minutes from now.
                world.clock.advance(by: 1000)
                let last = try Self.pair(try await Self.refresh(client, pair.refresh))
                let introspected = try await client.introspect(last.access, as: "refco-resource")
                let expiry = try #require(introspected.json["exp"] as? Int)
                #expect(expiry == Int(started.addingTimeInterval(7200).timeIntervalSince1970), "\(introspected.body)")
                world.clock.advance(by: 241)
                #expect(Self.isRefused(try await Self.refresh(client, last.refresh)))
            }
        }
    }

    @Test func introspectionNamesARefreshTokenAndNeverCallsItActive() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let pair = try Self.pair(try await client.login("rita", app: "refco"))
                let live = try await client.introspect(pair.refresh, as: "refco-resource")
                #expect(live.json["active"] as? Bool == false && live.json["token_type"] as? String == "refresh_token", "\(live.body)")
                #expect(try await client.info(pair.refresh, app: "refco").status == 401, "a refresh token never opens the API")
                _ = try Self.pair(try await Self.refresh(client, pair.refresh))
                let spent = try await client.introspect(pair.refresh, as: "refco-resource")
                #expect(Set(spent.json.keys) == ["active"] && spent.json["active"] as? Bool == false, "\(spent.body)")
                // Another company's resource server learns nothing.
                let fresh = try Self.pair(try await client.login("rita", app: "refco"))
                #expect(Set(try await client.introspect(fresh.refresh).json.keys) == ["active"])
            }
        }
    }

    @Test func refreshIsAGrantOfItsOwnAndOnlyForCompaniesThatOptIn() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let pair = try Self.pair(try await client.login("rita", app: "refco"))
                // Beside credentials: refused, and the token is not spent.
                let mixed = try await client.token(
                    app: "refco",
                    [("RefreshToken", pair.refresh), ("Username", "rita"), ("Password", TestWorld.password)]
                )
                #expect(mixed.status == 400 && !mixed.body.contains(pair.refresh), "\(mixed.body)")
                // Through another app (even of the same company it would be another binding): unknown.
                #expect(Self.isRefused(try await Self.refresh(client, pair.refresh, app: "acme")))
                #expect(Self.isRefused(try await Self.refresh(client, "not a token", app: "refco")))
                // None of those spent it, or counted as a reuse.
                _ = try Self.pair(try await Self.refresh(client, pair.refresh))
                // A company that did not opt in answers ETNA's contract: no RefreshToken, and none accepted.
                #expect(try await client.login("alice").isSuccess)
                #expect(Self.isRefused(try await Self.refresh(client, pair.refresh, app: "acme")))
                // A two-factor login gets its refresh token at the end.
                let first = try await client.login("rob", app: "refco")
                #expect(first.status == 202 && first.json["RefreshToken"] == nil)
                let code = try #require(try await world.awaitCodes(to: "rob@example.com").last)
                let done = try await client.token(
                    app: "refco",
                    [("Authorization", "Bearer \(try #require(first.token))"), ("VerificationCode", code)]
                )
                _ = try Self.pair(done)
            }
        }
    }
}
