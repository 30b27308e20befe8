/// Who is asking: the client address that counts for throttling (after trusted proxies) and the request id.
public struct RequestOrigin: Sendable, Equatable {
    public var address: String
    public var requestID: String?
    /// The client's `User-Agent`, kept (cut to 200 characters) with the session it opens.
    public var userAgent: String?

    public init(address: String, requestID: String? = nil, userAgent: String? = nil) {
        self.address = address
        self.requestID = requestID
        self.userAgent = userAgent.map { String($0.prefix(200)) }
    }
}
