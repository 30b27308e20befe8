import Foundation
import Hummingbird
import NIOCore

/// The fields of a JSON request body, read case-insensitively as ASP.NET's model binding reads ETNA's.
struct RequestFields {
    let values: [String: Any]
    let isObject: Bool

    /// The body, at most 64 kB; a chunked body that grows past it gets the same `413` as a declared one.
    static func collect(_ request: Request) async throws -> ByteBuffer {
        var request = request
        do {
            return try await request.collectBody(upTo: InputLimitsMiddleware.maximumBodySize)
        } catch is NIOTooManyBytesError {
            throw HTTPError(.contentTooLarge, message: "The body is larger than \(InputLimitsMiddleware.maximumBodySize) bytes")
        }
    }

    /// Reads at most 64 kB of JSON; a body that is not a JSON object has no fields.
    static func read(_ request: Request, context: some RequestContext) async throws -> RequestFields {
        let buffer = try await Self.collect(request)
        let data = Data(buffer: buffer)
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            return RequestFields(values: [:], isObject: false)
        }
        var lowered: [String: Any] = [:]
        for (key, value) in object { lowered[key.lowercased()] = value }
        return RequestFields(values: lowered, isObject: true)
    }

    /// A string field, or `nil` when missing, not a string, or empty.
    func string(_ name: String) -> String? {
        guard let value = self.values[name.lowercased()] as? String, !value.isEmpty else { return nil }
        return value
    }

    /// The names among `required` that are missing, in order.
    func missing(_ required: [String]) -> [String] {
        required.filter { self.string($0) == nil }
    }
}
