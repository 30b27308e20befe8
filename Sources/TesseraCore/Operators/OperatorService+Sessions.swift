import Foundation

extension OperatorService {
    // MARK: Sessions

    /// The user's live sessions, newest first.
    public func sessions(of reference: UserReference, by actor: OperatorActor) async throws -> [Session] {
        try actor.require(.viewer)
        let (_, user) = try await self.resolve(reference)
        return try await self.stores.accessTokens.sessions(userID: user.id, now: self.now)
    }

    /// Ends one live session by its public id.
    public func endSession(id: String, by actor: OperatorActor) async throws {
        try actor.require(.support)
        let owner = try await self.stores.accessTokens.sessionOwner(sessionID: id).asyncMap { try await self.directory.user(id: $0) } ?? nil
        // An operator's session is the admins' to end, as every other action on an operator's account.
        if let owner, let company = try await self.directory.company(id: owner.companyID), company.name == Self.operatorsCompany {
            try actor.require(.admin)
        }
        guard try await self.stores.accessTokens.revoke(sessionID: id, userID: nil, at: self.now) else {
            throw OperatorError(.notFound, "no live session has the id \(id)")
        }
        try await self.record(.tokensRevoked, by: actor, companyID: owner?.companyID, userID: owner?.id, outcome: "session \(id) ended")
    }

    /// Ends every live session of the user; returns how many.
    public func endSessions(of reference: UserReference, by actor: OperatorActor) async throws -> Int {
        try actor.require(.support)
        let (company, user) = try await self.resolveForSupport(reference, by: actor)
        let count = try await self.stores.accessTokens.revokeAll(userID: user.id, keeping: nil, at: self.now)
        try await self.record(.tokensRevoked, by: actor, companyID: company.id, userID: user.id)
        return count
    }

    // MARK: Remembered devices

    /// The user's live remembered devices, newest first.
    public func trustedDevices(of reference: UserReference, by actor: OperatorActor) async throws -> [TrustedDevice] {
        try actor.require(.viewer)
        let (_, user) = try await self.resolve(reference)
        return try await self.stores.devices.trustedDevices(userID: user.id, now: self.now)
    }

    /// Forgets one of the user's remembered devices by id, or all with `nil`; returns how many.
    public func forgetTrustedDevices(of reference: UserReference, id: String?, by actor: OperatorActor) async throws -> Int {
        try actor.require(.support)
        let (company, user) = try await self.resolveForSupport(reference, by: actor)
        let count = try await self.stores.devices.revokeTrustedDevices(userID: user.id, id: id, at: self.now)
        if let id, count == 0 { throw OperatorError(.notFound, "the user has no remembered device with the id \(id)") }
        try await self.record(.deviceForgotten, by: actor, companyID: company.id, userID: user.id, outcome: "\(count) forgotten")
        return count
    }

    // MARK: Audit

    /// Audit events, newest first: of one kind, of one user (by reference) or one company, since a time, at most
    /// `limit`.
    public func auditEvents(
        kind: AuditKind? = nil,
        user: UserReference?,
        company: String?,
        since: Date?,
        limit: Int,
        by actor: OperatorActor
    )
        async throws -> [AuditEvent]
    {
        try actor.require(.viewer)
        guard limit > 0 else { throw OperatorError(.invalid, "the limit must be positive") }
        var companyID: Int64?
        var userID: Int64?
        if let user {
            let (found, account) = try await self.resolve(user)
            (companyID, userID) = (found.id, account.id)
        } else if let company {
            companyID = try await self.requireCompany(company).id
        }
        return try await self.stores.audit.events(kind: kind, companyID: companyID, userID: userID, since: since, limit: limit)
    }
}
