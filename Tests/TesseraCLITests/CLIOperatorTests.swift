import Foundation
import TesseraCore
import TesseraStorage
import TesseraTestSupport
import Testing

/// `tessera operator`, through the real executable.
extension CLITests {
    @Test func operatorsAreCreatedWithAnAuthenticatorListedAndDeleted() async throws {
        defer { self.cleanUp() }
        let created = try await self.tessera(
            ["operator", "create", "--username", "anna", "--role", "admin", "--password-stdin", "--email", "anna@broker.example"],
            stdin: "operator-password-long\n"
        )
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("Created operator \"anna\" (role admin)."))
        let secret = try #require(created.lines.first { $0.hasPrefix("  secret: ") }).dropFirst("  secret: ".count)
        #expect(Base32.decode(String(secret))?.count == 20)
        #expect(created.stdout.contains("otpauth://totp/") && created.stdout.contains("issuer=Tessera%20back%20office"))
        try await self.tessera(
            ["operator", "create", "--username", "vic", "--role", "viewer", "--password-stdin"],
            stdin: "operator-password-long\n"
        )
        #expect(try await self.tessera(["operator", "list"]).lines == ["anna\tadmin", "vic\tviewer"])

        // The operators' company is built in: it is not a broker's, and nobody changes it from here either.
        #expect(!(try await self.tessera(["company", "list"]).stdout.contains("#operators")))
        self.expectFailure(try await self.tessera(["company", "update", "#operators", "--no-require-2fa"]), mentioning: "built in")
        self.expectFailure(try await self.tessera(["app", "create", "--company", "#operators", "--name", "side door"]), mentioning: "built in")
        self.expectFailure(try await self.tessera(["company", "create", "#mine"]), mentioning: "cannot begin with #")
        self.expectFailure(
            try await self.tessera(
                ["operator", "create", "--username", "x", "--role", "root", "--password-stdin"],
                stdin: "operator-password-long\n"
            ),
            mentioning: "--role must be viewer, support or admin"
        )
        self.expectFailure(
            try await self.tessera(["operator", "create", "--username", "y", "--role", "viewer", "--password-stdin"], stdin: "short\n"),
            mentioning: "12"
        )

        #expect(try await self.tessera(["operator", "delete", "vic"]).status == 0)
        #expect(try await self.tessera(["operator", "list"]).lines == ["anna\tadmin"])
        self.expectFailure(try await self.tessera(["operator", "delete", "vic"]), mentioning: "no operator is named")
        let audit = try await self.tessera(["audit", "list", "--company", "#operators"]).stdout
        #expect(audit.contains("operator.created") && audit.contains("operator.deleted"), "\(audit)")
    }
}
