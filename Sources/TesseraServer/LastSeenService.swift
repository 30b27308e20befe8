import Logging
import ServiceLifecycle
import TesseraCore

/// Writes this node's pending last-seen times (``LastSeenBatch``) every second, and once more on shutdown.
struct LastSeenService: Service {
    let batch: LastSeenBatch
    let logger: Logger

    func run() async throws {
        var failing = false
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: LastSeenBatch.interval) }
            failing = await self.flush(failing: failing)
        }
        _ = await self.flush(failing: failing)
    }

    /// Whether the write failed.
    private func flush(failing: Bool) async -> Bool {
        do {
            try await self.batch.flush()
            if failing { self.logger.notice("last-seen times are written again") }
            return false
        } catch {
            // The database's outage is logged by the storage; the times wait in the batch.
            if !failing { self.logger.warning("cannot write last-seen times; they wait for the next write") }
            return true
        }
    }
}
