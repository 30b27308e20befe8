import Foundation
import Hummingbird
import TesseraCore

/// Users (search, a user's state, sessions and support actions) and operators.
extension ConsoleController {
    static func userLink(_ company: String, _ username: String) -> String {
        "/companies/\(HTML.segment(company))/users/\(HTML.segment(username))"
    }

    @Sendable func users(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let session = try await self.signedIn(request)
        let text = request.uri.queryParameters["q"].map(String.init) ?? ""
        return try await self.perform(session) {
            let found = text.isEmpty ? [] : try await self.office.operators.searchUsers(text, by: session.actor)
            let rows = found.map { company, user in
                [
                    "<a href=\"\(HTML.escape(Self.userLink(company.name, user.username)))\">\(HTML.escape(user.username))</a>",
                    HTML.escape(company.name), HTML.escape(user.email ?? ""), user.twoFactor.rawValue, user.isDisabled ? "disabled" : "active",
                ]
            }
            let body = """
                <h1>Users</h1>
                <form id="user-search" method="get" action="/users">\(HTML.input("q", label: "Username or email", value: text))<button type="submit">Search</button></form>
                \(text.isEmpty ? "" : HTML.table(id: "users", ["Username", "Company", "Email", "2-FA", "Status"], rows))
                """
            return self.page("Users", session, body)
        }
    }

    func userPage(_ reference: UserReference, _ session: BackOffice.Session, shown: String = "") async throws -> String {
        let operators = self.office.operators
        let (company, user) = try await operators.user(reference, by: session.actor)
        let lockedUntil = try await operators.lockedUntil(reference, by: session.actor)
        let sessions = try await operators.sessions(of: reference, by: session.actor)
        let devices = try await operators.trustedDevices(of: reference, by: session.actor)
        let csrf = self.office.csrfToken(session)
        let base = Self.userLink(company.name, user.username)
        let support = session.role >= .support
        // Unused past the company's user expiry: enabling lifts it.
        let expired = company.policy.hasExpired(user, at: self.office.clock.now)
        let sessionRows = sessions.map { item in
            [
                HTML.escape(item.record.sessionID), HTML.escape(item.appName), HTML.escape(item.record.address ?? ""),
                HTML.escape(item.record.userAgent ?? ""), HTML.time(item.record.issuedAt), HTML.time(item.record.lastSeenAt),
                support
                    ? HTML.form(
                        class: "end-session",
                        action: "/sessions/\(HTML.segment(item.record.sessionID))/end",
                        csrf: csrf,
                        button: "End",
                        "<input type=\"hidden\" name=\"back\" value=\"\(HTML.escape(base))\">"
                    ) : "",
            ]
        }
        let deviceRows = devices.map { [HTML.escape($0.label), HTML.escape($0.address ?? ""), HTML.time($0.createdAt), HTML.time($0.lastUsedAt)] }
        func action(_ name: String, _ label: String) -> String {
            HTML.form(id: name, action: "\(base)/\(name)", csrf: csrf, button: label)
        }
        let actions =
            support
            ? """
            <div class="actions">\(action("unlock", "Unlock"))\(user.isDisabled || expired ? action("enable", "Enable") : "")\
            \(user.isDisabled ? "" : action("disable", "Disable"))\
            \(action("end-sessions", "End all sessions"))\(action("expire-password", "Expire password"))\(action("send-reset", "Send a reset code"))\
            \(action("reenrol-totp", "Re-enrol authenticator"))\(action("clear-pin", "Clear PIN"))</div>
            """ : ""
        return """
            <h1>\(HTML.escape(user.username))</h1>\(shown)
            <div class="panel"><p>Company: <a href="/companies/\(HTML.segment(company.name))">\(HTML.escape(company.name))</a>
            · Email: \(HTML.escape(user.email ?? "none")) · Phone: \(HTML.escape(user.phone ?? "none"))</p>
            <p>Status: <b id="status">\(user.isDisabled ? "disabled" : "active")</b>\(expired ? " (<b id=\"expired\">expired: unused too long</b>)" : "")
            · Lock: <b id="lock">\(lockedUntil.map { "locked until \(HTML.time($0))" } ?? "not locked")</b>
            · 2-FA: <b id="two-factor">\(user.twoFactor.rawValue)</b> · PIN: \(user.pinDigest == nil ? "not set" : "set")
            · Last sign-in: \(HTML.time(user.lastSignInAt))</p></div>
            \(actions)
            <h2>Sessions</h2>\(HTML.table(id: "sessions", ["Id", "App", "Address", "User agent", "Created", "Last seen", ""], sessionRows))
            <h2>Remembered devices</h2>\(HTML.table(id: "devices", ["Device", "Address", "Remembered", "Last used"], deviceRows))
            """
    }

    @Sendable func user(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let session = try await self.signedIn(request)
        let reference = UserReference(username: Self.parameter(context, "username"), company: Self.parameter(context, "name"))
        return try await self.perform(session) {
            let done = request.uri.queryParameters["done"].map { "Done: \($0)." }
            return self.page(reference.username, session, try await self.userPage(reference, session, shown: HTML.notice(done)))
        }
    }

    @Sendable func userAction(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let (session, _) = try await self.posted(request)
        let reference = UserReference(username: Self.parameter(context, "username"), company: Self.parameter(context, "name"))
        let name = Self.parameter(context, "action")
        return try await self.perform(session) {
            let back = Self.userLink(reference.company ?? "", reference.username)
            guard let action = SupportAction(rawValue: name) else { throw OperatorError(.notFound, "no such action") }
            if let enrolment = try await self.office.operators.perform(action, on: reference, by: session.actor) {
                let shown = """
                    <div id="new-secret" class="secret"><p>The user's new authenticator secret, shown this once: give it to them over a safe channel.</p>
                    <p><code class="totp-secret">\(HTML.escape(enrolment.secret))</code></p><p><code>\(HTML.escape(enrolment.url))</code></p></div>
                    """
                return self.page(reference.username, session, try await self.userPage(reference, session, shown: shown))
            }
            return HTML.redirect("\(back)?done=\(HTML.segment(name))")
        }
    }

    @Sendable func endSession(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let (session, fields) = try await self.posted(request)
        let id = Self.parameter(context, "id")
        return try await self.perform(session) {
            try await self.office.operators.endSession(id: id, by: session.actor)
            // Back to the user's page the form was on: a path of this console only, never another host.
            let back = fields.string("back") ?? ""
            let isUserPage = back.hasPrefix("/companies/") && !back.contains("//") && !back.contains("\\") && !back.contains("?")
            return HTML.redirect(isUserPage ? back + "?done=end-session" : "/users")
        }
    }

    // MARK: Operators

    func operatorsBody(_ session: BackOffice.Session, shown: String = "", error: String? = nil) async throws -> String {
        let all = try await self.office.operators.operators(by: session.actor)
        let csrf = self.office.csrfToken(session)
        let isAdmin = session.role >= .admin
        let rows = all.map { item in
            [
                HTML.escape(item.user.username), item.role.rawValue, HTML.escape(item.user.email ?? ""),
                isAdmin && item.user.id != session.backOfficeOperator.user.id
                    ? HTML.form(
                        class: "delete-operator",
                        action: "/operators/\(HTML.segment(item.user.username))/delete",
                        csrf: csrf,
                        button: "Delete",
                        HTML.input("password", label: "Your password", type: "password", required: true)
                            + HTML.input("code", label: "Your code", required: true)
                    ) : "",
            ]
        }
        let roles = OperatorRole.allCases.map { "<option value=\"\($0.rawValue)\">\($0.rawValue)</option>" }.joined()
        let create =
            isAdmin
            ? HTML.form(
                id: "create-operator",
                action: "/operators",
                csrf: csrf,
                button: "Create operator",
                HTML.input("username", label: "Username", required: true) + "<label>Role <select name=\"role\">\(roles)</select></label>"
                    + HTML.input("password", label: "Password", type: "password", required: true) + HTML.input("email", label: "Email")
            ) : ""
        return "<h1>Operators</h1>" + HTML.error(error) + shown + HTML.table(id: "operators", ["Username", "Role", "Email", ""], rows) + create
    }

    @Sendable func operatorsPage(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let session = try await self.signedIn(request)
        return try await self.perform(session) {
            let deleted = request.uri.queryParameters["deleted"] != nil ? HTML.notice("Operator deleted.") : ""
            return self.page("Operators", session, try await self.operatorsBody(session, shown: deleted))
        }
    }

    @Sendable func createOperator(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let (session, fields) = try await self.posted(request)
        return try await self.perform(session) {
            guard let role = OperatorRole(rawValue: fields.string("role") ?? "") else { throw OperatorError(.invalid, "choose a role") }
            let (created, enrolment) = try await self.office.operators.createOperator(
                username: fields.string("username") ?? "",
                role: role,
                password: fields.string("password") ?? "",
                email: fields.string("email"),
                by: session.actor
            )
            let shown = """
                <div id="new-secret" class="secret"><p>\(HTML.escape(created.user.username))'s authenticator secret, shown this once:</p>
                <p><code class="totp-secret">\(HTML.escape(enrolment.secret))</code></p><p><code>\(HTML.escape(enrolment.url))</code></p></div>
                """
            return self.page("Operators", session, try await self.operatorsBody(session, shown: shown))
        }
    }

    @Sendable func deleteOperator(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let (session, fields) = try await self.posted(request)
        let username = Self.parameter(context, "username")
        return try await self.perform(session) {
            try session.actor.require(.admin)
            guard
                let fresh = try await self.office.reconfirm(
                    session,
                    password: fields.string("password") ?? "",
                    code: fields.string("code") ?? "",
                    origin: self.office.origin(request, context: context)
                )
            else {
                let body = try await self.operatorsBody(session, error: "Your password or code was not right: nobody was deleted.")
                return self.page("Operators", session, body, status: .unauthorized)
            }
            try await self.office.operators.deleteOperator(username: username, by: session.actor)
            return HTML.redirect("/operators?deleted=1", cookies: [self.office.sessionCookie(fresh)])
        }
    }
}
