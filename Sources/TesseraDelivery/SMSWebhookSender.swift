import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import TesseraCore

/// Where SMS messages go: `--sms-webhook URL`, with an optional bearer secret (`--sms-webhook-secret-file`).
public struct SMSWebhookConfiguration: Sendable, CustomStringConvertible {
    public var url: String
    /// Sent as `Authorization: Bearer <secret>` when set.
    public var bearerSecret: String?
    /// How long one try may take, connection included (a refused connection is retried until then).
    public var timeout: Duration = .seconds(3)
    /// Tries in all; a 5xx answer or a network error is tried again, a 4xx is not.
    public var tries = 3
    /// Waited before the second try; doubled before each later one.
    public var retryDelay: Duration = .milliseconds(250)
    /// Messages in flight at once; one more fails at once (the login answers `503`).
    public var maximumConcurrentSends = 16

    public init(url: String, bearerSecret: String? = nil) throws(DeliveryConfigurationError) {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme),
            parsed.host?.isEmpty == false
        else { throw DeliveryConfigurationError("--sms-webhook must be an http:// or https:// URL") }
        guard parsed.user == nil && parsed.password == nil else {
            throw DeliveryConfigurationError("--sms-webhook must not carry credentials; put the secret in --sms-webhook-secret-file")
        }
        self.url = url
        self.bearerSecret = bearerSecret.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The URL without its query (which may hold a gateway's key), for logs.
    public var description: String {
        guard var components = URLComponents(string: self.url) else { return "(webhook)" }
        components.query = nil
        return components.string ?? "(webhook)"
    }
}

/// Sends SMS messages by POSTing `{"to","text","purpose"}` as JSON to a webhook: a relay of the operator's, or
/// a gateway's own endpoint behind a small adapter (docs/OPERATIONS.md shows Twilio and Vonage).
///
/// Its log lines name the webhook (without query), the status and the tries — never the number, the text or the
/// secret.
public struct SMSWebhookSender: CodeSender {
    struct Body: Encodable {
        var to: String
        var text: String
        var purpose: String
    }

    let configuration: SMSWebhookConfiguration
    let templates: MessageTemplates
    let limiter: DeliveryLimiter
    let client: HTTPClient
    let logger: Logger

    public init(
        configuration: SMSWebhookConfiguration,
        templates: MessageTemplates = .english,
        logger: Logger,
        client: HTTPClient = .shared
    ) {
        self.configuration = configuration
        self.templates = templates
        self.limiter = DeliveryLimiter(limit: configuration.maximumConcurrentSends)
        self.client = client
        self.logger = logger
    }

    public func send(_ message: OutgoingMessage) async throws {
        guard message.channel == .sms else { throw DeliveryError.noChannel(message.channel.rawValue) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = try encoder.encode(
            Body(to: message.destination, text: self.templates.render(message).text, purpose: message.purpose.rawValue)
        )
        do {
            try await self.limiter.run { try await self.post(body) }
        } catch let error as DeliveryError {
            self.logger.warning("SMS not delivered", metadata: ["sms.webhook": "\(self.configuration)", "problem": "\(error)"])
            throw error
        }
    }

    private func post(_ body: Data) async throws {
        var lastStatus: Int?
        var delay = self.configuration.retryDelay
        for attempt in 1...max(1, self.configuration.tries) {
            if attempt > 1 {
                try await Task.sleep(for: delay)
                delay *= 2
            }
            var request = HTTPClientRequest(url: self.configuration.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "Tessera")
            if let secret = self.configuration.bearerSecret {
                request.headers.add(name: "Authorization", value: "Bearer \(secret)")
            }
            request.body = .bytes(ByteBuffer(bytes: body))
            do {
                let response = try await self.client.execute(request, timeout: TimeAmount(self.configuration.timeout))
                // Read (and drop) the answer so the connection can be reused.
                _ = try? await response.body.collect(upTo: 64 * 1024)
                let status = Int(response.status.code)
                if (200..<300).contains(status) { return }
                lastStatus = status
                guard status >= 500 else { throw DeliveryError.webhook(status: status, tries: attempt) }
            } catch let error as DeliveryError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                lastStatus = nil
            }
        }
        throw DeliveryError.webhook(status: lastStatus, tries: max(1, self.configuration.tries))
    }
}
