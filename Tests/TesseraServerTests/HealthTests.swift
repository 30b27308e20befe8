import Foundation
import HTTPTypes
import Testing

@Suite struct HealthTests {
    @Test func healthAndReadiness() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let health = try await client.send(.get, "/healthz", [])
                #expect(health.status == 200)
                let ready = try await client.send(.get, "/readyz", [])
                #expect(ready.status == 200)
                #expect(ready.json["status"] as? String == "ready")
            }
        }
    }
}
