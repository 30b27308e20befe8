import Foundation
import Testing

/// Metrics and readiness, through the real server.
@Suite struct OperationsTests {
    @Test func metricsCountALoginWithoutNamingAnyone() async throws {
        let world = try await TestWorld.make()
        defer { world.removeFiles() }
        try await world.withServer { client in
            let token = try #require(try await client.login("alice").token)
            _ = try await client.login("alice", password: "wrong password")
            _ = try await client.info(token)
            _ = try await client.login("bob")
            let metrics = try await client.send(.get, "/metrics", [])
            #expect(metrics.status == 200)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = metrics.body
            #expect(text.contains(#"tessera_token_outcomes_total{state="Succeeded",step="",reason=""} 1"#))
            #expect(text.contains(#"tessera_token_outcomes_total{state="Failed",step="BaseAuthentication",reason="Invalid credentials"} 1"#))
            #expect(text.contains(#"tessera_http_requests_total{route="/token",method="POST",status="200"} 1"#))
            #expect(text.contains(#"tessera_token_checks_total{result="valid"} 1"#))
            #expect(text.contains(#"tessera_codes_sent_total{channel="email"} 1"#))
            #expect(text.contains("tessera_password_hash_seconds_count 3"))
            #expect(text.contains("tessera_database_query_seconds_count"))
            for secret in ["alice", "bob", token, TestWorld.password, world.appKeys["acme"]!] {
                #expect(!text.contains(secret))
            }
        }
    }

    @Test func readinessFlipsWhenTheDatabaseGoesAway() async throws {
        let world = try await TestWorld.make()
        defer { world.removeFiles() }
        try await world.withServer { client in
            #expect(try await client.send(.get, "/readyz", []).status == 200)
            try FileManager.default.removeItem(atPath: world.databasePath)
            let ready = try await client.send(.get, "/readyz", [])
            #expect(ready.status == 503)
            #expect(ready.headers[.retryAfter] != nil)
            #expect(try await client.send(.get, "/healthz", []).status == 200)
        }
    }
}
