/// Who is asking: the client address that counts for throttling (after trusted proxies) and the request id.
public struct LoginClient: Sendable, Equatable {
    public var address: String
    public var requestID: String?

    public init(address: String, requestID: String? = nil) {
        self.address = address
        self.requestID = requestID
    }
}
