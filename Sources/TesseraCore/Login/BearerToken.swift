import Foundation

/// Reads an `Authorization` value: `Bearer <token>`, or the bare token (ETNA's clients send both).
public enum BearerToken {
    public static func parse(_ authorization: String?) -> String? {
        guard var value = authorization?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if value.count > 7, value.prefix(7).lowercased() == "bearer " {
            value = String(value.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        } else if value.lowercased() == "bearer" {
            return nil
        }
        return value.isEmpty ? nil : value
    }
}
