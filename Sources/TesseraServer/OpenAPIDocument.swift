import Foundation

/// The OpenAPI 3 document of every endpoint, served at `GET /openapi.yaml`. The document is
/// `Resources/openapi.yaml`, embedded into the binary at build time (`PackageResources`). Its top-level
/// `servers: []` line is replaced by the base paths this server answers its API on; the operations paths name
/// their own server (the root). A test keeps its paths and methods equal to the router's.
enum OpenAPIDocument {
    static let template = String(decoding: PackageResources.openapi_yaml, as: UTF8.self)

    /// The document for a server answering its API under `servers`.
    static func yaml(servers: [APIBasePath]) -> String {
        let entries = servers.map { base in
            switch base {
            case .root: "  - url: /\n    description: Tessera's own paths (`/token`, `/v1.0/…`)"
            case .api: "  - url: /api\n    description: ETNA's paths (`/api/token`, `/api/v1.0/…`), for clients built against ETNA"
            }
        }
        return Self.template.replacingOccurrences(of: "\nservers: []\n", with: "\nservers:\n" + entries.joined(separator: "\n") + "\n")
    }
}
