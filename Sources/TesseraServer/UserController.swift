import Foundation
import Hummingbird
import TesseraCore

/// ETNA's `v1.0` user endpoints that need a bearer token.
struct UserController: Sendable {
    func addRoutes(to routes: RouteGroups) {
        routes.user.get("/v1.0/users/@me/info", use: self.info)
    }

    @Sendable func info(_ request: Request, context: UserRequestContext) async throws -> Response {
        let user = context.identity.user
        let model = JSONText.object([
            "UserId": .int(user.id),
            "FirstName": .string(user.profile.firstName),
            "MiddleName": .string(user.profile.middleName),
            "LastName": .string(user.profile.lastName),
            "Login": .string(user.username),
            "Email": .string(user.email),
            "AddedDate": .date(user.addedAt),
            "Salutation": .string(user.profile.salutation),
            "Suffix": .string(user.profile.suffix),
        ])
        return Wire.envelope(.ok, model: model)
    }
}
