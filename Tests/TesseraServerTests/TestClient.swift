import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOPosix
import Synchronization
import TesseraBcrypt
import TesseraCore
import TesseraDelivery
import TesseraServer
import TesseraStorage
import Testing

/// A response with its JSON body parsed.
struct Answer: Sendable {
    let status: Int
    let headers: HTTPFields
    let body: String

    var json: [String: any Sendable] {
        (try? JSONSerialization.jsonObject(with: Data(self.body.utf8)) as? [String: any Sendable]) ?? [:]
    }

    var token: String? { self.json["Token"] as? String }

    /// Whether the body is exactly `{"State":…,"Step":…,"Reason":…}` (no token) with these values.
    func isFailure(_ step: String, _ reason: String) -> Bool {
        self.status == 401 && Set(self.json.keys) == ["State", "Step", "Reason"]
            && self.json["State"] as? String == "Failed" && self.json["Step"] as? String == step
            && self.json["Reason"] as? String == reason
    }

    /// Whether the body is ETNA's envelope refusing with this error code.
    func refuses(_ code: String) -> Bool {
        (400..<500).contains(self.status) && self.json["IsSucceed"] as? Bool == false
            && (self.json["ErrorsCode"] as? [String])?.contains(code) == true
    }

    /// Whether the body is ETNA's envelope with `IsSucceed: true`.
    var succeeded: Bool { self.status == 200 && self.json["IsSucceed"] as? Bool == true }

    /// Whether the body is exactly a `202` with these step and reason and a token.
    func isExpecting(_ step: String, _ reason: String) -> Bool {
        // A ticket comes in ETNA's ConfirmationToken too, and equal to Token.
        self.status == 202 && Set(self.json.keys).subtracting(["ConfirmationToken"]) == ["State", "Step", "Reason", "Token"]
            && (self.json["ConfirmationToken"] == nil || self.json["ConfirmationToken"] as? String == self.token)
            && self.json["State"] as? String == "Expecting" && self.json["Step"] as? String == step
            && self.json["Reason"] as? String == reason && !(self.token ?? "").isEmpty
    }

    var isSuccess: Bool {
        self.status == 200 && Set(self.json.keys) == ["State", "Token"] && self.json["State"] as? String == "Succeeded"
            && !(self.token ?? "").isEmpty
    }
}

/// A thin client for the contract's calls.
struct Client: Sendable {
    let client: any TestClientProtocol
    let world: TestWorld
    /// A connection of its own, for requests that must really run in parallel (the shared test client sends
    /// one request at a time on one connection).
    var ownConnection: TestClient?

    init(client: any TestClientProtocol, world: TestWorld, ownConnection: TestClient? = nil) {
        self.client = client
        self.world = world
        self.ownConnection = ownConnection
    }

    func send(_ method: HTTPRequest.Method, _ uri: String, _ headers: [(String, String)]) async throws -> Answer {
        var fields = HTTPFields()
        for (name, value) in headers {
            fields.append(HTTPField(name: HTTPField.Name(name)!, value: value))
        }
        return try await self.perform(method, uri, fields, body: nil)
    }

    /// Sends one request on this client's connection; a failure names the request and how long it waited.
    private func perform(_ method: HTTPRequest.Method, _ uri: String, _ fields: HTTPFields, body: ByteBuffer?) async throws -> Answer {
        let started = ContinuousClock.now
        do {
            if let connection = self.ownConnection {
                let response = try await connection.execute(
                    TestClient.Request(uri, method: method, authority: "localhost", headers: fields, body: body)
                )
                return Answer(
                    status: Int(response.head.status.code),
                    headers: response.head.headerFields,
                    body: String(buffer: response.body ?? ByteBuffer())
                )
            }
            return try await self.client.execute(uri: uri, method: method, headers: fields, body: body) { response in
                Answer(status: Int(response.status.code), headers: response.headers, body: String(buffer: response.body))
            }
        } catch {
            throw RequestFailure(request: "\(method) \(uri)", waited: ContinuousClock.now - started, error: error)
        }
    }

    /// Runs `body` with a client on a new connection of its own.
    func onNewConnection<T: Sendable>(_ body: @escaping @Sendable (Client) async throws -> T) async throws -> T {
        let port = self.client.port!
        let world = self.world
        let client = self.client
        // A generous read timeout: parallel logins queue for the hashing slots, which a loaded machine serves slowly.
        return try await TestClient.withClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(90))) { connection in
            try await body(Client(client: client, world: world, ownConnection: connection))
        }
    }

    /// `POST /token` with the app key `app` (a name in the world, or nil for none) and these headers.
    func token(app: String? = "acme", _ headers: [(String, String)] = []) async throws -> Answer {
        let key = app.map { self.world.appKeys[$0] ?? $0 }
        return try await self.send(.post, "/token", (key.map { [("Et-App-Key", $0)] } ?? []) + headers)
    }

    func login(
        _ username: String,
        password: String = TestWorld.password,
        app: String = "acme",
        _ extra: [(String, String)] = []
    )
        async throws -> Answer
    {
        try await self.token(app: app, [("Username", username), ("Password", password)] + extra)
    }

    /// A JSON request to a `v1.0` endpoint with the app key, and a bearer when given.
    func json(
        _ method: HTTPRequest.Method,
        _ uri: String,
        app: String = "acme",
        bearer: String? = nil,
        headers extra: [(String, String)] = [],
        _ body: [String: String]
    ) async throws -> Answer {
        var fields = HTTPFields()
        fields.append(HTTPField(name: HTTPField.Name("Et-App-Key")!, value: self.world.appKeys[app] ?? app))
        fields.append(HTTPField(name: .contentType, value: "application/json"))
        if let bearer { fields.append(HTTPField(name: .authorization, value: "Bearer \(bearer)")) }
        for (name, value) in extra { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        let data = try JSONSerialization.data(withJSONObject: body)
        return try await self.perform(method, uri, fields, body: ByteBuffer(bytes: data))
    }

    /// `PUT /v1.0/users/@me/password/change` from the current password to `new`.
    func changePassword(app: String, bearer: String, to new: String, from old: String = TestWorld.password) async throws -> Answer {
        try await self.json(
            .put,
            "/v1.0/users/@me/password/change",
            app: app,
            bearer: bearer,
            ["OldPassword": old, "Password": new, "PasswordConfirm": new]
        )
    }

    /// `POST /token/introspect` as a resource server (`resource`), with a form body.
    func introspect(_ token: String, as server: String = "resource", secret: String? = nil) async throws -> Answer {
        let key = self.world.appKeys[server] ?? server
        let password = secret ?? self.world.appKeys[server + "-secret"] ?? ""
        let basic = Data("\(key):\(password)".utf8).base64EncodedString()
        var fields = HTTPFields()
        fields.append(HTTPField(name: .authorization, value: "Basic \(basic)"))
        fields.append(HTTPField(name: .contentType, value: "application/x-www-form-urlencoded"))
        let body = "token=" + (token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        return try await self.perform(.post, "/token/introspect", fields, body: ByteBuffer(string: body))
    }

    /// `GET /v1.0/users/@me/info` with a bearer token.
    func info(_ token: String?, app: String = "acme", bearer: Bool = true) async throws -> Answer {
        var headers = [("Et-App-Key", self.world.appKeys[app] ?? app)]
        if let token { headers.append(("Authorization", bearer ? "Bearer \(token)" : token)) }
        return try await self.send(.get, "/v1.0/users/@me/info", headers)
    }
}

/// A request of the test client that got no answer: which one, after how long, and why.
struct RequestFailure: Error, CustomStringConvertible {
    let request: String
    let waited: Duration
    let error: any Error

    var description: String { "\(self.request) got no answer after \(self.waited): \(self.error)" }
}

/// Real bcrypt, counted: proves where no hash ran.
final class CountingBcrypt: PasswordHasher {
    private let bcrypt: BcryptPasswordHasher
    private let counter = Mutex(0)

    /// `ownThreads`: hash on threads of its own, so the hashes of other tests running at the same time do not
    /// queue in front of these.
    init(
        cost: UInt8 = TestWorld.productionCost,
        maximumConcurrent: Int = System.coreCount,
        maximumWait: Duration = .seconds(60),
        perAddress: Int = BcryptPasswordHasher.defaultPerAddress,
        ownThreads: Int? = nil
    ) {
        let threads = ownThreads.map { count -> NIOThreadPool in
            let pool = NIOThreadPool(numberOfThreads: count)
            pool.start()
            return pool
        }
        self.bcrypt = BcryptPasswordHasher(
            cost: cost,
            maximumConcurrent: maximumConcurrent,
            maximumWait: maximumWait,
            perAddress: perAddress,
            threads: threads ?? .singleton
        )
    }

    var count: Int { self.counter.withLock { $0 } }

    func hash(_ password: String) async throws -> String { try await self.bcrypt.hash(password) }

    func verify(_ password: String, against hash: String, lane: HashLane) async throws -> Bool {
        self.counter.withLock { $0 += 1 }
        return try await self.bcrypt.verify(password, against: hash, lane: lane)
    }

    func verifyDummy(_ password: String, lane: HashLane) async throws {
        self.counter.withLock { $0 += 1 }
        try await self.bcrypt.verifyDummy(password, lane: lane)
    }
}
