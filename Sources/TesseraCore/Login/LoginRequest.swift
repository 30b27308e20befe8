/// The credentials of one `/token` request, as the client sent them. Empty values count as absent
/// (ETNA's documented defaults are empty strings).
public struct LoginRequest: Sendable, Equatable {
    public var username: String?
    public var password: String?
    public var verificationCode: String?
    public var pin: String?
    /// The interim token from a previous `202`, without `Bearer `.
    public var interimToken: String?

    public init(
        username: String? = nil,
        password: String? = nil,
        verificationCode: String? = nil,
        pin: String? = nil,
        interimToken: String? = nil
    ) {
        self.username = username.nonEmpty
        self.password = password.nonEmpty
        self.verificationCode = verificationCode.nonEmpty
        self.pin = pin.nonEmpty
        self.interimToken = interimToken.nonEmpty
    }
}

extension Optional where Wrapped == String {
    var nonEmpty: String? {
        guard let self, !self.isEmpty else { return nil }
        return self
    }
}
