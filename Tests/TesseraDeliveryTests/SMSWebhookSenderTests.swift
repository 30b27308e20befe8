import Foundation
import Logging
import TesseraCore
import Testing

@testable import TesseraDelivery

/// The SMS webhook sender without Tessera around it.
@Suite struct SMSWebhookSenderTests {
    @Test func theURLMustBeHTTPWithoutCredentials() throws {
        #expect(try SMSWebhookConfiguration(url: "https://relay.example/sms", bearerSecret: "").bearerSecret == nil)
        #expect(throws: DeliveryConfigurationError.self) { try SMSWebhookConfiguration(url: "ftp://relay.example/sms") }
        #expect(throws: DeliveryConfigurationError.self) { try SMSWebhookConfiguration(url: "https://user:pw@relay.example/sms") }
        #expect(throws: DeliveryConfigurationError.self) { try SMSWebhookConfiguration(url: "relay.example") }
    }

    @Test func anUnreachableWebhookIsTriedThenLoggedWithoutNumberTextOrSecrets() async throws {
        let lines = LogLines()
        // Port 1 on loopback: nothing listens, every try is a network error.
        var configuration = try SMSWebhookConfiguration(url: "http://127.0.0.1:1/sms?api_key=gateway-key-42", bearerSecret: "bearer-s3cret")
        configuration.retryDelay = .milliseconds(1)
        // The HTTP client keeps reconnecting until a try's timeout: keep it short here.
        configuration.timeout = .milliseconds(300)
        let sender = SMSWebhookSender(configuration: configuration, logger: Logger(label: "test") { _ in lines })
        let message = OutgoingMessage(channel: .sms, destination: "+15550001234", purpose: .login, code: "482913", userID: 1)
        await #expect(throws: DeliveryError.webhook(status: nil, tries: 3)) { try await sender.send(message) }
        let logged = lines.text
        #expect(logged.contains("SMS not delivered") && logged.contains("http://127.0.0.1:1/sms"))
        for secret in ["482913", "+15550001234", "bearer-s3cret", "gateway-key-42"] {
            #expect(!logged.contains(secret), "the log must not hold \(secret)")
        }
    }

    @Test func templatesHoldOnlyTheCodeAndThePurpose() {
        let templates = MessageTemplates.english
        func text(_ purpose: DeliveryPurpose, _ code: String?) -> String {
            templates.render(OutgoingMessage(channel: .sms, destination: "+1555", purpose: purpose, code: code, userID: 7)).text
        }
        #expect(text(.login, "123456") == "Your sign-in code is 123456.")
        #expect(text(.reset, "654321") == "Your password reset code is 654321.")
        #expect(!text(.notice, nil).contains("+1555"))
    }
}
