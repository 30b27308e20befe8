import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// HTML built in Swift: every value goes through ``escape(_:)``, so nothing an operator or a user typed becomes
/// markup. No script, no external asset: the style sheet is inline in each page (the console's CSP allows only
/// the page's own origin; `style-src` follows `default-src` for the sheet at `/console.css`).
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A path segment, percent-encoded.
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }

    /// The headers every console answer carries.
    static var headers: HTTPFields {
        [
            .contentType: "text/html; charset=utf-8",
            .cacheControl: "no-store",
            .contentSecurityPolicy: "default-src 'self'; form-action 'self'; frame-ancestors 'none'",
            .xFrameOptions: "DENY",
            .referrerPolicy: "no-referrer",
            .xContentTypeOptions: "nosniff",
        ]
    }

    static func response(_ status: HTTPResponse.Status, _ html: String, cookies: [String] = []) -> Response {
        var headers = Self.headers
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// `303 See Other` to `location`, with the console's headers.
    static func redirect(_ location: String, cookies: [String] = []) -> Response {
        var headers = Self.headers
        headers[.location] = location
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: .seeOther, headers: headers)
    }

    /// A whole page: the navigation (when signed in), the title and the body.
    static func page(title: String, signedIn: (username: String, role: String, csrf: String)?, _ body: String) -> String {
        let navigation =
            signedIn.map { who in
                """
                <nav><a href="/">Overview</a> <a href="/companies">Companies</a> <a href="/users">Users</a>
                <a href="/audit">Audit</a> <a href="/operators">Operators</a>
                <span class="who">\(escape(who.username)) (\(escape(who.role)))</span>
                <form id="sign-out" method="post" action="/sign-out">\(csrfField(who.csrf))<button>Sign out</button></form></nav>
                """
            } ?? ""
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(title)) — Tessera back office</title>
            <link rel="stylesheet" href="/console.css"></head>
            <body><header><span class="brand">Tessera back office</span>\(navigation)</header>
            <main>\(body)</main></body></html>
            """
    }

    static func csrfField(_ token: String) -> String {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(escape(token))\">"
    }

    /// A table with a header row; cells are HTML already.
    static func table(id: String, _ headers: [String], _ rows: [[String]]) -> String {
        let head = headers.map { "<th>\(escape($0))</th>" }.joined()
        let body = rows.map { "<tr>" + $0.map { "<td>\($0)</td>" }.joined() + "</tr>" }.joined(separator: "\n")
        return "<table id=\"\(id)\"><thead><tr>\(head)</tr></thead><tbody>\(body)</tbody></table>"
    }

    /// A form posting to `action`, with the CSRF field and a submit button.
    static func form(
        id: String? = nil,
        class name: String? = nil,
        action: String,
        csrf: String,
        button: String,
        _ fields: String = ""
    )
        -> String
    {
        let idAttribute = id.map { " id=\"\($0)\"" } ?? ""
        let classAttribute = name.map { " class=\"\($0)\"" } ?? ""
        return """
            <form\(idAttribute)\(classAttribute) method="post" action="\(escape(action))">\(csrfField(csrf))\(fields)<button type="submit">\(escape(button))</button></form>
            """
    }

    static func input(_ name: String, label: String, type: String = "text", value: String = "", required: Bool = false) -> String {
        let requiredAttribute = required ? " required" : ""
        return "<label>\(escape(label)) <input type=\"\(type)\" name=\"\(name)\" value=\"\(escape(value))\"\(requiredAttribute)></label>"
    }

    static func checkbox(_ name: String, label: String, checked: Bool) -> String {
        "<label><input type=\"checkbox\" name=\"\(name)\" value=\"on\"\(checked ? " checked" : "")> \(escape(label))</label>"
    }

    static func notice(_ text: String?) -> String {
        text.map { "<p class=\"notice\">\(escape($0))</p>" } ?? ""
    }

    static func error(_ text: String?) -> String {
        text.map { "<p class=\"error\">\(escape($0))</p>" } ?? ""
    }

    static func time(_ date: Date?) -> String {
        date.map { escape($0.formatted(.iso8601)) } ?? "—"
    }

    /// The console's one style sheet.
    static let styleSheet = """
        body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1c2530; background: #f3f5f7; }
        header { background: #1f3347; color: #fff; padding: 10px 24px; display: flex; gap: 18px; align-items: center; flex-wrap: wrap; }
        header a { color: #d8e6f3; margin-right: 12px; text-decoration: none; } header a:hover { text-decoration: underline; }
        .brand { font-weight: 600; margin-right: 20px; } .who { margin: 0 12px; color: #b9c9d8; }
        nav { display: flex; align-items: center; flex-wrap: wrap; } nav form { display: inline; }
        main { padding: 20px 24px; max-width: 1180px; }
        h1 { font-size: 22px; margin: 6px 0 14px; } h2 { font-size: 16px; margin: 22px 0 8px; }
        table { border-collapse: collapse; background: #fff; margin: 8px 0 16px; min-width: 480px; }
        th, td { border: 1px solid #d5dce3; padding: 5px 9px; text-align: left; vertical-align: top; }
        th { background: #e8edf2; font-weight: 600; }
        form { margin: 6px 0; } label { display: inline-block; margin: 4px 12px 4px 0; }
        input[type=text], input[type=number], input[type=password], select, textarea { padding: 4px 6px; border: 1px solid #9fb0c0; border-radius: 3px; }
        button { padding: 4px 12px; border: 1px solid #2d5b85; background: #34709f; color: #fff; border-radius: 3px; cursor: pointer; }
        header button { background: transparent; border-color: #8fa8bf; }
        .notice { background: #e3f4e8; border: 1px solid #9cd1ad; padding: 8px 12px; }
        .error { background: #fbe6e6; border: 1px solid #e0a2a2; padding: 8px 12px; }
        .tabs a { display: inline-block; padding: 6px 14px; border: 1px solid #c5d0da; border-bottom: none; background: #e8edf2; margin-right: 4px; color: #1c2530; text-decoration: none; }
        .tabs a.current { background: #fff; font-weight: 600; }
        .panel { background: #fff; border: 1px solid #c5d0da; padding: 12px 16px; margin-bottom: 16px; }
        .secret { background: #fff8e1; border: 1px solid #e6c66a; padding: 10px 14px; } code { font-size: 13px; }
        .actions form { display: inline-block; margin-right: 8px; }
        svg text { font: 11px system-ui, sans-serif; fill: #41505e; }
        .legend span { display: inline-block; margin-right: 14px; } .swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
        .swatch-succeeded { background: #2e8b57; } .swatch-failed { background: #d08a2e; } .swatch-throttled { background: #8e5bb8; }
        .swatch-locked { background: #c0392b; }
        """
}

extension HTTPField.Name {
    static let contentSecurityPolicy = Self("Content-Security-Policy")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
}
