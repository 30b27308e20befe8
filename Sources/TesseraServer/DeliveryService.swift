import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TesseraCore

/// The worker of the message queue on this node: a few times a second it sends what is due — what any node
/// queued, what is due again after a failure, and what a crashed worker left leased.
///
/// It polls on its own clock, at random intervals, rather than waking when a request queues something: a worker
/// woken by a request would do its sending while that request still runs, and a real user's message costs more
/// to send than an unknown name's, which would show in the latency of exactly the requests that must not tell
/// them apart. Random intervals keep its work from lining up with any pattern of requests.
struct DeliveryService: Service {
    /// The longest pause between two polls; each pause is drawn at random below it.
    static let pollInterval: Duration = .milliseconds(400)
    /// Messages leased at once. They are sent one after another, each within its channel's deadline (20 s for a
    /// whole SMTP message), so a batch must be sent well within the lease (60 s): otherwise another node takes the
    /// rest again and sends them twice.
    static let batch = 2

    let dispatcher: MessageDispatcher
    let metrics: TesseraMetrics
    let logger: Logger

    func run() async throws {
        var failing = false
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            var busy = false
            do {
                let results = try await self.dispatcher.dispatchDue(limit: Self.batch) { problem in
                    self.logger.warning("a queued message could not be sent", metadata: ["problem": "\(problem)"])
                }
                for result in results { self.metrics.queuedMessage(result.rawValue) }
                busy = results.count >= Self.batch
                if failing {
                    failing = false
                    self.logger.notice("the message queue is read again")
                }
            } catch {
                // The database's outage is logged by the storage; the queue just waits for it.
                if !failing { self.logger.warning("cannot read the message queue; messages wait in it") }
                failing = true
            }
            if !busy {
                let pause = Self.pollInterval * Double.random(in: 0.1...1)
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            }
        }
    }
}
