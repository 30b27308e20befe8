import Foundation
import NIOPosix
import Synchronization

/// Threads for the waits a test cannot make asynchronous: a child process's exit, the end of its output.
///
/// Swift's concurrency pool has one thread per core — two on the CI machine — and every test of the run shares
/// it. A test waiting there for a process (`waitUntilExit`, `readDataToEndOfFile`) held one of those threads for
/// as long as the process ran; two such waits at once stalled every server and client of the run, and requests
/// of unrelated tests timed out. These waits run here instead, where a blocked thread holds up nothing else.
private let waitingThreads: NIOThreadPool = {
    let pool = NIOThreadPool(numberOfThreads: 32)
    pool.start()
    return pool
}()

/// Runs blocking `work` on threads of its own, off Swift's concurrency pool.
public func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await waitingThreads.runIfActive(work)
}

/// What a test must undo when it ends, however it ends, newest first: nodes to stop, servers to shut down.
/// `defer` cannot await, and a stop that waits inside a `defer` holds a thread of Swift's concurrency pool.
public final class Cleanup: Sendable {
    private let steps = Mutex<[@Sendable () async -> Void]>([])

    public func add(_ step: @escaping @Sendable () async -> Void) {
        self.steps.withLock { $0.append(step) }
    }

    fileprivate func run() async {
        let steps = self.steps.withLock { steps in
            defer { steps = [] }
            return steps
        }
        for step in steps.reversed() { await step() }
    }
}

/// Runs `body` with a ``Cleanup`` whose steps run when it returns or throws.
public func withCleanup<T>(_ body: (Cleanup) async throws -> T) async throws -> T {
    let cleanup = Cleanup()
    do {
        let result = try await body(cleanup)
        await cleanup.run()
        return result
    } catch {
        await cleanup.run()
        throw error
    }
}
