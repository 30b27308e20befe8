import Foundation
import Hummingbird
import Logging
import TesseraStorage

/// One log line and one metric count per request (method, path, status, duration, request id), and a bare
/// `500` with the request id for an unexpected error. Headers and bodies are never logged: they carry passwords,
/// codes and tokens.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = TesseraRequestContext
    let metrics: TesseraMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            if let answer = Self.answer(for: error) {
                response = answer
            } else {
                context.logger.error("unexpected error", metadata: ["error.type": "\(type(of: error))"])
                response = Wire.json(
                    .internalServerError,
                    JSONText.object(["error": .string("Internal server error"), "requestId": .string(context.id)])
                )
            }
        }
        let status = response.status
        self.log(request, context: context, status: status, since: start)
        return response
    }

    /// The answer to an error that has one: a refusal in the contract's shape, Hummingbird's own refusals, a
    /// broken body, the database gone. `nil` for an error nobody expected.
    static func answer(for error: any Error) -> Response? {
        switch error {
        case let refusal as WireRefusal:
            // A refusal a middleware, a context or a body decoder made in the contract's shape.
            return refusal.response
        case let error as HTTPError:
            // Hummingbird's own refusals (oversized bodies, unknown routes) in Tessera's JSON shape.
            return Wire.json(error.status, JSONText.object(["error": .string(error.body ?? error.status.reasonPhrase)]))
        case is HTTPFramingError:
            // The client's body broke off mid-stream: its error, not ours. The connection guard has already
            // logged it (at notice) and closes the connection after this answer.
            return Wire.json(.badRequest, JSONText.object(["error": .string("The request body's framing is malformed")]))
        case let error as StorageError:
            // Fail closed: no answer is made up without the database. The storage logged the cause, once.
            guard case .unavailable = error else { return nil }
            return Wire.unavailable("The service is temporarily unavailable; try again")
        default:
            return nil
        }
    }

    private func log(_ request: Request, context: Context, status: HTTPResponse.Status, since start: ContinuousClock.Instant) {
        // The route template, never the concrete path: session ids and probes must not become labels.
        self.metrics.request(route: context.endpointPath ?? "NotFound", method: request.method.rawValue, status: Int(status.code))
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        context.logger.info(
            "request",
            metadata: [
                "method": "\(request.method.rawValue)",
                "path": "\(request.uri.path)",
                "status": "\(status.code)",
                "duration_ms": "\(String(format: "%.1f", milliseconds))",
            ]
        )
    }
}
