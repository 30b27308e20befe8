import Foundation
import Hummingbird
import TesseraCore

/// Companies (policy and WebApi tabs), users and their support actions, operators.
extension ConsoleController {
    // MARK: Companies

    @Sendable func companies(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let session = try await self.signedIn(request)
        return try await self.perform(session) {
            let companies = try await self.office.operators.companies(by: session.actor)
            let rows = companies.map { company in
                [
                    "<a href=\"/companies/\(HTML.segment(company.name))\">\(HTML.escape(company.name))</a>",
                    company.policy.requireTwoFactor ? "required" : "per user",
                    "\(company.policy.tokenLifetime) s",
                    company.policy.refresh == nil ? "off" : "on",
                ]
            }
            let create =
                session.role >= .admin
                ? HTML.form(
                    id: "create-company",
                    action: "/companies",
                    csrf: self.office.csrfToken(session),
                    button: "Create company",
                    HTML.input("name", label: "Name", required: true)
                ) : ""
            let body = "<h1>Companies</h1>" + HTML.table(id: "companies", ["Name", "2-FA", "Token lifetime", "Refresh tokens"], rows) + create
            return self.page("Companies", session, body)
        }
    }

    @Sendable func createCompany(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let (session, fields) = try await self.posted(request)
        return try await self.perform(session) {
            let company = try await self.office.operators.createCompany(name: fields.string("name") ?? "", policy: CompanyPolicy(), by: session.actor)
            return HTML.redirect("/companies/\(HTML.segment(company.name))")
        }
    }

    func tabs(_ company: Company, current: String) -> String {
        let base = "/companies/\(HTML.segment(company.name))"
        return """
            <h1>\(HTML.escape(company.name))</h1>
            <p class="tabs"><a href="\(base)"\(current == "policy" ? " class=\"current\"" : "")>Policy</a><a href="\(base)/webapi"\(current == "webapi" ? " class=\"current\"" : "")>WebApi</a></p>
            """
    }

    @Sendable func company(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let session = try await self.signedIn(request)
        let name = Self.parameter(context, "name")
        return try await self.perform(session) {
            let company = try await self.office.operators.company(named: name, by: session.actor)
            let saved = request.uri.queryParameters["saved"] != nil ? "Policy saved." : nil
            return self.page(name, session, self.tabs(company, current: "policy") + HTML.notice(saved) + self.policyForm(company, session))
        }
    }

    func policyForm(_ company: Company, _ session: BackOffice.Session) -> String {
        let policy = company.policy
        let throttleOptions = [(ThrottleAnswer.tooManyRequests, "429 Too many attempts"), (.etna, "401 Too many login requests (ETNA)")]
            .map { answer, label in
                "<option value=\"\(answer.rawValue)\"\(policy.throttleAnswer == answer ? " selected" : "")>\(HTML.escape(label))</option>"
            }.joined()
        let fields = """
            <p>\(HTML.checkbox("require2fa", label: "Every user passes a verification code", checked: policy.requireTwoFactor))
            \(HTML.checkbox("requirePin", label: "Every user passes the security PIN", checked: policy.requirePin))</p>
            <p>\(HTML.input("tokenTtl", label: "Token lifetime (s)", type: "number", value: "\(policy.tokenLifetime)"))
            \(HTML.input("passwordMinLength", label: "Password minimum length", type: "number", value: "\(policy.passwords.minimumLength)"))
            \(HTML.input("passwordMaxAge", label: "Password maximum age (days, 0: none)", type: "number", value: "\(policy.passwords.maximumAgeDays ?? 0)"))</p>
            <p>\(HTML.input("maxFailuresPerDevice", label: "Failures per device", type: "number", value: "\(policy.lockout.pairFailureLimit)"))
            \(HTML.input("maxFailuresPerAccount", label: "Failures per account", type: "number", value: "\(policy.lockout.accountFailureLimit)"))
            \(HTML.input("maxFailuresPerAddress", label: "Failures per address", type: "number", value: "\(policy.lockout.addressFailureLimit)"))</p>
            <p><label>Throttled logins answer <select name="throttleAnswer">\(throttleOptions)</select></label></p>
            <p>\(HTML.checkbox("refreshTokens", label: "Refresh tokens", checked: policy.refresh != nil))
            \(HTML.checkbox("stepUp", label: "Step-up before sensitive changes", checked: policy.recentAuthentication != nil))
            \(HTML.input("recentAuthMinutes", label: "within (minutes)", type: "number", value: "\(policy.recentAuthentication ?? CompanyPolicy.defaultRecentAuthentication)"))</p>
            <p>\(HTML.input("trustedDeviceDays", label: "Remember devices (days, 0: off)", type: "number", value: "\(policy.devices.trustedDeviceDays ?? 0)"))
            \(HTML.checkbox("newDeviceNotices", label: "Tell users of new devices", checked: policy.devices.newDeviceNotices))
            \(HTML.input("userExpiryDays", label: "Accounts expire unused (days, 0: never)", type: "number", value: "\(policy.userExpiryDays ?? 0)"))</p>
            """
        guard session.role >= .admin else {
            return "<form id=\"policy\" class=\"panel\"><fieldset disabled>\(fields)</fieldset></form>"
        }
        return HTML.form(
            id: "policy",
            class: "panel",
            action: "/companies/\(HTML.segment(company.name))/policy",
            csrf: self.office.csrfToken(session),
            button: "Save policy",
            fields
        )
    }

    @Sendable func savePolicy(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let (session, fields) = try await self.posted(request)
        let name = Self.parameter(context, "name")
        return try await self.perform(session) {
            func number(_ field: String) throws -> Int? {
                guard let text = fields.string(field) else { return nil }
                guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
                    throw OperatorError(.invalid, "\(field) must be a whole number")
                }
                return value
            }
            let tokenTtl = try number("tokenTtl")
            let minLength = try number("passwordMinLength")
            let maxAge = try number("passwordMaxAge")
            let perDevice = try number("maxFailuresPerDevice")
            let perAccount = try number("maxFailuresPerAccount")
            let perAddress = try number("maxFailuresPerAddress")
            let deviceDays = try number("trustedDeviceDays")
            let recentMinutes = try number("recentAuthMinutes")
            let expiryDays = try number("userExpiryDays")
            let throttle = try fields.string("throttleAnswer").map { text -> ThrottleAnswer in
                guard let answer = ThrottleAnswer(rawValue: text) else { throw OperatorError(.invalid, "choose a throttle answer") }
                return answer
            }
            _ = try await self.office.operators.updateCompany(named: name, by: session.actor) { policy in
                policy.requireTwoFactor = fields.string("require2fa") != nil
                policy.requirePin = fields.string("requirePin") != nil
                if let tokenTtl { policy.tokenLifetime = tokenTtl }
                if let minLength { policy.passwords.minimumLength = minLength }
                if let maxAge { policy.passwords.maximumAgeDays = maxAge == 0 ? nil : maxAge }
                if let perDevice { policy.lockout.pairFailureLimit = perDevice }
                if let perAccount { policy.lockout.accountFailureLimit = perAccount }
                if let perAddress { policy.lockout.addressFailureLimit = perAddress }
                let refresh = fields.string("refreshTokens") != nil
                policy.refresh = refresh ? (policy.refresh ?? RefreshPolicy()) : nil
                let stepUp = fields.string("stepUp") != nil
                policy.recentAuthentication =
                    stepUp ? (recentMinutes ?? policy.recentAuthentication ?? CompanyPolicy.defaultRecentAuthentication) : nil
                if let deviceDays { policy.devices.trustedDeviceDays = deviceDays == 0 ? nil : deviceDays }
                policy.devices.newDeviceNotices = fields.string("newDeviceNotices") != nil
                if let expiryDays { policy.userExpiryDays = expiryDays == 0 ? nil : expiryDays }
                if let throttle { policy.throttleAnswer = throttle }
            }
            return HTML.redirect("/companies/\(HTML.segment(name))?saved=1")
        }
    }

    // MARK: WebApi

    func webAPIPage(_ company: Company, _ session: BackOffice.Session, shown: String = "", error: String? = nil) async throws -> String {
        let keys = try await self.office.operators.appKeys(company: company.name, by: session.actor)
        let csrf = self.office.csrfToken(session)
        let isAdmin = session.role >= .admin
        let rows = keys.map { key in
            var cells = [
                HTML.escape(key.name), HTML.time(key.createdAt), key.revokedAt.map { "revoked \(HTML.time($0))" } ?? "live",
                key.introspectionSecretDigest == nil ? "no" : "yes",
            ]
            if isAdmin && !key.isRevoked {
                cells.append(
                    HTML.form(
                        class: "revoke-app-key",
                        action: "/companies/\(HTML.segment(company.name))/app-keys/\(key.id)/revoke",
                        csrf: csrf,
                        button: "Revoke",
                        HTML.input("password", label: "Your password", type: "password", required: true)
                            + HTML.input("code", label: "Your code", required: true)
                    )
                )
            } else {
                cells.append("")
            }
            return cells
        }
        let base = "/companies/\(HTML.segment(company.name))"
        let create =
            isAdmin
            ? HTML.form(
                id: "create-app-key",
                action: "\(base)/app-keys",
                csrf: csrf,
                button: "Create app key",
                HTML.input("appName", label: "App name", required: true)
                    + HTML.checkbox("introspect", label: "Resource server (may introspect tokens)", checked: false)
            ) : ""
        let origins = company.policy.browserOrigins.joined(separator: "\n")
        let cors =
            isAdmin
            ? HTML.form(
                id: "cors",
                action: "\(base)/cors",
                csrf: csrf,
                button: "Save origins",
                "<label>Browser origins (CORS), one per line<br><textarea name=\"origins\" rows=\"4\" cols=\"60\">\(HTML.escape(origins))</textarea></label><br>"
            ) : "<p>Browser origins: \(HTML.escape(origins.isEmpty ? "none" : origins))</p>"
        return self.tabs(company, current: "webapi") + HTML.error(error) + shown + "<h2>App keys</h2>"
            + HTML.table(id: "app-keys", ["Name", "Created", "State", "Resource server", ""], rows) + create
            + "<h2>Browser origins</h2>" + cors
    }

    @Sendable func webAPI(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let session = try await self.signedIn(request)
        let name = Self.parameter(context, "name")
        return try await self.perform(session) {
            let company = try await self.office.operators.company(named: name, by: session.actor)
            let revoked = request.uri.queryParameters["revoked"] != nil ? HTML.notice("App key revoked.") : ""
            return self.page(name, session, try await self.webAPIPage(company, session, shown: revoked))
        }
    }

    @Sendable func createAppKey(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let (session, fields) = try await self.posted(request)
        let name = Self.parameter(context, "name")
        return try await self.perform(session) {
            let created = try await self.office.operators.createAppKey(
                company: name,
                name: fields.string("appName") ?? "",
                resourceServer: fields.string("introspect") != nil,
                by: session.actor
            )
            let secret =
                created.introspectionSecret.map { "<p>Introspection secret: <code class=\"resource-secret\">\(HTML.escape($0))</code></p>" } ?? ""
            let shown = """
                <div id="new-secret" class="secret"><p>The new app key of <b>\(HTML.escape(created.appKey.name))</b>, shown this once (only its digest is kept):</p>
                <p><code class="app-key">\(HTML.escape(created.key))</code></p>\(secret)</div>
                """
            let company = try await self.office.operators.company(named: name, by: session.actor)
            return self.page(name, session, try await self.webAPIPage(company, session, shown: shown))
        }
    }

    @Sendable func revokeAppKey(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let (session, fields) = try await self.posted(request)
        let name = Self.parameter(context, "name")
        return try await self.perform(session) {
            try session.actor.require(.admin)
            guard let id = Int64(Self.parameter(context, "id")) else { throw OperatorError(.notFound, "no such app key") }
            guard
                let fresh = try await self.office.reconfirm(
                    session,
                    password: fields.string("password") ?? "",
                    code: fields.string("code") ?? "",
                    origin: self.office.origin(request, context: context)
                )
            else {
                let company = try await self.office.operators.company(named: name, by: session.actor)
                let body = try await self.webAPIPage(company, session, error: "Your password or code was not right: the key was not revoked.")
                return self.page(name, session, body, status: .unauthorized)
            }
            _ = try await self.office.operators.revokeAppKey(id: id, company: name, by: session.actor)
            return HTML.redirect("/companies/\(HTML.segment(name))/webapi?revoked=1", cookies: [self.office.sessionCookie(fresh)])
        }
    }

    @Sendable func saveOrigins(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let (session, fields) = try await self.posted(request)
        let name = Self.parameter(context, "name")
        return try await self.perform(session) {
            let lines = (fields.string("origins") ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            _ = try await self.office.operators.updateCompany(named: name, by: session.actor) { policy in
                var origins: [String] = []
                for line in lines where !line.isEmpty {
                    let origin = try CompanyPolicy.normalizedOrigin(line)
                    if !origins.contains(origin) { origins.append(origin) }
                }
                policy.browserOrigins = origins
            }
            return HTML.redirect("/companies/\(HTML.segment(name))/webapi")
        }
    }
}
