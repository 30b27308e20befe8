/// The OpenAPI 3 document of every endpoint, served at `GET /openapi.yaml`. The document is
/// `Resources/openapi.yaml`, embedded into the binary at build time (`PackageResources`) and decoded once, at first
/// use. A test keeps its paths and methods equal to the router's.
enum OpenAPIDocument {
    static let yaml = String(decoding: PackageResources.openapi_yaml, as: UTF8.self)
}
