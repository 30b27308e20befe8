import Foundation
import Hummingbird
import TesseraCore

/// A user's remembered devices (companies with `--trusted-device-days`): `GET /v1.0/users/@me/devices`, and
/// `DELETE` of one or all. Routes parse and map; ``DeviceService`` decides.
struct DeviceController: Sendable {
    let devices: DeviceService

    func addRoutes(to routes: RouteGroups) {
        routes.user.get("/v1.0/users/@me/devices", use: self.list)
        routes.user.delete("/v1.0/users/@me/devices", use: self.forgetAll)
        routes.user.delete("/v1.0/users/@me/devices/{id}", use: self.forgetOne)
    }

    /// The live remembered devices: `Model` is `[{Id, AppName?, Label, ClientAddress, Created, LastUsed, Expires}]`.
    @Sendable func list(_ request: Request, context: UserRequestContext) async throws -> Response {
        let devices = try await self.devices.devices(of: context.identity)
        let model =
            "["
            + devices.map { device in
                JSONText.object([
                    "Id": .string(device.id),
                    "Label": .string(device.label),
                    "ClientAddress": .string(device.address),
                    "Created": .date(device.createdAt),
                    "LastUsed": .date(device.lastUsedAt),
                    "Expires": .date(device.expiresAt),
                ])
            }.joined(separator: ",") + "]"
        return Wire.envelope(.ok, model: model)
    }

    /// `DELETE /v1.0/users/@me/devices/{id}`: forgets one; `404` when the user has no such live device.
    @Sendable func forgetOne(_ request: Request, context: UserRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        guard try await self.devices.forget(id, of: context.identity, app: context.app, client: context.origin) > 0 else {
            return Wire.refusal([("ErrorDeviceNotFound", "No such remembered device.")], status: .notFound)
        }
        return Wire.envelope(.ok, model: nil)
    }

    /// `DELETE /v1.0/users/@me/devices`: forgets every one; `Model` is how many.
    @Sendable func forgetAll(_ request: Request, context: UserRequestContext) async throws -> Response {
        let count = try await self.devices.forget(nil, of: context.identity, app: context.app, client: context.origin)
        return Wire.envelope(.ok, model: String(count))
    }
}
