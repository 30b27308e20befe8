import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TesseraServer
import TesseraStorage
import Testing

/// Metrics and readiness, through the real server.
@Suite struct OperationsTests {
    @Test func metricsCountALoginWithoutNamingAnyone() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                // The node trusts its token cache once it follows the revocation log (right after start).
                for _ in 0..<100 where !(try await client.send(.get, "/metrics", []).body.contains("tessera_token_cache_trusted 1\n")) {
                    try await Task.sleep(for: .milliseconds(50))
                }
                let token = try #require(try await client.login("alice").token)
                _ = try await client.login("alice", password: "wrong password")
                _ = try await client.info(token)
                _ = try await client.info(token)
                _ = try await client.login("bob")
                let metrics = try await client.send(.get, "/metrics", [])
                #expect(metrics.status == 200)
                #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
                let text = metrics.body
                #expect(text.contains(#"tessera_token_outcomes_total{state="Succeeded",step="",reason=""} 1"#))
                #expect(text.contains(#"tessera_token_outcomes_total{state="Failed",step="BaseAuthentication",reason="Invalid credentials"} 1"#))
                #expect(text.contains(#"tessera_http_requests_total{route="/token",method="POST",status="200"} 1"#))
                #expect(text.contains(#"tessera_token_checks_total{result="valid"} 2"#))
                #expect(text.contains(#"tessera_token_checks_total{result="invalid"} 0"#))
                // The second validation of the token was answered from the node's cache.
                #expect(text.contains(#"tessera_token_cache_lookups_total{result="hit"} 1"#))
                #expect(text.contains("tessera_token_cache_entries 1\n") && text.contains("tessera_token_cache_trusted 1\n"))
                #expect(text.contains(#"tessera_codes_sent_total{channel="email"} 1"#))
                #expect(text.contains("tessera_password_hash_seconds_count 3"))
                #expect(text.contains("tessera_database_query_seconds_count"))
                for secret in ["alice", "bob", token, TestWorld.password, world.appKeys["acme"]!] {
                    #expect(!text.contains(secret))
                }
            }
        }
    }

    @Test func readinessFlipsWhenTheDatabaseGoesAway() async throws {
        try await TestWorld.with { world in
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

    @Test func theOpenAPIDocumentListsExactlyTheRouterRoutes() async throws {
        try await TestWorld.with { world in
            let database = try await TesseraDatabase.open(.sqlite(path: world.databasePath), logger: Logger(label: "test"))
            let inRouter = Set(
                try buildRouter(world.configuration(), database: database, logger: Logger(label: "test")).router.routes.map {
                    "\($0.method.rawValue) \($0.path.description)"
                }
            )
            await database.close()
            // The document lists each API path once, relative to its servers; the router has it under both.
            let operations = ["/healthz", "/readyz", "/metrics", "/openapi.yaml"]
            let routes = Set(inRouter.map { $0.replacingOccurrences(of: " /api/", with: " /") })
            for route in routes {
                let path = String(route.split(separator: " ")[1])
                #expect(inRouter.contains(route), "\(route) is not served at the root")
                let underAPI = route.replacingOccurrences(of: " /", with: " /api/")
                #expect(inRouter.contains(underAPI) != operations.contains(path), "\(route): under /api only if an API route")
            }
            try await world.withServer { client in
                let served = try await client.send(.get, "/openapi.yaml", [])
                #expect(served.status == 200)
                #expect(served.body.hasPrefix("openapi: 3"))
                #expect(served.body.contains("\nservers:\n  - url: /\n") && served.body.contains("\n  - url: /api\n"))
                let documented = Self.documentedOperations(served.body)
                #expect(
                    documented == routes,
                    "only in the router: \(routes.subtracting(documented)); only in the document: \(documented.subtracting(routes))"
                )
                #expect(routes.count >= 18)
            }
        }
    }

    /// `METHOD /path` of every operation of an OpenAPI document: paths at two spaces under `paths:`, methods at
    /// four below them.
    static func documentedOperations(_ document: String) -> Set<String> {
        var documented = Set<String>()
        var path: String?
        var inPaths = false
        for line in document.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("paths:") {
                inPaths = true
                continue
            }
            if inPaths, let first = line.first, first != " " { inPaths = false }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast()).trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     ") {
                let method = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "put", "post", "delete", "patch"].contains(String(method)) {
                    documented.insert("\(method.uppercased()) \(path)")
                }
            }
        }
        return documented
    }
}
