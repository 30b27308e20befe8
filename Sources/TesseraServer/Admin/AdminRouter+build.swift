import Foundation
import Hummingbird
import NIOCore
import TesseraCore

/// The back office's router, for the admin listener: the console's pages, the admin API under `/admin/v1`, and
/// the admin API's OpenAPI document. Nothing of it is on the public router.
func buildAdminRouter(office: BackOffice, metrics: TesseraMetrics) -> Router<TesseraRequestContext> {
    let router = Router(context: TesseraRequestContext.self)
    router.add(middleware: RequestLogMiddleware(metrics: metrics))
    router.add(middleware: AdminHeadersMiddleware())
    router.add(middleware: InputLimitsMiddleware())
    router.get("/healthz") { _, _ in Wire.json(.ok, JSONText.object(["status": .string("ok")])) }
    let document = AdminOpenAPIDocument.yaml
    router.get("/openapi.yaml") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "application/yaml; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: document))
        )
    }
    AdminAPIController(office: office).addRoutes(to: router)
    ConsoleController(office: office).addRoutes(to: router)
    return router
}

/// The console's security headers on every answer of the admin listener, pages or not (a 404, the API, a refusal
/// made by a middleware): no frame, no referrer, nothing but its own origin, nothing cached.
struct AdminHeadersMiddleware: RouterMiddleware {
    typealias Context = TesseraRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            guard let answer = RequestLogMiddleware.answer(for: error) else { throw error }
            response = answer
        }
        for field in HTML.headers where field.name != .contentType && response.headers[field.name] == nil {
            response.headers.append(field)
        }
        return response
    }
}

/// The admin API's OpenAPI document, `Resources/admin-openapi.yaml` embedded into the binary. A test keeps its
/// paths and methods equal to the routes under `/admin/v1`.
enum AdminOpenAPIDocument {
    static let yaml = String(decoding: PackageResources.admin_openapi_yaml, as: UTF8.self)
}
