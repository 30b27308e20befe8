/// How a guessed secret fared behind the failure counters.
public enum GuessJudgement: Sendable, Equatable {
    /// The secret was right: the attempt was forgotten.
    case right
    /// The secret was wrong: the attempt stays counted as a failure.
    case wrong
    /// The secret was not checked: the layers refused the attempt.
    case refused(AttemptReservation)
}

extension AttemptStore {
    /// Reserves `attempt` under `limits`, checks the secret only when the reservation holds, and keeps the attempt
    /// as a failure only when the secret was wrong — the one way every guessable secret outside `/token` (an old
    /// password, a secret answer, a reset code) is tried, so parallel guesses get exactly the limit's worth of checks.
    /// A check that throws was never judged: its attempt is forgotten.
    public func judge(_ attempt: LoginAttempt, limits: AttemptLimits, check: () async throws -> Bool) async throws -> GuessJudgement {
        let reservation = try await self.reserveAttempt(attempt, limits: limits)
        guard reservation == .reserved else { return .refused(reservation) }
        let right: Bool
        do {
            right = try await check()
        } catch {
            try? await self.forgetAttempt(id: attempt.id)
            throw error
        }
        if right { try await self.forgetAttempt(id: attempt.id) }
        return right ? .right : .wrong
    }
}
