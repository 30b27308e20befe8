import TesseraCore

/// Finds the live app (and company) behind an `Et-App-Key`.
struct AppResolver: Sendable {
    let directory: any DirectoryStore

    /// `nil` for a missing, oversized, unknown or revoked key.
    func resolve(_ key: String?) async throws -> ResolvedApp? {
        guard let key, !key.isEmpty, key.utf8.count <= LoginLimits().maximumCredentialLength else { return nil }
        guard let app = try await self.directory.app(digest: SecretDigest.sha256(key)), !app.appKey.isRevoked else {
            return nil
        }
        return app
    }
}
