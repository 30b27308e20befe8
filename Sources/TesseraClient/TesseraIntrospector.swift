import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What a resource server learns about an active token.
public struct TesseraIdentity: Sendable, Equatable {
    public var subject: String
    public var username: String
    public var company: String
    public var clientID: String
    public var sessionID: String
    public var expiresAt: Date
}

/// Asks Tessera whether a bearer token is active (`POST /token/introspect`), as a resource server, and keeps
/// answers for a few seconds so a busy API does not ask on every request. A revocation therefore takes effect
/// within `cacheTTL`.
public actor TesseraIntrospector {
    public let baseURL: URL
    private let key: String
    private let secret: String
    private let session: URLSession
    public let cacheTTL: Duration
    private let maximumEntries: Int
    private var cache: [String: (identity: TesseraIdentity?, until: ContinuousClock.Instant)] = [:]

    /// - Parameters:
    ///   - key, secret: a resource server's app key (`tessera app create --introspect`) and its secret.
    ///   - cacheTTL: how long an answer (active or not) is reused.
    public init(
        baseURL: URL,
        key: String,
        secret: String,
        cacheTTL: Duration = .seconds(5),
        maximumEntries: Int = 10_000,
        session: URLSession = .shared
    ) {
        self.baseURL = baseURL
        self.key = key
        self.secret = secret
        self.cacheTTL = cacheTTL
        self.maximumEntries = maximumEntries
        self.session = session
    }

    /// The identity behind `token`, or `nil` when it is not active.
    public func identity(for token: String) async throws -> TesseraIdentity? {
        let now = ContinuousClock.now
        if let cached = self.cache[token], cached.until > now { return cached.identity }
        let identity = try await self.ask(token)
        if self.cache.count >= self.maximumEntries {
            self.cache = self.cache.filter { $0.value.until > now }
            if self.cache.count >= self.maximumEntries { self.cache.removeAll() }
        }
        self.cache[token] = (identity, now + self.cacheTTL)
        return identity
    }

    private func ask(_ token: String) async throws -> TesseraIdentity? {
        guard let url = URL(string: "token/introspect", relativeTo: self.baseURL) else { throw TesseraClientError.invalidResponse }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("Basic " + Data("\(self.key):\(self.secret)".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-_.~")
        request.httpBody = Data(("token=" + (token.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")).utf8)
        let (data, response) = try await self.session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw TesseraClientError.invalidResponse }
        guard http.statusCode == 200 else {
            throw http.statusCode == 401 ? TesseraClientError.unknownAppKey : TesseraClientError.unavailable(retryAfter: nil)
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TesseraClientError.invalidResponse
        }
        guard object["active"] as? Bool == true, let subject = object["sub"] as? String, let username = object["username"] as? String,
            let exp = object["exp"] as? Int
        else { return nil }
        return TesseraIdentity(
            subject: subject,
            username: username,
            company: object["company"] as? String ?? "",
            clientID: object["client_id"] as? String ?? "",
            sessionID: object["sid"] as? String ?? "",
            expiresAt: Date(timeIntervalSince1970: TimeInterval(exp))
        )
    }
}
