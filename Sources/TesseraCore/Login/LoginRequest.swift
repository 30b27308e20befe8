/// The credentials of one `/token` request, as the client sent them. Empty values count as absent
/// (ETNA's documented defaults are empty strings).
public struct LoginRequest: Sendable, Equatable {
    public var username: String?
    public var password: String?
    public var verificationCode: String?
    public var pin: String?
    /// The interim token from a previous `202`, without `Bearer `.
    public var interimToken: String?
    /// A `DeviceToken` from an earlier login of the user on this device (companies with remembered devices).
    public var deviceToken: String?
    /// `RememberDevice: true`: when this request completes a login that passed a verification code, answer with a
    /// `DeviceToken`.
    public var rememberDevice: Bool

    public init(
        username: String? = nil,
        password: String? = nil,
        verificationCode: String? = nil,
        pin: String? = nil,
        interimToken: String? = nil,
        deviceToken: String? = nil,
        rememberDevice: Bool = false
    ) {
        self.username = username.nonEmpty
        self.password = password.nonEmpty
        self.verificationCode = verificationCode.nonEmpty
        self.pin = pin.nonEmpty
        self.interimToken = interimToken.nonEmpty
        self.deviceToken = deviceToken.nonEmpty
        self.rememberDevice = rememberDevice
    }
}

extension Optional where Wrapped == String {
    var nonEmpty: String? {
        guard let self, !self.isEmpty else { return nil }
        return self
    }
}
