import Foundation
import TesseraCore

extension SQLStorage: DeviceStore {
    public func seeDevice(userID: Int64, key: String, at date: Date) async throws -> DeviceSighting {
        let user = SQLBind.integer(Int(userID))
        // One statement decides what was seen before: of two sign-ins from a new device at once, the second one
        // finds the first one's sighting (the row's lock orders them), so the device is new only once.
        let row = try await self.write(
            """
            INSERT INTO user_devices (user_id, device_key, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (user_id, device_key) DO UPDATE SET previous_seen_at = user_devices.last_seen_at,
                last_seen_at = excluded.last_seen_at
            RETURNING previous_seen_at,
                (SELECT COUNT(*) FROM user_devices d WHERE d.user_id = ? AND d.device_key <> ?) AS others
            """,
            [user, .text(key), SQLBind(date), SQLBind(date), user, .text(key)]
        ).first
        let previous = row?.optionalDate("previous_seen_at")
        // The user's other devices, and this one when it was seen before: what the user had on record.
        let known = Int(row?.int("others") ?? 0) + (previous == nil ? 0 : 1)
        return DeviceSighting(previouslySeenAt: previous, knownDevices: known)
    }

    public func insert(_ device: TrustedDevice) async throws -> Bool {
        try await self.write(
            """
            INSERT INTO trusted_devices (id, token_digest, user_id, app_key_id, company_id, label, address, created_at,
                expires_at, last_used_at, revoked_at)
            SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
            WHERE EXISTS (SELECT 1 FROM app_keys WHERE id = ? AND revoked_at IS NULL)
            RETURNING 1
            """,
            [
                .text(device.id), .text(device.digest), .integer(Int(device.userID)), .integer(Int(device.appKeyID)),
                .integer(Int(device.companyID)), .text(device.label), SQLBind(device.address), SQLBind(device.createdAt),
                SQLBind(device.expiresAt), SQLBind(device.lastUsedAt), SQLBind(device.revokedAt), .integer(Int(device.appKeyID)),
            ]
        ).isEmpty == false
    }

    public func trustedDevice(digest: String) async throws -> TrustedDevice? {
        try await self.read("SELECT * FROM trusted_devices WHERE token_digest = ?", [.text(digest)]).first.map(Self.trustedDevice)
    }

    public func touchTrustedDevice(id: String, at date: Date) async throws {
        try await self.write("UPDATE trusted_devices SET last_used_at = ? WHERE id = ?", [SQLBind(date), .text(id)])
    }

    public func trustedDevices(userID: Int64, now: Date) async throws -> [TrustedDevice] {
        try await self.read(
            """
            SELECT d.* FROM trusted_devices d JOIN users u ON u.id = d.user_id
            WHERE d.user_id = ? AND d.revoked_at IS NULL AND d.expires_at > ? AND d.created_at >= u.password_changed_at
            ORDER BY d.created_at DESC, d.id
            """,
            [.integer(Int(userID)), SQLBind(now)]
        ).map(Self.trustedDevice)
    }

    public func revokeTrustedDevices(userID: Int64, id: String?, at date: Date) async throws -> Int {
        let one = id.map { _ in " AND id = ?" } ?? ""
        return try await self.write(
            "UPDATE trusted_devices SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?\(one) RETURNING 1",
            [SQLBind(date), .integer(Int(userID)), SQLBind(date)] + (id.map { [SQLBind.text($0)] } ?? [])
        ).count
    }

    static func trustedDevice(_ row: StorageRow) -> TrustedDevice {
        TrustedDevice(
            id: row.string("id"),
            digest: row.string("token_digest"),
            userID: row.int("user_id"),
            appKeyID: row.int("app_key_id"),
            companyID: row.int("company_id"),
            label: row.string("label"),
            address: row.optionalString("address"),
            createdAt: row.date("created_at"),
            expiresAt: row.date("expires_at"),
            lastUsedAt: row.optionalDate("last_used_at"),
            revokedAt: row.optionalDate("revoked_at")
        )
    }
}
