import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TesseraCore

/// The back office's console: server-rendered pages and plain HTML forms, no script. Routes parse and render;
/// the operator service decides, with the signed-in operator as actor (so a role is checked on the server,
/// whatever a page showed), and audits.
struct ConsoleController: Sendable {
    let office: BackOffice

    func addRoutes(to router: Router<TesseraRequestContext>) {
        router.get("/console.css") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=3600"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: HTML.styleSheet))
            )
        }
        router.get("/sign-in", use: self.signInPage)
        router.post("/sign-in", use: self.signIn)
        router.post("/sign-out", use: self.signOut)
        router.get("/", use: self.overview)
        router.get("/companies", use: self.companies)
        router.post("/companies", use: self.createCompany)
        router.get("/companies/{name}", use: self.company)
        router.post("/companies/{name}/policy", use: self.savePolicy)
        router.get("/companies/{name}/webapi", use: self.webAPI)
        router.post("/companies/{name}/app-keys", use: self.createAppKey)
        router.post("/companies/{name}/app-keys/{id}/revoke", use: self.revokeAppKey)
        router.post("/companies/{name}/cors", use: self.saveOrigins)
        router.get("/users", use: self.users)
        router.get("/companies/{name}/users/{username}", use: self.user)
        router.post("/companies/{name}/users/{username}/{action}", use: self.userAction)
        router.post("/sessions/{id}/end", use: self.endSession)
        router.get("/audit", use: self.audit)
        router.get("/audit.csv", use: self.auditCSV)
        router.get("/operators", use: self.operatorsPage)
        router.post("/operators", use: self.createOperator)
        router.post("/operators/{username}/delete", use: self.deleteOperator)
    }

    // MARK: Sessions and forms

    /// The signed-in operator, or a refusal that sends the browser to the sign-in page.
    func signedIn(_ request: Request) async throws -> BackOffice.Session {
        guard let session = try await self.office.session(request, bearer: false) else {
            throw WireRefusal(HTML.redirect("/sign-in", cookies: [self.office.sessionCookie(nil)]))
        }
        return session
    }

    /// A console form's fields, after its session and its CSRF token are checked.
    func posted(_ request: Request) async throws -> (BackOffice.Session, RequestFields) {
        let session = try await self.signedIn(request)
        let fields = try await RequestFields.read(request, assuming: .form)
        guard let csrf = fields.string("csrf"), SecretDigest.constantTimeEquals(csrf, self.office.csrfToken(session)) else {
            throw WireRefusal(
                self.refusal(.forbidden, "Form expired", "The form was missing its CSRF token or is too old. Open the page again.", session)
            )
        }
        return (session, fields)
    }

    func page(_ title: String, _ session: BackOffice.Session, _ body: String, status: HTTPResponse.Status = .ok) -> Response {
        let who = (session.username, session.role.rawValue, self.office.csrfToken(session))
        return HTML.response(status, HTML.page(title: title, signedIn: who, body))
    }

    func refusal(_ status: HTTPResponse.Status, _ title: String, _ message: String, _ session: BackOffice.Session) -> Response {
        self.page(title, session, "<h1>\(HTML.escape(title))</h1>\(HTML.error(message))", status: status)
    }

    /// Runs an operator action; the service's refusals become pages (a role too low: `403` Not allowed).
    func perform(_ session: BackOffice.Session, _ action: () async throws -> Response) async throws -> Response {
        do {
            return try await action()
        } catch let error as OperatorError {
            let message = error.message { Self.fieldName($0) }
            switch error.kind {
            case .forbidden:
                return self.refusal(.forbidden, "Not allowed", "Your role (\(session.role.rawValue)) may not do this: \(message).", session)
            case .notFound: return self.refusal(.notFound, "Not found", message, session)
            case .conflict, .ambiguous: return self.refusal(.conflict, "Not done", message, session)
            case .invalid: return self.refusal(.badRequest, "Not done", message, session)
            }
        }
    }

    /// How the console names the core's fields.
    static func fieldName(_ field: OperatorError.Field) -> String {
        switch field {
        case .tokenLifetime: "token lifetime"
        case .pairFailureLimit: "failures per device"
        case .accountFailureLimit: "failures per account"
        case .addressFailureLimit: "failures per address"
        case .passwordMaxAge: "password maximum age"
        case .passwordMinLength: "password minimum length"
        case .corsOrigin: "CORS origin"
        case .trustedDeviceDays: "remembered device days"
        case .recentAuthentication: "step-up minutes"
        default: field.rawValue
        }
    }

    static func parameter(_ context: TesseraRequestContext, _ name: String) -> String {
        let raw = context.parameters.get(name) ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    // MARK: Sign-in

    @Sendable func signInPage(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        if try await self.office.session(request, bearer: false) != nil { return HTML.redirect("/") }
        return self.signInForm(status: .ok, error: nil)
    }

    func signInForm(status: HTTPResponse.Status, error: String?) -> Response {
        let csrf = SecureRandom().token()
        let body = """
            <h1>Sign in</h1>\(HTML.error(error))
            <form id="sign-in" method="post" action="/sign-in" class="panel">\(HTML.csrfField(csrf))
            <p>\(HTML.input("username", label: "Username", required: true))</p>
            <p>\(HTML.input("password", label: "Password", type: "password", required: true))</p>
            <p><label>Authenticator code <input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" required></label></p>
            <button type="submit">Sign in</button></form>
            """
        return HTML.response(status, HTML.page(title: "Sign in", signedIn: nil, body), cookies: [self.office.signInCookie(csrf)])
    }

    @Sendable func signIn(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let fields = try await RequestFields.read(request, assuming: .form)
        // A double submit: the form's value must be the cookie's, which a page of another site cannot read.
        guard let csrf = fields.string("csrf"), let cookie = BackOffice.cookie(self.office.csrfCookieName, in: request),
            SecretDigest.constantTimeEquals(csrf, cookie)
        else { return self.signInForm(status: .forbidden, error: "Form expired: sign in again.") }
        let result = try await self.office.signIn(
            username: fields.string("username") ?? "",
            password: fields.string("password") ?? "",
            code: fields.string("code") ?? "",
            origin: self.office.origin(request, context: context)
        )
        switch result {
        case .signedIn(let token, _):
            return HTML.redirect("/", cookies: [self.office.sessionCookie(token), self.office.signInCookie(nil)])
        case .refused, .throttled:
            // One answer for every refusal: nothing tells a wrong name from a wrong password, code or a lock.
            return self.signInForm(status: .unauthorized, error: "Sign-in failed.")
        }
    }

    @Sendable func signOut(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let (session, _) = try await self.posted(request)
        try await self.office.operators.endConsoleSession(session.record, by: session.actor, reason: "signed out")
        return HTML.redirect("/sign-in", cookies: [self.office.sessionCookie(nil)])
    }

    // MARK: Overview

    @Sendable func overview(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let session = try await self.signedIn(request)
        return try await self.perform(session) {
            let (hours, locks) = try await self.office.operators.overview(by: session.actor)
            let total = hours.reduce(into: (0, 0, 0, 0)) { sum, hour in
                sum.0 += hour.succeeded
                sum.1 += hour.failed
                sum.2 += hour.throttled
                sum.3 += hour.locked
            }
            let lockouts =
                locks.isEmpty
                ? "<p id=\"no-lockouts\">No account is locked.</p>"
                : HTML.table(
                    id: "lockouts",
                    ["Company", "Username", "Locked until"],
                    locks.map { lock in
                        let link = "/companies/\(HTML.segment(lock.company))/users/\(HTML.segment(lock.usernameKey))"
                        return [
                            HTML.escape(lock.company), "<a href=\"\(HTML.escape(link))\">\(HTML.escape(lock.usernameKey))</a>", HTML.time(lock.until),
                        ]
                    }
                )
            let body = """
                <h1>Overview</h1>
                <h2>Logins per hour, last 24 hours (UTC)</h2>
                <p>\(total.0) succeeded, \(total.1) failed, \(total.2) throttled, \(total.3) accounts locked.</p>
                <div class="panel">\(LoginChart.svg(hours))</div>
                <h2>Current lockouts</h2>\(lockouts)
                """
            return self.page("Overview", session, body)
        }
    }

    // MARK: Audit

    /// The audit filter of a request: company, user, kind, since (`24h`, `7d`, `90m` or an ISO-8601 time).
    func auditEvents(_ request: Request, session: BackOffice.Session, limit: Int) async throws -> (filter: [String: String], rows: [AuditRow]) {
        let query = request.uri.queryParameters
        var filter: [String: String] = [:]
        for name in ["company", "user", "kind", "since"] {
            if let value = query[Substring(name)].map(String.init), !value.isEmpty { filter[name] = value }
        }
        let since = try filter["since"].map { text -> Date in
            guard let date = Self.since(text, now: self.office.clock.now) else {
                throw OperatorError(.invalid, "since must be like 24h, 7d, 90m or an ISO-8601 time")
            }
            return date
        }
        let kind = try filter["kind"].map { text -> AuditKind in
            guard let kind = AuditKind(rawValue: text) else { throw OperatorError(.invalid, "no audit event kind is named \(text)") }
            return kind
        }
        let user = filter["user"].map { UserReference(username: $0, company: filter["company"]) }
        let events = try await self.office.operators.auditEvents(
            kind: kind,
            user: user,
            company: user == nil ? filter["company"] : nil,
            since: since,
            limit: limit,
            by: session.actor
        )
        return (filter, try await self.office.rows(events))
    }

    static func since(_ text: String, now: Date) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        let units: [Character: Int] = ["m": 60, "h": 3600, "d": 86_400]
        // Whole numbers, at most ten years back: nothing a database time could not hold.
        guard let unit = text.last.flatMap({ units[$0] }), let count = Int(text.dropLast()), (0...(3650 * 86_400 / unit)).contains(count)
        else { return nil }
        return now.addingTimeInterval(-TimeInterval(count * unit))
    }

    @Sendable func audit(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let session = try await self.signedIn(request)
        return try await self.perform(session) {
            let (filter, rows) = try await self.auditEvents(request, session: session, limit: 500)
            let kinds = AuditKind.allCases.map { kind in
                "<option value=\"\(kind.rawValue)\"\(filter["kind"] == kind.rawValue ? " selected" : "")>\(kind.rawValue)</option>"
            }
            let query = filter.sorted { $0.key < $1.key }.map { "\($0.key)=\(HTML.segment($0.value))" }.joined(separator: "&")
            let body = """
                <h1>Audit</h1>
                <form id="audit-filter" method="get" action="/audit">
                \(HTML.input("company", label: "Company", value: filter["company"] ?? ""))
                \(HTML.input("user", label: "User", value: filter["user"] ?? ""))
                <label>Kind <select name="kind"><option value="">any</option>\(kinds.joined())</select></label>
                \(HTML.input("since", label: "Since (24h, 7d, ISO-8601)", value: filter["since"] ?? ""))
                <button type="submit">Filter</button></form>
                <p><a id="csv" href="/audit.csv\(query.isEmpty ? "" : "?" + HTML.escape(query))">Export CSV</a> (up to 10,000 events)</p>
                \(HTML.table(id: "audit", ["Time", "Kind", "Company", "User", "Actor", "Address", "Outcome"], rows.map { $0.cells }))
                """
            return self.page("Audit", session, body)
        }
    }

    @Sendable func auditCSV(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let session = try await self.signedIn(request)
        return try await self.perform(session) {
            let (_, rows) = try await self.auditEvents(request, session: session, limit: 10_000)
            let lines = ["time,kind,company,user,actor,address,outcome"] + rows.map { $0.csv }
            var headers = HTML.headers
            headers[.contentType] = "text/csv; charset=utf-8"
            headers[.contentDisposition] = "attachment; filename=\"tessera-audit.csv\""
            return Response(
                status: .ok,
                headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(string: lines.joined(separator: "\r\n") + "\r\n"))
            )
        }
    }
}

/// One audit event with names instead of ids, for the page and the CSV.
struct AuditRow: Sendable {
    var at: Date
    var kind: String
    var company: String
    var user: String
    var actor: String
    var address: String
    var outcome: String

    var cells: [String] {
        [HTML.time(self.at), self.kind, self.company, self.user, self.actor, self.address, self.outcome].enumerated().map {
            $0.offset == 0 ? $0.element : HTML.escape($0.element)
        }
    }

    var csv: String {
        [self.at.formatted(.iso8601), self.kind, self.company, self.user, self.actor, self.address, self.outcome].map(Self.field)
            .joined(separator: ",")
    }

    /// A CSV field (RFC 4180), and never a formula a spreadsheet would run.
    static func field(_ text: String) -> String {
        var value = text
        if let first = value.first, "=+-@\t\r".contains(first) { value = "'" + value }
        guard value.contains(where: { ",\"\r\n".contains($0) }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension BackOffice {
    /// Audit events with their company's and user's names.
    func rows(_ events: [AuditEvent]) async throws -> [AuditRow] {
        let companies = Dictionary(uniqueKeysWithValues: try await self.directory.companies().map { ($0.id, $0.name) })
        var users: [Int64: String] = [:]
        for id in Set(events.compactMap(\.userID)) {
            users[id] = try await self.directory.user(id: id)?.username ?? "#\(id)"
        }
        return events.map { event in
            AuditRow(
                at: event.at,
                kind: event.kind.rawValue,
                company: event.companyID.map { companies[$0] ?? "#\($0)" } ?? "",
                user: event.userID.map { users[$0] ?? "#\($0)" } ?? "",
                actor: event.actor ?? "",
                address: event.address ?? "",
                outcome: event.outcome ?? ""
            )
        }
    }
}

extension HTTPField.Name {
    static let contentDisposition = Self("Content-Disposition")!
}
