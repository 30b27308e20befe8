import HTTPTypes
import Hummingbird

/// Refuses requests whose size alone shows they are not what any endpoint takes: more than 100 headers, or a
/// declared body over 64 kB. Each gets a clear JSON error instead of reaching a route.
struct InputLimitsMiddleware: RouterMiddleware {
    typealias Context = TesseraRequestContext

    static let maximumHeaderCount = 100
    static let maximumBodySize = 64 * 1024

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.headers.count > Self.maximumHeaderCount {
            return Wire.json(
                .init(code: 431, reasonPhrase: "Request Header Fields Too Large"),
                JSONText.object(["error": .string("Too many header fields (at most \(Self.maximumHeaderCount))")])
            )
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > Self.maximumBodySize {
            return Wire.json(
                .contentTooLarge,
                JSONText.object(["error": .string("The body is larger than \(Self.maximumBodySize) bytes")])
            )
        }
        return try await next(request, context)
    }
}
