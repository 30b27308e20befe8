import Foundation

/// A user's own remembered devices: the list, and forgetting one or all of them.
public struct DeviceService: Sendable {
    let devices: any DeviceStore
    let audit: any AuditLog
    let clock: any WallClock

    public init(devices: any DeviceStore, audit: any AuditLog, clock: any WallClock) {
        self.devices = devices
        self.audit = audit
        self.clock = clock
    }

    /// The user's live remembered devices, newest first.
    public func devices(of identity: AuthenticatedUser) async throws -> [TrustedDevice] {
        try await self.devices.trustedDevices(userID: identity.user.id, now: self.clock.now)
    }

    /// Forgets the user's remembered device `id`, or every one with `nil`; returns how many were live.
    public func forget(_ id: String?, of identity: AuthenticatedUser, app: ResolvedApp, client: RequestOrigin) async throws -> Int {
        let now = self.clock.now
        let count = try await self.devices.revokeTrustedDevices(userID: identity.user.id, id: id, at: now)
        if count > 0 {
            await self.audit.record(.deviceForgotten, at: now, app: app, userID: identity.user.id, client: client, outcome: "\(count) forgotten")
        }
        return count
    }
}
