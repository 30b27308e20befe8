import Foundation
import Hummingbird
import NIOCore
import TesseraCore

/// The back office's router, for the admin listener: the console's pages, the admin API under `/admin/v1`, and
/// the admin API's OpenAPI document. Nothing of it is on the public router.
func buildAdminRouter(office: BackOffice, metrics: TesseraMetrics) -> Router<TesseraRequestContext> {
    let router = Router(context: TesseraRequestContext.self)
    router.add(middleware: RequestLogMiddleware(metrics: metrics))
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

/// The admin API's OpenAPI document, `Resources/admin-openapi.yaml` embedded into the binary. A test keeps its
/// paths and methods equal to the routes under `/admin/v1`.
enum AdminOpenAPIDocument {
    static let yaml = String(decoding: PackageResources.admin_openapi_yaml, as: UTF8.self)
}
