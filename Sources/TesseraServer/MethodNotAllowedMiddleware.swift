import HTTPTypes
import Hummingbird
import Synchronization

/// The methods each route template answers, for `405 Method Not Allowed` (RFC 9110 §15.5.6). Filled once the
/// router's routes are all added.
final class RouteMethods: Sendable {
    private let templates = Mutex<[(segments: [Substring], methods: Set<String>)]>([])

    func load(_ routes: [Router<TesseraRequestContext>.RouteDescription]) {
        var byPath: [String: Set<String>] = [:]
        for route in routes { byPath[route.path.description, default: []].insert(route.method.rawValue) }
        self.templates.withLock { templates in
            templates = byPath.map { (Self.segments($0.key), $0.value) }
        }
    }

    /// The methods of the template `path` matches, in a fixed order; empty when it matches none.
    func methods(for path: String) -> [String] {
        let segments = Self.segments(path)
        let matched = self.templates.withLock { templates in
            templates.filter { template in
                template.segments.count == segments.count
                    && zip(template.segments, segments).allSatisfy { $0.hasPrefix("{") || $0.hasPrefix(":") || $0 == $1 }
            }.flatMap(\.methods)
        }
        return Set(matched).sorted()
    }

    private static func segments(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }
}

/// Turns the router's `404` for a known path asked with another method into `405` with `Allow`.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = TesseraRequestContext
    let routes: RouteMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let methods = self.routes.methods(for: request.uri.path)
            guard !methods.isEmpty, !methods.contains(request.method.rawValue) else { throw error }
            return Wire.json(
                .methodNotAllowed,
                JSONText.object(["error": .string("\(request.method.rawValue) is not allowed here; use \(methods.joined(separator: " or "))")]),
                extraHeaders: [.allow: methods.joined(separator: ", ")]
            )
        }
    }
}
