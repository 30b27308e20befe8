import Synchronization
import TesseraCore

/// Finds the live app (and company) behind an `Et-App-Key`.
///
/// Answers are kept for ``cacheTTL`` per node, so the key lookup does not cost a query on every request: a key
/// revoked with the CLI stops working on a running node within that time (the tokens issued through it are
/// revoked in the database at once).
final class AppResolver: Sendable {
    static let cacheTTL: Duration = .seconds(2)
    static let maximumEntries = 10_000

    let directory: any DirectoryStore
    private let cache = Mutex<[String: (app: ResolvedApp?, until: ContinuousClock.Instant)]>([:])

    init(directory: any DirectoryStore) {
        self.directory = directory
    }

    /// `nil` for a missing, oversized, unknown or revoked key.
    func resolve(_ key: String?) async throws -> ResolvedApp? {
        guard let key, !key.isEmpty, key.utf8.count <= LoginLimits().maximumCredentialLength else { return nil }
        let digest = SecretDigest.sha256(key)
        let now = ContinuousClock.now
        if let cached = self.cache.withLock({ $0[digest] }), cached.until > now {
            return cached.app
        }
        var app = try await self.directory.app(digest: digest)
        if app?.appKey.isRevoked == true { app = nil }
        self.cache.withLock { cache in
            if cache.count >= Self.maximumEntries { cache.removeAll() }
            cache[digest] = (app, now + Self.cacheTTL)
        }
        return app
    }
}
