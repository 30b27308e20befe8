import Foundation
import TesseraCore
import TesseraStorage

extension InMemoryStore {
    public func seeDevice(userID: Int64, key: String, at date: Date) async throws -> DeviceSighting {
        let known = self.deviceSightings[userID, default: [:]]
        self.deviceSightings[userID, default: [:]][key] = Self.stored(date)
        return DeviceSighting(previouslySeenAt: known[key], knownDevices: known.count)
    }

    public func insert(_ device: TrustedDevice) async throws -> Bool {
        guard !self.trustedDevicesByID.values.contains(where: { $0.id == device.id || $0.digest == device.digest }) else {
            throw DuplicateName("trusted device")
        }
        guard let key = self.appKeys[device.appKeyID], key.revokedAt == nil else { return false }
        var stored = device
        stored.createdAt = Self.stored(device.createdAt)
        stored.expiresAt = Self.stored(device.expiresAt)
        self.trustedDevicesByID[device.id] = stored
        return true
    }

    public func trustedDevice(digest: String) async throws -> TrustedDevice? {
        self.trustedDevicesByID.values.first { $0.digest == digest }
    }

    public func touchTrustedDevice(id: String, at date: Date) async throws {
        self.trustedDevicesByID[id]?.lastUsedAt = Self.stored(date)
    }

    public func trustedDevices(userID: Int64, now: Date) async throws -> [TrustedDevice] {
        guard let user = self.usersByID[userID] else { return [] }
        return self.trustedDevicesByID.values
            .filter { $0.userID == userID && $0.revokedAt == nil && now < $0.expiresAt && $0.createdAt >= user.passwordChangedAt }
            .sorted { ($0.createdAt, $1.id) > ($1.createdAt, $0.id) }
    }

    public func revokeTrustedDevices(userID: Int64, id: String?, at date: Date) async throws -> Int {
        var count = 0
        for (key, device) in self.trustedDevicesByID
        where device.userID == userID && device.revokedAt == nil && date < device.expiresAt && (id == nil || device.id == id) {
            self.trustedDevicesByID[key]?.revokedAt = Self.stored(date)
            count += 1
        }
        return count
    }
}

extension InMemoryStore {
    public func setOperatorRole(userID: Int64, role: OperatorRole?) async throws {
        self.operatorRoles[userID] = role
    }

    public func operatorRole(userID: Int64) async throws -> OperatorRole? { self.operatorRoles[userID] }

    public func searchUsers(_ text: String, limit: Int) async throws -> [User] {
        let needle = Username.key(text)
        return self.usersByID.values
            .filter { needle.isEmpty || $0.usernameKey.contains(needle) || ($0.email?.lowercased().contains(needle) ?? false) }
            .sorted { ($0.usernameKey, $0.id) < ($1.usernameKey, $1.id) }
            .prefix(limit).map { $0 }
    }

    public func currentLocks(now: Date) async throws -> [AccountLock] {
        self.locks.compactMap { key, until -> AccountLock? in
            guard until > now, let slash = key.firstIndex(of: "/"), let company = Int64(key[..<slash]) else { return nil }
            return AccountLock(companyID: company, usernameKey: String(key[key.index(after: slash)...]), until: until)
        }
        .sorted { $0.until > $1.until }
    }
}
