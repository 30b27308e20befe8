import Foundation

/// A device a user signs in from, as well as a server can tell one without tracking it: the family of its user
/// agent (`Firefox on Windows`) and its network (the /24 of an IPv4 address, the /48 of an IPv6 one). Only a keyed
/// digest of the two is stored.
public struct DeviceFingerprint: Sendable, Equatable {
    /// The user agent's family, for a notice or a list of devices: never the full header.
    public var family: String
    public var network: String

    public init(userAgent: String?, address: String) {
        self.family = Self.family(of: userAgent ?? "")
        self.network = Self.network(of: address)
    }

    /// `Browser on System`, from the products a user agent names; `Unknown` for an empty one.
    static func family(of userAgent: String) -> String {
        let agent = userAgent.lowercased()
        let browsers: [(String, String)] = [
            ("edg/", "Edge"), ("opr/", "Opera"), ("firefox/", "Firefox"), ("chromium/", "Chromium"), ("chrome/", "Chrome"),
            ("safari/", "Safari"), ("curl/", "curl"), ("okhttp/", "OkHttp"), ("python-requests/", "Python requests"),
            ("cfnetwork/", "Apple app"), ("tessera", "Tessera client"),
        ]
        let systems: [(String, String)] = [
            ("windows", "Windows"), ("iphone", "iOS"), ("ipad", "iPadOS"), ("android", "Android"), ("mac os x", "macOS"),
            ("macintosh", "macOS"), ("cros", "ChromeOS"), ("linux", "Linux"),
        ]
        let browser =
            browsers.first { agent.contains($0.0) }?.1
            ?? userAgent.split(separator: "/").first.map { String($0.prefix(40)) }.flatMap { $0.isEmpty ? nil : $0 }
            ?? "Unknown"
        guard let system = systems.first(where: { agent.contains($0.0) })?.1 else { return browser }
        return "\(browser) on \(system)"
    }

    /// The network an address belongs to: `192.0.2.0/24`, `2001:db8:1::/48`; anything else as it is.
    static func network(of address: String) -> String {
        let octets = address.split(separator: ".", omittingEmptySubsequences: false)
        if octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }) {
            return octets.prefix(3).joined(separator: ".") + ".0/24"
        }
        if address.contains(":") {
            let parts = address.split(separator: ":", omittingEmptySubsequences: false)
            if let gap = parts.firstIndex(of: ""), gap < 3 {
                // `2001:db8::1`: fewer than three groups before the gap, so the rest of the /48 is zero.
                return parts.prefix(gap).joined(separator: ":") + "::/48"
            }
            return parts.prefix(3).joined(separator: ":") + "::/48"
        }
        return address
    }

    /// The stored key: a keyed digest, so the table of a user's devices holds no network or agent in the clear.
    public func key(_ secrets: KeyedDigester, userID: Int64) -> String {
        secrets.deviceKey(family: self.family, network: self.network, userID: userID)
    }
}

/// When a device was seen for a user before this sign-in.
public struct DeviceSighting: Sendable, Equatable {
    /// The last time this device was seen, or `nil` for a device never seen.
    public var previouslySeenAt: Date?
    /// How many devices the user had on record before this sign-in (0: their first sign-in on record).
    public var knownDevices: Int

    public init(previouslySeenAt: Date?, knownDevices: Int) {
        self.previouslySeenAt = previouslySeenAt
        self.knownDevices = knownDevices
    }
}

/// A device a user chose to have remembered after a sign-in with a verification code: its `DeviceToken` skips the
/// code (never the password, never the PIN) for the same user through the same app until it expires, is revoked,
/// or the password changes. The token itself is never stored.
public struct TrustedDevice: Sendable, Equatable {
    /// The public id, for lists and revokes.
    public var id: String
    public var digest: String
    public var userID: Int64
    public var appKeyID: Int64
    public var companyID: Int64
    /// The user agent family it was remembered with (``DeviceFingerprint/family``).
    public var label: String
    public var address: String?
    public var createdAt: Date
    public var expiresAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    public init(
        id: String,
        digest: String,
        userID: Int64,
        appKeyID: Int64,
        companyID: Int64,
        label: String,
        address: String?,
        createdAt: Date,
        expiresAt: Date,
        lastUsedAt: Date? = nil,
        revokedAt: Date? = nil
    ) {
        self.id = id
        self.digest = digest
        self.userID = userID
        self.appKeyID = appKeyID
        self.companyID = companyID
        self.label = label
        self.address = address
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }

    /// Whether it skips the code for `user` through `appKeyID` at `now`: live, of this user and app, and
    /// remembered after the user's password was last set.
    public func vouches(for user: User, appKeyID: Int64, at now: Date) -> Bool {
        self.revokedAt == nil && now < self.expiresAt && self.userID == user.id && self.appKeyID == appKeyID
            && self.createdAt >= user.passwordChangedAt
    }
}

/// A freshly minted device token: the secret for the client and the record for the store.
public struct IssuedDeviceToken: Sendable, Equatable {
    public var token: String
    public var record: TrustedDevice

    public init(token: String, record: TrustedDevice) {
        self.token = token
        self.record = record
    }
}
