import Foundation
import Testing

@testable import TesseraCore

/// The machine's rules for re-authentication, remembered devices, new-device notices and user expiry.
@Suite struct LoginStateMachineSessionTests {
    typealias Table = LoginStateMachineTests
    static let t0 = Table.t0

    static let devices = CompanyPolicy(
        requirePin: true,
        recentAuthentication: 10,
        devices: DevicePolicy(newDeviceNotices: true, trustedDeviceDays: 30)
    )

    static func device(userID: Int64 = 5, appKeyID: Int64 = 10, createdAt: Date = t0, expiresAt: Date? = nil) -> TrustedDevice {
        TrustedDevice(
            id: "device-1",
            digest: SecretDigest.sha256("device-token"),
            userID: userID,
            appKeyID: appKeyID,
            companyID: 1,
            label: "",
            address: nil,
            createdAt: createdAt,
            expiresAt: expiresAt ?? createdAt.addingTimeInterval(86_400)
        )
    }

    /// A 2-FA user with a PIN, whose password was set at t0.
    static let user = Table.user(.email, pin: "2468")

    // MARK: Remembered devices

    @Test func aRememberedDeviceSkipsTheCodeButNeverThePin() {
        let request = LoginRequest(username: "alice", password: "pw", deviceToken: "device-token")
        var machine = Table.machine(request, policy: Self.devices, now: Self.t0.addingTimeInterval(60))
        let run = Table.run(&machine, Table.Script(user: Self.user, device: Self.device()))
        #expect(run.steps.contains("loadTrustedDevice"))
        // Straight to the PIN: no code drawn, nothing sent.
        guard case .expecting(.securityPin, .expectingPin, _, _) = run.outcome else {
            Issue.record("expected the PIN step, got \(String(describing: run.outcome))")
            return
        }
        #expect(run.decision?.message == nil)
        #expect(run.actions.contains { if case .verifyPassword(_, _, true) = $0 { true } else { false } }, "the trusted lane")
    }

    @Test(arguments: [
        ("another user's", Self.device(userID: 6)),
        ("another app's", Self.device(appKeyID: 11)),
        ("remembered before the password was set", Self.device(createdAt: t0.addingTimeInterval(-1))),
        ("expired", Self.device(expiresAt: t0.addingTimeInterval(30))),
    ])
    func aDeviceThatDoesNotVouchChangesNothing(_ name: String, _ device: TrustedDevice) {
        let request = LoginRequest(username: "alice", password: "pw", deviceToken: "device-token")
        var machine = Table.machine(request, policy: Self.devices, now: Self.t0.addingTimeInterval(60))
        let run = Table.run(&machine, Table.Script(user: Self.user, device: device))
        guard case .expecting(.verificationCode, .expectingCode, _, _) = run.outcome else {
            Issue.record("\(name): expected the code step, got \(String(describing: run.outcome))")
            return
        }
        #expect(run.decision?.message != nil, "\(name)")
        #expect(run.actions.contains { if case .verifyPassword(_, _, false) = $0 { true } else { false } }, "\(name)")
    }

    @Test func aDeviceTokenIsNotLookedUpWhereDevicesAreNotRemembered() {
        let request = LoginRequest(username: "alice", password: "pw", deviceToken: "device-token")
        let run = Table.run(request, Table.Script(user: Table.user(.email)))
        #expect(!run.steps.contains("loadTrustedDevice"))
        guard case .expecting(.verificationCode, _, _, _) = run.outcome else {
            Issue.record("expected the code step")
            return
        }
    }

    @Test func onlyALoginThatPassedACodeIsRemembered() {
        let policy = CompanyPolicy(devices: DevicePolicy(trustedDeviceDays: 30))
        let transaction = Table.waitingForCode(policy: policy)
        let code = LoginRequest(verificationCode: "123456", interimToken: "interim", rememberDevice: true)
        let remembered = Table.laterRequest(code, transaction: transaction, user: Table.user(.email), policy: policy)
        guard case .succeeded(_, _, let deviceToken?) = remembered?.outcome, let device = remembered?.trustedDevice else {
            Issue.record("expected a device token, got \(String(describing: remembered?.outcome))")
            return
        }
        #expect(device.token == deviceToken && device.record.digest == SecretDigest.sha256(deviceToken))
        #expect(device.record.expiresAt == Self.t0.addingTimeInterval(30 * 86_400))

        // Not asked for; or no code passed (a user without 2-FA): none.
        var unasked = code
        unasked.rememberDevice = false
        #expect(Table.laterRequest(unasked, transaction: transaction, user: Table.user(.email), policy: policy)?.trustedDevice == nil)
        let single = Table.firstRequest(LoginRequest(username: "alice", password: "pw", rememberDevice: true), policy: policy)
        guard case .succeeded(_, _, nil) = single?.outcome else {
            Issue.record("expected a success without a device token")
            return
        }
    }

    // MARK: New devices

    @Test(arguments: [
        ("the user's first device on record", DeviceSighting(previouslySeenAt: nil, knownDevices: 0), false),
        ("a device seen yesterday", DeviceSighting(previouslySeenAt: t0.addingTimeInterval(-86_400), knownDevices: 2), false),
        ("a device never seen", DeviceSighting(previouslySeenAt: nil, knownDevices: 1), true),
        ("a device not seen for 91 days", DeviceSighting(previouslySeenAt: t0.addingTimeInterval(-91 * 86_400), knownDevices: 1), true),
    ])
    func aNewDeviceIsAuditedAndNoticed(_ name: String, _ sighting: DeviceSighting, _ isNew: Bool) {
        let policy = CompanyPolicy(devices: DevicePolicy(newDeviceNotices: true))
        var machine = Table.machine(LoginRequest(username: "alice", password: "pw"), policy: policy)
        let run = Table.run(&machine, Table.Script(user: Table.user(), sighting: sighting))
        #expect(run.steps.contains("seeDevice"), "\(name)")
        #expect(run.steps.contains("noticeNewDevice") == isNew, "\(name)")
        #expect(run.audit.contains { $0.kind == .loginNewDevice } == isNew, "\(name)")
    }

    @Test func noDeviceIsRecordedWithoutNoticesOrForAFailure() {
        #expect(!Table.run(LoginRequest(username: "alice", password: "pw"), Table.Script(user: Table.user())).steps.contains("seeDevice"))
        let policy = CompanyPolicy(devices: DevicePolicy(newDeviceNotices: true))
        var machine = Table.machine(LoginRequest(username: "alice", password: "pw"), policy: policy)
        #expect(!Table.run(&machine, Table.Script(user: Table.user(), matches: false)).steps.contains("seeDevice"))
    }

    // MARK: Re-authentication

    static func session(startedAt: Date = t0, revoked: Bool = false, appKeyID: Int64 = 10) -> AccessTokenRecord {
        AccessTokenRecord(
            digest: SecretDigest.sha256("access"),
            userID: 5,
            appKeyID: appKeyID,
            companyID: 1,
            issuedAt: startedAt,
            expiresAt: startedAt.addingTimeInterval(86_400),
            revokedAt: revoked ? startedAt : nil,
            sessionID: "session-1",
            sessionStartedAt: startedAt
        )
    }

    @Test func aReauthenticationRenewsTheProofOfTheSameSession() {
        let policy = CompanyPolicy(refresh: RefreshPolicy(), recentAuthentication: 10)
        let now = Self.t0.addingTimeInterval(3600)
        var machine = Table.machine(LoginRequest(password: "pw", interimToken: "access"), policy: policy, now: now)
        let run = Table.run(&machine, Table.Script(user: Table.user(), session: Self.session()))
        #expect(run.steps.prefix(5) == ["checkAddress", "loadTransaction", "loadSession", "reserveAttempt", "verifyPassword"])
        #expect(run.steps.contains("confirmReauthentication"))
        let issued = try? #require(run.decision?.accessToken?.record)
        #expect(issued?.sessionID == "session-1")
        #expect(issued?.sessionStartedAt == Self.t0 && issued?.authenticatedAt == now)
        #expect(run.decision?.refreshToken == nil, "the session keeps its own refresh token")
        guard case .succeeded(_, nil, nil) = run.outcome else {
            Issue.record("expected a success, got \(String(describing: run.outcome))")
            return
        }
    }

    @Test func aSessionThatEndedMeanwhileIsNotReauthenticated() {
        let policy = CompanyPolicy(recentAuthentication: 10)
        var machine = Table.machine(LoginRequest(password: "pw", interimToken: "access"), policy: policy)
        var script = Table.Script(user: Table.user(), session: Self.session())
        script.sessionLive = false
        let run = Table.run(&machine, script)
        #expect(run.outcome == .failed(step: .baseAuthentication, reason: .corruptedTicket))
    }

    @Test(arguments: [
        ("revoked", Self.session(revoked: true), CompanyPolicy(recentAuthentication: 10)),
        ("another app's", Self.session(appKeyID: 11), CompanyPolicy(recentAuthentication: 10)),
        ("expired", Self.session(startedAt: t0.addingTimeInterval(-86_401)), CompanyPolicy(recentAuthentication: 10)),
    ])
    func onlyALiveSessionOfTheAppIsReauthenticated(_ name: String, _ session: AccessTokenRecord, _ policy: CompanyPolicy) {
        var machine = Table.machine(LoginRequest(password: "pw", interimToken: "access"), policy: policy)
        let run = Table.run(&machine, Table.Script(user: Table.user(), session: session))
        #expect(run.outcome == .failed(step: .baseAuthentication, reason: .corruptedTicket), "\(name)")
        #expect(!run.steps.contains("verifyPassword"), "\(name)")
    }

    @Test func withoutStepUpABearerIsOnlyAnInterimToken() {
        let run = Table.run(LoginRequest(password: "pw", interimToken: "access"), Table.Script(user: Table.user(), session: Self.session()))
        #expect(!run.steps.contains("loadSession"))
        #expect(run.outcome == .failed(step: .baseAuthentication, reason: .corruptedTicket))
    }

    // MARK: User expiry

    @Test func anAccountUnusedPastTheExpiryIsToldSoOnlyAfterTheRightPassword() {
        let policy = CompanyPolicy(userExpiryDays: 30)
        var user = Table.user()
        user.lastSignInAt = Self.t0
        let late = Self.t0.addingTimeInterval(31 * 86_400)
        let request = LoginRequest(username: "alice", password: "pw")
        let expired = Table.run(request, policy: policy, now: late, Table.Script(user: user))
        #expect(expired.outcome == .failed(step: .baseAuthentication, reason: .accountExpired))
        // The right password is no failed guess: its reserved attempt is forgotten, nothing counts toward a lock.
        #expect(expired.steps.contains("forgetAttempt") && !expired.steps.contains("countFailures"))
        #expect(
            Table.run(request, policy: policy, now: late, Table.Script(user: user, matches: false)).outcome
                == .failed(step: .baseAuthentication, reason: .invalidCredentials)
        )
        guard case .succeeded = Table.run(request, policy: policy, now: Self.t0.addingTimeInterval(29 * 86_400), Table.Script(user: user)).outcome
        else {
            Issue.record("within the expiry the login succeeds")
            return
        }
    }
}
