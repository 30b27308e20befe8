import Foundation
import Hummingbird
import NIOCore
import NIOFoundationCompat

/// A request body the way ASP.NET's model binding reads ETNA's: a JSON object or a form, its field names matched
/// case-insensitively, empty or non-string values counted as absent.
///
/// ```swift
/// struct ChangePin: WireBody {
///     static let requiredFields = ["Token", "Pin"]
///     var token: String
///     var pin: String
///     var imageName: String?
/// }
/// switch try await RequestFields.read(request).decode(ChangePin.self) { … }
/// ```
struct RequestFields: Sendable {
    /// The values by lower-cased name.
    let values: [String: String]

    static let empty = RequestFields(values: [:])

    /// The body, at most 64 kB; a chunked body that grows past it gets the same `413` as a declared one.
    static func collect(_ request: Request) async throws -> ByteBuffer {
        var request = request
        do {
            return try await request.collectBody(upTo: InputLimitsMiddleware.maximumBodySize)
        } catch is NIOTooManyBytesError {
            throw HTTPError(.contentTooLarge, message: "The body is larger than \(InputLimitsMiddleware.maximumBodySize) bytes")
        }
    }

    /// The formats a body may come in.
    enum Format {
        case json
        case form
    }

    /// Reads at most 64 kB. A body that opens with `{` is JSON, whatever its content type says (curl's `-d` labels
    /// JSON as a form, and clients written against earlier versions send it so); otherwise a form or JSON as the
    /// content type says, else `assumed`. A body that is neither has no fields.
    static func read(_ request: Request, assuming assumed: Format = .json) async throws -> RequestFields {
        let buffer = try await Self.collect(request)
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        let opensObject = buffer.readableBytesView.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) } == UInt8(ascii: "{")
        let format: Format =
            if opensObject || contentType.hasPrefix("application/json") {
                .json
            } else if contentType.hasPrefix("application/x-www-form-urlencoded") {
                .form
            } else {
                assumed
            }
        switch format {
        case .form: return Self.form(String(buffer: buffer))
        case .json: return Self.json(Data(buffer: buffer))
        }
    }

    /// The string members of a JSON object.
    static func json(_ data: Data) -> RequestFields {
        guard !data.isEmpty, let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return .empty }
        var values: [String: String] = [:]
        for (key, value) in object {
            guard let text = value as? String, !text.isEmpty else { continue }
            values[key.lowercased()] = text
        }
        return RequestFields(values: values)
    }

    /// The fields of `application/x-www-form-urlencoded`. A field given twice keeps neither value, as a header
    /// given twice matches nothing: a body must not be able to smuggle a second credential past the first.
    static func form(_ text: String) -> RequestFields {
        var values: [String: String] = [:]
        var repeated: Set<String> = []
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.unescape(parts[0])?.lowercased(), !name.isEmpty else { continue }
            let value = parts.count == 2 ? Self.unescape(parts[1]) ?? "" : ""
            if values[name] != nil { repeated.insert(name) }
            values[name] = value
        }
        for name in repeated { values[name] = nil }
        return RequestFields(values: values.filter { !$0.value.isEmpty })
    }

    private static func unescape(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// The value of a field, by its ETNA name in any case.
    func string(_ name: String) -> String? {
        self.values[name.lowercased()]
    }

    /// The fields as `T`, or ETNA's `400` naming the required fields that are missing.
    func decode<T: WireBody>(_ type: T.Type) throws -> T {
        let missing = T.requiredFields.filter { self.string($0) == nil }
        guard missing.isEmpty else { throw WireRefusal(Wire.modelState(missing)) }
        return try T(from: FieldDecoder(values: self.values))
    }
}

/// A body's fields as a Swift type: each property is a field, matched case-insensitively by its name
/// (`passwordConfirmation` is ETNA's `PasswordConfirmation`). Required fields are `String`, optional ones
/// `String?`.
protocol WireBody: Decodable {
    /// The ETNA names of the fields that must be present, in the order a `ModelState` answer lists them.
    static var requiredFields: [String] { get }
}

/// Decodes a ``WireBody`` from string fields keyed by lower-cased name. Only strings: every field of ETNA's
/// bodies is one.
private struct FieldDecoder: Decoder {
    let values: [String: String]
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Fields<Key>(values: self.values))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: [], debugDescription: "a body is an object"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        throw DecodingError.typeMismatch(String.self, .init(codingPath: [], debugDescription: "a body is an object"))
    }

    struct Fields<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let values: [String: String]
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { self.values.keys.compactMap { Key(stringValue: $0) } }

        func contains(_ key: Key) -> Bool { self.values[key.stringValue.lowercased()] != nil }

        func decodeNil(forKey key: Key) throws -> Bool { !self.contains(key) }

        func decode(_ type: String.Type, forKey key: Key) throws -> String {
            guard let value = self.values[key.stringValue.lowercased()] else {
                throw DecodingError.keyNotFound(key, .init(codingPath: [key], debugDescription: "missing"))
            }
            return value
        }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            throw DecodingError.typeMismatch(type, .init(codingPath: [key], debugDescription: "fields are strings"))
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            throw DecodingError.typeMismatch(type, .init(codingPath: [key], debugDescription: "fields are strings"))
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            throw DecodingError.typeMismatch([Any].self, .init(codingPath: [key], debugDescription: "fields are strings"))
        }

        func superDecoder() throws -> any Decoder { FieldDecoder(values: self.values) }
        func superDecoder(forKey key: Key) throws -> any Decoder { FieldDecoder(values: self.values) }
    }
}
