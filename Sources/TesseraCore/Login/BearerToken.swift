import Foundation

/// Reads an `Authorization` value: `Bearer <token>`, or the bare token (ETNA's clients send both).
public enum BearerToken {
    public static func parse(_ authorization: String?) -> String? {
        guard let authorization else { return nil }
        // The common form, `Bearer ` and printable ASCII without spaces, needs no trimming: the same answer as
        // below without its copies.
        let bytes = authorization.utf8
        if bytes.count > 7, bytes.starts(with: "Bearer ".utf8), bytes.dropFirst(7).allSatisfy({ (0x21...0x7E).contains($0) }) {
            return String(authorization.dropFirst(7))
        }
        var value = authorization.trimmingCharacters(in: .whitespaces)
        guard !value.isEmpty else { return nil }
        if value.count > 7, value.prefix(7).lowercased() == "bearer " {
            value = String(value.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        } else if value.lowercased() == "bearer" {
            return nil
        }
        return value.isEmpty ? nil : value
    }
}
