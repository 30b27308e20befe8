import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// A statement that got no answer in time.
struct StatementTimeout: Error {}

/// Runs `body`, giving up with ``StatementTimeout`` after `limit` — at `limit`, not when `body` gives up: a
/// statement already sent to a server that stopped answering does not notice cancellation, so it is left to
/// finish (or fail with its connection) on its own. A result that arrives after the caller was answered (the
/// timeout or a cancellation came first) goes to `late`: a connection must be closed, not dropped.
///
/// The timer is one on an event loop, cancelled as soon as the race is decided. (A sleeping task instead would be
/// held until its full `limit` even when the statement answered at once: with a 5 s timeout, 2,000 statements a
/// second kept about 90 MB alive.)
func withTimeout<T: Sendable>(
    _ limit: Duration,
    late: (@Sendable (T) async -> Void)? = nil,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let outcome = TimeoutRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            outcome.start(continuation)
            let work = Task {
                do {
                    let value = try await body()
                    if !outcome.finish(.success(value)) { await late?(value) }
                } catch {
                    outcome.finish(.failure(error))
                }
            }
            let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: TimeAmount(limit)) {
                if outcome.finish(.failure(StatementTimeout())) { work.cancel() }
            }
            outcome.whenDecided { timer.cancel() }
        }
    } onCancel: {
        outcome.finish(.failure(CancellationError()))
    }
}

/// Connects within `limit`; a connection that comes up after the caller gave up is closed, never dropped.
func withConnectTimeout(
    _ limit: Duration,
    _ connect: @escaping @Sendable () async throws -> PostgresConnection
) async throws -> PostgresConnection {
    try await withTimeout(limit, late: closeLateConnection, connect)
}

@Sendable private func closeLateConnection(_ connection: PostgresConnection) async {
    try? await connection.close()
}

/// The first of a result, a timeout and a cancellation resumes the waiting caller; the others are dropped.
private final class TimeoutRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var early: Result<T, any Error>?
        var done = false
        var decided: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    /// Runs `action` once the race is decided: at once when it already is.
    func whenDecided(_ action: @escaping @Sendable () -> Void) {
        let now = self.state.withLock { state in
            if state.done { return true }
            state.decided = action
            return false
        }
        if now { action() }
    }

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        let early: Result<T, any Error>? = self.state.withLock { state in
            if let early = state.early { return early }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    @discardableResult
    func finish(_ result: Result<T, any Error>) -> Bool {
        let decided: (continuation: CheckedContinuation<T, any Error>?, action: (@Sendable () -> Void)?)? = self.state.withLock { state in
            guard !state.done else { return nil }
            state.done = true
            let action = state.decided
            state.decided = nil
            guard let continuation = state.continuation else {
                state.early = result
                return (nil, action)
            }
            state.continuation = nil
            return (continuation, action)
        }
        guard let decided else { return false }
        decided.continuation?.resume(with: result)
        decided.action?()
        return true
    }
}
