import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization
import TesseraCore
import TesseraStorage

/// Feeds this node's revocation follower from the database's signals: notifications on PostgreSQL, a short poll
/// on SQLite (see ``RevocationSignal``), and logs when the cache stops and starts being trusted.
struct RevocationWatchService: Service {
    let follower: RevocationFollower
    let follow: @Sendable (@escaping @Sendable (RevocationSignal) async -> Void) async -> Void
    let logger: Logger

    func run() async throws {
        let heard = Atomic<Bool>(false)
        let (follower, logger) = (self.follower, self.logger)
        await cancelWhenGracefulShutdown {
            await self.follow { signal in
                switch signal {
                case .listening:
                    await follower.listening()
                    if heard.exchange(true, ordering: .relaxed) {
                        logger.notice("token cache: the revocation channel is back; the cache is in use again")
                    }
                case .changed:
                    await follower.changed()
                case .lost:
                    await follower.lost()
                    logger.warning("token cache: the revocation channel is lost; every token is checked in the database")
                }
            }
        }
    }
}

/// Before a write of this node is answered, its cache has read the revocation log: a logout, a session ended or
/// a password changed here is refused here from the very next request.
struct RevocationBarrierMiddleware: RouterMiddleware {
    typealias Context = TesseraRequestContext
    let follower: RevocationFollower

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method != .get, request.method != .head, request.method != .options else {
            return try await next(request, context)
        }
        do {
            let response = try await next(request, context)
            await self.follower.changed()
            return response
        } catch {
            await self.follower.changed()
            throw error
        }
    }
}
