import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOFoundationCompat
import TesseraCore

/// The admin JSON API (`/admin/v1`) for scripts, with an operator's bearer token. The same operator service as the
/// console and the CLI decides every action, with the operator as actor; routes parse and answer.
struct AdminAPIController: Sendable {
    let office: BackOffice

    func addRoutes(to router: Router<TesseraRequestContext>) {
        let api = router.group("/admin/v1")
        api.post("/sign-in", use: self.signIn)
        api.get("/me", use: self.me)
        api.get("/overview", use: self.overview)
        api.get("/companies", use: self.companies)
        api.post("/companies", use: self.createCompany)
        api.get("/companies/{name}", use: self.company)
        api.put("/companies/{name}/policy", use: self.updatePolicy)
        api.get("/companies/{name}/app-keys", use: self.appKeys)
        api.post("/companies/{name}/app-keys", use: self.createAppKey)
        api.post("/app-keys/{id}/revoke", use: self.revokeAppKey)
        api.get("/users", use: self.users)
        api.get("/companies/{name}/users/{username}", use: self.user)
        api.post("/companies/{name}/users/{username}/{action}", use: self.userAction)
        api.get("/companies/{name}/users/{username}/sessions", use: self.sessions)
        api.delete("/sessions/{id}", use: self.endSession)
        api.get("/audit", use: self.audit)
        api.get("/operators", use: self.operators)
        api.post("/operators", use: self.createOperator)
        api.post("/operators/{username}/delete", use: self.deleteOperator)
    }

    // MARK: Plumbing

    static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Wire.json(status, body)
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Self.json(status, JSONText.object(["error": .string(message)]))
    }

    /// The operator of the request's bearer, or `401`.
    func session(_ request: Request) async throws -> BackOffice.Session {
        guard let session = try await self.office.session(request, bearer: true) else {
            throw WireRefusal(Self.error(.unauthorized, "operator sign-in required"))
        }
        return session
    }

    /// The request's JSON object (`{}` without a body); `400` for anything else.
    static func body(_ request: Request) async throws -> [String: Any] {
        let buffer = try await RequestFields.collect(request)
        guard buffer.readableBytes > 0 else { return [:] }
        // JSON only: a page of another site cannot send it without a CORS preflight, which this listener never
        // grants, so it cannot sign an operator in (or lock them out) from a browser.
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true else {
            throw WireRefusal(Self.error(.unsupportedMediaType, "send a JSON body with Content-Type: application/json"))
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(buffer: buffer))) as? [String: Any] else {
            throw WireRefusal(Self.error(.badRequest, "the body must be a JSON object"))
        }
        return object
    }

    /// Runs `action` as the request's operator; the service's refusals become JSON errors.
    func perform(_ request: Request, _ action: (BackOffice.Session) async throws -> Response) async throws -> Response {
        let session = try await self.session(request)
        do {
            return try await action(session)
        } catch let error as OperatorError {
            let message = error.message { ConsoleController.fieldName($0) }
            switch error.kind {
            case .forbidden: return Self.error(.forbidden, message)
            case .notFound: return Self.error(.notFound, message)
            case .conflict, .ambiguous: return Self.error(.conflict, message)
            case .invalid: return Self.error(.badRequest, message)
            }
        } catch let error as FieldError {
            return Self.error(.badRequest, error.message)
        }
    }

    struct FieldError: Error {
        let message: String
    }

    static func string(_ body: [String: Any], _ name: String) throws -> String {
        guard let value = body[name] as? String else { throw FieldError(message: "\(name) must be a string") }
        return value
    }

    static func parameter(_ context: TesseraRequestContext, _ name: String) -> String {
        ConsoleController.parameter(context, name)
    }

    static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }

    // MARK: Rendering

    static func policy(_ policy: CompanyPolicy) -> String {
        func optional(_ value: Int?) -> JSONText.Value { value.map { .int(Int64($0)) } ?? .raw("null") }
        return JSONText.object([
            "requireTwoFactor": .bool(policy.requireTwoFactor), "requirePin": .bool(policy.requirePin),
            "tokenLifetime": .int(Int64(policy.tokenLifetime)), "passwordMinLength": .int(Int64(policy.passwords.minimumLength)),
            "passwordMaxAgeDays": optional(policy.passwords.maximumAgeDays),
            "maxFailuresPerDevice": .int(Int64(policy.lockout.pairFailureLimit)),
            "maxFailuresPerAccount": .int(Int64(policy.lockout.accountFailureLimit)),
            "maxFailuresPerAddress": .int(Int64(policy.lockout.addressFailureLimit)),
            "throttleAnswer": .string(policy.throttleAnswer.rawValue), "corsOrigins": .strings(policy.browserOrigins),
            "refreshTokens": .bool(policy.refresh != nil), "recentAuthMinutes": optional(policy.recentAuthentication),
            "userExpiryDays": optional(policy.userExpiryDays), "newDeviceNotices": .bool(policy.devices.newDeviceNotices),
            "trustedDeviceDays": optional(policy.devices.trustedDeviceDays),
        ])
    }

    static func company(_ company: Company) -> String {
        JSONText.object(["id": .int(company.id), "name": .string(company.name), "policy": .raw(Self.policy(company.policy))])
    }

    static func appKey(_ key: AppKey) -> String {
        JSONText.object([
            "id": .int(key.id), "name": .string(key.name), "createdAt": .date(key.createdAt),
            "revokedAt": .date(key.revokedAt), "resourceServer": .bool(key.introspectionSecretDigest != nil),
        ])
    }

    static func user(_ company: Company, _ user: User, lockedUntil: Date?? = nil) -> String {
        JSONText.object([
            "id": .int(user.id), "company": .string(company.name), "username": .string(user.username), "email": .string(user.email),
            "phone": .string(user.phone), "twoFactor": .string(user.twoFactor.rawValue), "disabled": .bool(user.isDisabled),
            "lastSignInAt": .date(user.lastSignInAt),
            "lockedUntil": lockedUntil.map { .date($0) } ?? .omit,
        ])
    }

    /// Applies a policy body (any subset of the fields) to `policy`.
    static func apply(_ body: [String: Any], to policy: inout CompanyPolicy) throws {
        func int(_ name: String) throws -> Int?? {
            guard let value = body[name] else { return nil }
            if value is NSNull { return .some(nil) }
            guard let number = value as? Int, !(value is Bool) else { throw FieldError(message: "\(name) must be a whole number or null") }
            return .some(number)
        }
        func bool(_ name: String) throws -> Bool? {
            guard let value = body[name] else { return nil }
            guard let flag = value as? Bool else { throw FieldError(message: "\(name) must be true or false") }
            return flag
        }
        if let value = try bool("requireTwoFactor") { policy.requireTwoFactor = value }
        if let value = try bool("requirePin") { policy.requirePin = value }
        if let value = try int("tokenLifetime") { policy.tokenLifetime = value ?? CompanyPolicy.maximumTokenLifetime }
        if let value = try int("passwordMinLength") { policy.passwords.minimumLength = value ?? 12 }
        if let value = try int("passwordMaxAgeDays") { policy.passwords.maximumAgeDays = value }
        if let value = try int("maxFailuresPerDevice") { policy.lockout.pairFailureLimit = value ?? 10 }
        if let value = try int("maxFailuresPerAccount") { policy.lockout.accountFailureLimit = value ?? 100 }
        if let value = try int("maxFailuresPerAddress") { policy.lockout.addressFailureLimit = value ?? 100 }
        if let value = body["throttleAnswer"] {
            guard let text = value as? String, let answer = ThrottleAnswer(rawValue: text) else {
                throw FieldError(message: "throttleAnswer must be \"429\" or \"etna\"")
            }
            policy.throttleAnswer = answer
        }
        if let value = body["corsOrigins"] {
            guard let list = value as? [String] else { throw FieldError(message: "corsOrigins must be a list of origins") }
            policy.browserOrigins = try list.map { try CompanyPolicy.normalizedOrigin($0) }
        }
        if let value = try bool("refreshTokens") { policy.refresh = value ? (policy.refresh ?? RefreshPolicy()) : nil }
        if let value = try int("recentAuthMinutes") { policy.recentAuthentication = value }
        if let value = try int("userExpiryDays") { policy.userExpiryDays = value }
        if let value = try bool("newDeviceNotices") { policy.devices.newDeviceNotices = value }
        if let value = try int("trustedDeviceDays") { policy.devices.trustedDeviceDays = value }
    }

    // MARK: Routes

    @Sendable func signIn(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let body = try await Self.body(request)
        let result = try await self.office.signIn(
            username: body["username"] as? String ?? "",
            password: body["password"] as? String ?? "",
            code: body["code"] as? String ?? "",
            origin: self.office.origin(request, context: context)
        )
        guard case .signedIn(let token, let found) = result else { return Self.error(.unauthorized, "sign-in failed") }
        let expires = self.office.clock.now.addingTimeInterval(TimeInterval(OperatorService.operatorsSessionLifetime))
        return Self.json(
            .ok,
            JSONText.object(["token": .string(token), "role": .string(found.role.rawValue), "expiresAt": .date(expires)])
        )
    }

    @Sendable func me(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        try await self.perform(request) { session in
            Self.json(.ok, JSONText.object(["username": .string(session.username), "role": .string(session.role.rawValue)]))
        }
    }

    @Sendable func overview(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        try await self.perform(request) { session in
            let (hours, locks) = try await self.office.operators.overview(by: session.actor)
            let hourItems = hours.map { hour in
                JSONText.object([
                    "start": .date(hour.start), "succeeded": .int(Int64(hour.succeeded)),
                    "failed": .int(Int64(hour.failed)), "throttled": .int(Int64(hour.throttled)), "locked": .int(Int64(hour.locked)),
                ])
            }
            let lockItems = locks.map { lock in
                JSONText.object([
                    "company": .string(lock.company), "username": .string(lock.usernameKey), "until": .date(lock.until),
                ])
            }
            return Self.json(.ok, JSONText.object(["hours": .raw(Self.array(hourItems)), "lockouts": .raw(Self.array(lockItems))]))
        }
    }

    @Sendable func companies(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        try await self.perform(request) { session in
            Self.json(.ok, Self.array(try await self.office.operators.companies(by: session.actor).map(Self.company)))
        }
    }

    @Sendable func createCompany(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        try await self.perform(request) { session in
            let body = try await Self.body(request)
            var policy = CompanyPolicy()
            if let given = body["policy"] {
                guard let fields = given as? [String: Any] else { throw FieldError(message: "policy must be an object") }
                try Self.apply(fields, to: &policy)
            }
            let company = try await self.office.operators.createCompany(name: try Self.string(body, "name"), policy: policy, by: session.actor)
            return Self.json(.created, Self.company(company))
        }
    }

    @Sendable func company(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        try await self.perform(request) { session in
            Self.json(.ok, Self.company(try await self.office.operators.company(named: Self.parameter(context, "name"), by: session.actor)))
        }
    }

    @Sendable func updatePolicy(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        try await self.perform(request) { session in
            let body = try await Self.body(request)
            let company = try await self.office.operators.updateCompany(named: Self.parameter(context, "name"), by: session.actor) {
                try Self.apply(body, to: &$0)
            }
            return Self.json(.ok, Self.company(company))
        }
    }

    @Sendable func appKeys(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        try await self.perform(request) { session in
            let keys = try await self.office.operators.appKeys(company: Self.parameter(context, "name"), by: session.actor)
            return Self.json(.ok, Self.array(keys.map(Self.appKey)))
        }
    }

    @Sendable func createAppKey(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        try await self.perform(request) { session in
            let body = try await Self.body(request)
            let created = try await self.office.operators.createAppKey(
                company: Self.parameter(context, "name"),
                name: try Self.string(body, "name"),
                resourceServer: body["introspect"] as? Bool ?? false,
                by: session.actor
            )
            return Self.json(
                .created,
                JSONText.object([
                    "id": .int(created.appKey.id), "name": .string(created.appKey.name), "key": .string(created.key),
                    "secret": created.introspectionSecret.map { .string($0) } ?? .omit,
                ])
            )
        }
    }

    /// A destructive action: the operator's password and code again, through the login flow.
    func reconfirmed(_ session: BackOffice.Session, _ body: [String: Any], request: Request, context: TesseraRequestContext) async throws -> Bool {
        try await self.office.reconfirm(
            session,
            password: body["password"] as? String ?? "",
            code: body["code"] as? String ?? "",
            origin: self.office.origin(request, context: context)
        ) != nil
    }

    @Sendable func revokeAppKey(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        try await self.perform(request) { session in
            try session.actor.require(.admin)
            guard let id = Int64(Self.parameter(context, "id")) else { throw OperatorError(.notFound, "no such app key") }
            let body = try await Self.body(request)
            guard try await self.reconfirmed(session, body, request: request, context: context) else {
                return Self.error(.unauthorized, "your password or code was not right")
            }
            let companies = try await self.office.operators.companies(by: session.actor)
            for company in companies {
                let keys = try await self.office.operators.appKeys(company: company.name, by: session.actor)
                if keys.contains(where: { $0.id == id }) {
                    return Self.json(.ok, Self.appKey(try await self.office.operators.revokeAppKey(id: id, company: company.name, by: session.actor)))
                }
            }
            throw OperatorError(.notFound, "no live app key has the id \(id)")
        }
    }

    @Sendable func users(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        try await self.perform(request) { session in
            let text = request.uri.queryParameters["q"].map(String.init) ?? ""
            let found = try await self.office.operators.searchUsers(text, by: session.actor)
            return Self.json(.ok, Self.array(found.map { Self.user($0.0, $0.1) }))
        }
    }

    func reference(_ context: TesseraRequestContext) -> UserReference {
        UserReference(username: Self.parameter(context, "username"), company: Self.parameter(context, "name"))
    }

    @Sendable func user(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        try await self.perform(request) { session in
            let reference = self.reference(context)
            let (company, user) = try await self.office.operators.user(reference, by: session.actor)
            let locked = try await self.office.operators.lockedUntil(reference, by: session.actor)
            return Self.json(.ok, Self.user(company, user, lockedUntil: .some(locked)))
        }
    }

    @Sendable func userAction(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        try await self.perform(request) { session in
            let reference = self.reference(context)
            let name = Self.parameter(context, "action")
            guard let action = SupportAction(rawValue: name) else { throw OperatorError(.notFound, "no action is named \(name)") }
            if let enrolment = try await self.office.operators.perform(action, on: reference, by: session.actor) {
                return Self.json(
                    .ok,
                    JSONText.object(["done": .string(name), "secret": .string(enrolment.secret), "url": .string(enrolment.url)])
                )
            }
            return Self.json(.ok, JSONText.object(["done": .string(name)]))
        }
    }

    @Sendable func sessions(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        try await self.perform(request) { session in
            let sessions = try await self.office.operators.sessions(of: self.reference(context), by: session.actor)
            return Self.json(
                .ok,
                Self.array(
                    sessions.map { item in
                        JSONText.object([
                            "id": .string(item.record.sessionID), "app": .string(item.appName), "address": .string(item.record.address),
                            "userAgent": .string(item.record.userAgent), "createdAt": .date(item.record.issuedAt),
                            "lastSeenAt": .date(item.record.lastSeenAt),
                            "expiresAt": .date(item.record.expiresAt),
                        ])
                    }
                )
            )
        }
    }

    @Sendable func endSession(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        try await self.perform(request) { session in
            try await self.office.operators.endSession(id: Self.parameter(context, "id"), by: session.actor)
            return Self.json(.ok, JSONText.object(["done": .string("end-session")]))
        }
    }

    @Sendable func audit(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        try await self.perform(request) { session in
            let limit = request.uri.queryParameters["limit"].flatMap { Int(String($0)) } ?? 500
            guard (1...10_000).contains(limit) else { throw FieldError(message: "limit must be between 1 and 10000") }
            let (_, rows) = try await ConsoleController(office: self.office).auditEvents(request, session: session, limit: limit)
            let items = rows.map { row in
                JSONText.object([
                    "at": .date(row.at), "kind": .string(row.kind), "company": .string(row.company),
                    "user": .string(row.user), "actor": .string(row.actor), "address": .string(row.address), "outcome": .string(row.outcome),
                ])
            }
            return Self.json(.ok, Self.array(items))
        }
    }

    static func operatorItem(_ item: BackOfficeOperator) -> String {
        JSONText.object(["username": .string(item.user.username), "role": .string(item.role.rawValue)])
    }

    @Sendable func operators(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        try await self.perform(request) { session in
            Self.json(.ok, Self.array(try await self.office.operators.operators(by: session.actor).map(Self.operatorItem)))
        }
    }

    @Sendable func createOperator(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        try await self.perform(request) { session in
            let body = try await Self.body(request)
            guard let role = OperatorRole(rawValue: body["role"] as? String ?? "") else {
                throw FieldError(message: "role must be viewer, support or admin")
            }
            let (created, enrolment) = try await self.office.operators.createOperator(
                username: try Self.string(body, "username"),
                role: role,
                password: try Self.string(body, "password"),
                email: body["email"] as? String,
                by: session.actor
            )
            return Self.json(
                .created,
                JSONText.object([
                    "username": .string(created.user.username), "role": .string(role.rawValue), "secret": .string(enrolment.secret),
                    "url": .string(enrolment.url),
                ])
            )
        }
    }

    @Sendable func deleteOperator(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        try await self.perform(request) { session in
            try session.actor.require(.admin)
            let body = try await Self.body(request)
            guard try await self.reconfirmed(session, body, request: request, context: context) else {
                return Self.error(.unauthorized, "your password or code was not right")
            }
            try await self.office.operators.deleteOperator(username: Self.parameter(context, "username"), by: session.actor)
            return Self.json(.ok, JSONText.object(["done": .string("delete")]))
        }
    }
}
