import Foundation

extension SQLStorage {
    /// A setting a server left for the operator's commands (`bcrypt_cost`), or `nil`.
    public func setting(_ name: String) async throws -> String? {
        try await self.read("SELECT value FROM settings WHERE name = ?", [.text(name)]).first?.optionalString("value")
    }

    /// Sets a setting, replacing an earlier value.
    public func setSetting(_ name: String, _ value: String) async throws {
        try await self.write(
            "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [.text(name), .text(value)]
        )
    }
}
