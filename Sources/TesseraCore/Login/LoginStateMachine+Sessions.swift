import Foundation

/// The events of re-authentication (step-up) and of the devices users sign in from: a remembered device's token,
/// the session a bearer with a password re-authenticates, and the sightings behind new-device notices.
extension LoginStateMachine {
    /// The remembered device of the `DeviceToken`, or `nil` when there is none by it. Whether it vouches for the
    /// user is decided once the user is known; an unknown or dead one changes nothing (the code is asked for).
    public mutating func trustedDeviceLoaded(_ device: TrustedDevice?) -> Action {
        guard case .loadingDevice(let usernameKey, let password) = self.state else {
            preconditionFailure("trustedDeviceLoaded() answers loadTrustedDevice")
        }
        self.trustedDevice = device.flatMap { $0.appKeyID == self.app.appKey.id && $0.revokedAt == nil && self.now < $0.expiresAt ? $0 : nil }
        self.state = .loadingUser(usernameKey: usernameKey, password: password)
        return .loadUser(companyID: self.app.company.id, usernameKey: usernameKey)
    }

    /// The access token of a re-authentication and its user, or `nil` when the bearer is none of this app's.
    /// A live one is re-authenticated like a login: the password through all three layers, then the second factor.
    public mutating func sessionLoaded(_ record: AccessTokenRecord?, user: User?) -> Action {
        guard case .loadingSession = self.state else { preconditionFailure("sessionLoaded() answers loadSession") }
        guard let record, let user, record.isLive(at: self.now), record.appKeyID == self.app.appKey.id,
            record.userID == user.id, user.companyID == self.app.company.id,
            self.request.username.map({ Username.key($0) == user.usernameKey }) ?? true,
            let password = self.request.password, password.utf8.count <= self.limits.maximumCredentialLength
        else {
            return self.finish(.failed(step: .baseAuthentication, reason: .corruptedTicket))
        }
        self.reauthentication = Reauthentication(
            sessionID: record.sessionID,
            sessionStartedAt: record.sessionStartedAt,
            tokenDigest: record.digest
        )
        self.state = .loadingUser(usernameKey: user.usernameKey, password: password)
        return self.userLoaded(user)
    }

    /// Whether the re-authenticated session was still live once its fresh token was stored (if not, that token
    /// was revoked again: the session ended while the re-authentication ran).
    public mutating func reauthenticationConfirmed(live: Bool) -> Action {
        guard case .confirming = self.state else { preconditionFailure("reauthenticationConfirmed() answers confirmReauthentication") }
        if !live { self.decision?.outcome = .failed(step: .baseAuthentication, reason: .corruptedTicket) }
        return self.settle()
    }

    /// The device was recorded as seen; `sighting` tells when it was seen before.
    public mutating func deviceSeen(_ sighting: DeviceSighting) -> Action {
        // A user's first device on record is not news; one not seen for the interval is.
        let isNew =
            sighting.knownDevices > 0
            && sighting.previouslySeenAt.map { self.now.timeIntervalSince($0) > DevicePolicy.unseenInterval } ?? true
        guard isNew, let account else { return self.nextSettlement() }
        self.audit.append(LoginAuditEntry(.loginNewDevice, userID: account.user?.id, outcome: "new device"))
        return .noticeNewDevice(companyID: self.app.company.id, usernameKey: account.usernameKey)
    }

    /// The new-device notice was queued.
    public mutating func newDeviceNoticed() -> Action {
        self.nextSettlement()
    }
}
