import Hummingbird
import Logging

/// `GET /healthz` (the process answers) and `GET /readyz` (the database answers too).
struct HealthController: Sendable {
    let ping: @Sendable () async throws -> Void

    func addRoutes(to router: RouterGroup<TesseraRequestContext>) {
        router.get("/healthz") { _, _ in
            Wire.json(.ok, JSONText.object(["status": .string("ok")]))
        }
        router.get("/readyz") { _, context in
            do {
                try await self.ping()
                return Wire.json(.ok, JSONText.object(["status": .string("ready")]))
            } catch {
                context.logger.warning("readiness check failed: the database does not answer")
                return Wire.unavailable("The database does not answer")
            }
        }
    }
}
