import Foundation
import HTTPTypes
import Hummingbird
import TesseraCore

/// The contract's bodies and headers: everything Tessera writes on the wire is shaped here.
enum Wire {
    /// The body ETNA answers when `Et-App-Key` is missing, unknown or revoked.
    static let appKeyErrorBody = JSONText.object(["error": .string("Application key is not defined or does not exist")])

    /// The headers of every JSON answer, built once.
    static let jsonHeaders: HTTPFields = [
        .contentType: "application/json; charset=utf-8",
        .cacheControl: "no-store",
        .pragma: "no-cache",
    ]

    static func json(_ status: HTTPResponse.Status, _ body: String, extraHeaders: HTTPFields = [:]) -> Response {
        var headers = Self.jsonHeaders
        if !extraHeaders.isEmpty { headers.append(contentsOf: extraHeaders) }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static var appKeyError: Response {
        Self.json(.unauthorized, Self.appKeyErrorBody)
    }

    /// `/token`'s answer for an outcome of the flow; `throttle` is how the app key's company answers layer 3.
    static func token(_ outcome: LoginOutcome, throttle: ThrottleAnswer = .tooManyRequests) -> Response {
        switch outcome {
        case .succeeded(let token, let refreshToken, let deviceToken):
            // `RefreshToken` and `DeviceToken` only for the companies that opted in: ETNA's answer is exactly State
            // and Token.
            return Self.json(
                .ok,
                JSONText.object([
                    "State": .string("Succeeded"), "Token": .string(token), "RefreshToken": refreshToken.map { .string($0) } ?? .omit,
                    "DeviceToken": deviceToken.map { .string($0) } ?? .omit,
                ])
            )
        case .expecting(let step, let reason, let token, let hint):
            // The contract's keys; a ticket in ETNA's `ConfirmationToken` too; at the PIN step the user's security
            // image and phrase in ETNA's `Image` and `PersonalPhrase`, and in Tessera's older `SecurityImage`.
            let image = hint.flatMap { hint in SecurityImages.named(hint.imageName).map { (hint, $0) } }
            let content = image.map { $0.1.png.base64EncodedString() }
            let securityImage = image.map { hint, image in
                JSONText.object([
                    "FileName": .string(image.fileName), "Content": .string(content ?? ""),
                    "PersonalPhrase": .string(hint.phrase),
                ])
            }
            return Self.json(
                .accepted,
                JSONText.object([
                    "State": .string("Expecting"), "Step": .string(step.rawValue),
                    "Reason": .string(reason.rawValue), "Token": .string(token),
                    "ConfirmationToken": reason.comesWithTicket ? .string(token) : .omit,
                    "PersonalPhrase": image.map { .string($0.0.phrase) } ?? .omit,
                    "Image": content.map { .string($0) } ?? .omit,
                    "SecurityImage": securityImage.map { .raw($0) } ?? .omit,
                ])
            )
        case .failed(let step, let reason):
            return Self.json(
                .unauthorized,
                JSONText.object([
                    "State": .string("Failed"), "Step": .string(step.rawValue), "Reason": .string(reason.rawValue),
                ])
            )
        case .throttled(let retryAfter):
            let (status, reason): (HTTPResponse.Status, String) =
                switch throttle {
                case .tooManyRequests: (.tooManyRequests, LoginReason.tooManyAttempts.rawValue)
                case .etna: (.unauthorized, Self.etnaThrottleReason)
                }
            return Self.json(
                status,
                JSONText.object([
                    "State": .string("Failed"), "Step": .string(LoginStep.baseAuthentication.rawValue),
                    "Reason": .string(reason),
                ]),
                extraHeaders: [.retryAfter: String(retryAfter)]
            )
        }
    }

    /// The reason ETNA's login guard gives, which its clients and load plans look for.
    static let etnaThrottleReason = "Too many login requests"

    /// ETNA's `v1.0` envelope: `{"Model":…,"Errors":[…],"ErrorsCode":[…],"IsSucceed":…}`.
    static func envelope(
        _ status: HTTPResponse.Status,
        model: String?,
        errors: [String] = [],
        codes: [String] = []
    ) -> Response {
        Self.json(
            status,
            JSONText.object([
                "Model": .raw(model ?? "null"), "Errors": .strings(errors), "ErrorsCode": .strings(codes),
                "IsSucceed": .bool(errors.isEmpty),
            ])
        )
    }

    /// ETNA's validation answer for missing or malformed fields: `400` with `ModelState`.
    static func modelState(_ missing: [String]) -> Response {
        let members = missing.map { field in
            "\(JSONText.quoted("model." + field)):[\(JSONText.quoted("The \(field) field is required."))]"
        }
        return Self.json(
            .badRequest,
            JSONText.object([
                "Message": .string("The request is invalid."), "ModelState": .raw("{" + members.joined(separator: ",") + "}"),
            ])
        )
    }

    /// `400` in the envelope with ETNA error codes.
    static func refusal(_ codes: [(code: String, message: String)], status: HTTPResponse.Status = .badRequest) -> Response {
        Self.envelope(status, model: nil, errors: codes.map(\.message), codes: codes.map(\.code))
    }

    /// `401` in the envelope, for a missing or invalid bearer token.
    static var unauthorizedEnvelope: Response {
        Self.envelope(
            .unauthorized,
            model: nil,
            errors: ["Authorization has been denied for this request."],
            codes: ["Unauthorized"]
        )
    }

    /// `401` in the envelope for a sensitive change asked with a session that did not sign in recently enough:
    /// re-authenticate at `/token` with the bearer and the password, then ask again.
    static var reauthenticationRequired: Response {
        Self.envelope(
            .unauthorized,
            model: nil,
            errors: ["Sign in again to make this change: send the password (and the code) to /token with this bearer."],
            codes: ["ReauthenticationRequired"]
        )
    }

    /// `/token`'s `503` when the code could not be sent: no code counts as sent, and `Token` (when the login has a
    /// transaction) is the interim token to retry with.
    static func deliveryFailed(interimToken: String?) -> Response {
        Self.json(
            .serviceUnavailable,
            JSONText.object([
                "error": .string("The verification code could not be sent; try again"),
                "Token": interimToken.map { .string($0) } ?? .omit,
            ]),
            extraHeaders: [.retryAfter: "5"]
        )
    }

    /// `503` with `Retry-After`, when a dependency (database, delivery) is not there.
    static func unavailable(_ message: String, retryAfter seconds: Int = 5) -> Response {
        Self.json(
            .serviceUnavailable,
            JSONText.object(["error": .string(message)]),
            extraHeaders: [.retryAfter: String(seconds)]
        )
    }
}

extension HTTPField.Name {
    static let etAppKey = Self("Et-App-Key")!
    static let username = Self("Username")!
    static let password = Self("Password")!
    static let verificationCode = Self("VerificationCode")!
    static let pinCode = Self("PinCode")!
    static let refreshToken = Self("RefreshToken")!
    static let deviceToken = Self("DeviceToken")!
    static let rememberDevice = Self("RememberDevice")!
    static let xForwardedFor = Self("X-Forwarded-For")!
    static let pragma = Self("Pragma")!
}

extension Request {
    /// The value of a header matched case-insensitively. Bytes that are not UTF-8 arrive as U+FFFD, so they can
    /// never match a credential. With the header repeated, the values are joined, which can never match either.
    func credential(_ name: HTTPField.Name) -> String? {
        let values = self.headers[values: name]
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }
}
