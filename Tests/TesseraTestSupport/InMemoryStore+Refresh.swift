import Foundation
import TesseraCore

extension InMemoryStore {
    public func insert(_ record: RefreshTokenRecord) async throws -> Bool {
        guard self.refreshTokensByDigest[record.digest] == nil else { throw DuplicateName("refresh token") }
        guard let key = self.appKeys[record.appKeyID], key.revokedAt == nil else { return false }
        var stored = record
        stored.sessionStartedAt = Self.stored(record.sessionStartedAt)
        stored.issuedAt = Self.stored(record.issuedAt)
        stored.expiresAt = Self.stored(record.expiresAt)
        stored.authenticatedAt = Self.stored(record.authenticatedAt)
        self.refreshTokensByDigest[record.digest] = stored
        return true
    }

    public func refreshToken(digest: String) async throws -> RefreshTokenRecord? {
        self.refreshTokensByDigest[digest]
    }

    public func spend(digest: String, appKeyID: Int64, at date: Date) async throws -> RefreshSpend? {
        guard var record = self.refreshTokensByDigest[digest], record.appKeyID == appKeyID else { return nil }
        guard record.spentAt == nil else { return .alreadySpent(record) }
        record.spentAt = Self.stored(date)
        self.refreshTokensByDigest[digest] = record
        return .spent(record)
    }

    public func revokeRefreshTokens(sessionID: String, at date: Date) async throws -> Int {
        let live = self.refreshTokensByDigest.values.filter { $0.sessionID == sessionID && $0.revokedAt == nil && $0.expiresAt > date }
        for record in live { self.refreshTokensByDigest[record.digest]?.revokedAt = Self.stored(date) }
        return live.count
    }

    public func isSessionEnded(sessionID: String) async throws -> Bool {
        self.refreshTokensByDigest.values.contains { $0.sessionID == sessionID && $0.revokedAt != nil }
    }
}
