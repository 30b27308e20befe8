import Foundation
import Prometheus
import TesseraCore

/// The server's Prometheus metrics, in a registry of its own (no global state, so several servers can share a
/// process, as tests do). Labels are low-cardinality only: no user, app or address.
public final class TesseraMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let hashDuration: DurationHistogram
    let hashesInFlight: Gauge
    let queryDuration: DurationHistogram

    public init() {
        self.hashDuration = self.registry.makeDurationHistogram(
            name: "tessera_password_hash_seconds",
            buckets: [
                .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                .milliseconds(500), .seconds(1), .seconds(2.5),
            ],
            help: "Time of one password hash or verification, waiting for a slot included"
        )
        self.hashesInFlight = self.registry.makeGauge(name: "tessera_password_hashes_in_flight", help: "Password hashes running or waiting")
        self.queryDuration = self.registry.makeDurationHistogram(
            name: "tessera_database_query_seconds",
            buckets: [
                .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
                .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(100),
            ],
            help: "Time of one database statement"
        )
    }

    /// The exposition text for `GET /metrics`.
    public func exposition() -> String { self.registry.emitToString() }

    func request(route: String, method: String, status: Int) {
        self.registry.makeCounter(
            name: "tessera_http_requests_total",
            labels: [("route", route), ("method", method), ("status", String(status))],
            help: "HTTP requests by route template, method and status"
        ).increment()
    }

    func tokenOutcome(state: String, step: String, reason: String) {
        self.registry.makeCounter(
            name: "tessera_token_outcomes_total",
            labels: [("state", state), ("step", step), ("reason", reason)],
            help: "POST /token answers by state, step and reason"
        ).increment()
    }

    func tokenCheck(valid: Bool) {
        self.registry.makeCounter(
            name: "tessera_token_checks_total",
            labels: [("result", valid ? "valid" : "invalid")],
            help: "Bearer token checks on v1.0 endpoints"
        ).increment()
    }

    /// A login refused for want of a hashing slot: `pool` (every slot busy past the wait), `address` (the address
    /// had its share).
    func shed(_ reason: String) {
        self.registry.makeCounter(
            name: "tessera_load_shed_total",
            labels: [("reason", reason)],
            help: "Password checks refused with 503 for want of a hashing slot, by reason"
        ).increment()
    }

    func queuedMessage(_ result: String) {
        self.registry.makeCounter(
            name: "tessera_queued_messages_total",
            labels: [("result", result)],
            help: "Queued messages (reset codes, notices) by what became of them: sent, dropped, retried, failed"
        ).increment()
    }

    func event(_ kind: AuditKind, outcome: String?) {
        switch kind {
        case .accountLocked:
            self.registry.makeCounter(name: "tessera_lockouts_total", help: "Accounts locked after too many failures").increment()
        case .codeSent:
            self.registry.makeCounter(
                name: "tessera_codes_sent_total",
                labels: [("channel", outcome ?? "unknown")],
                help: "Verification codes handed to a channel"
            ).increment()
        case .loginThrottled:
            self.registry.makeCounter(name: "tessera_throttled_total", help: "/token requests answered 429").increment()
        case .resetThrottled:
            self.registry.makeCounter(
                name: "tessera_reset_throttled_total",
                help: "Reset requests refused for too many wrong secret answers"
            ).increment()
        default:
            break
        }
    }
}

/// Counts security events into metrics on their way to the audit log: one mechanism, two readers.
struct MeteredAuditLog: AuditLog {
    let base: any AuditLog
    let metrics: TesseraMetrics

    func record(_ event: AuditEvent) async throws {
        self.metrics.event(event.kind, outcome: event.outcome)
        try await self.base.record(event)
    }

    func events(kind: AuditKind?, companyID: Int64?, userID: Int64?, since: Date?, limit: Int) async throws -> [AuditEvent] {
        try await self.base.events(kind: kind, companyID: companyID, userID: userID, since: since, limit: limit)
    }
}

/// Times password hashing and counts hashes in flight.
struct MeteredPasswordHasher: PasswordHasher {
    let base: any PasswordHasher
    let metrics: TesseraMetrics

    func hash(_ password: String) async throws -> String {
        try await self.timed { try await self.base.hash(password) }
    }

    func verify(_ password: String, against hash: String, lane: HashLane) async throws -> Bool {
        try await self.timed { try await self.base.verify(password, against: hash, lane: lane) }
    }

    func verifyDummy(_ password: String, lane: HashLane) async throws {
        try await self.timed { try await self.base.verifyDummy(password, lane: lane) }
    }

    private func timed<T>(_ work: () async throws -> T) async throws -> T {
        self.metrics.hashesInFlight.increment()
        let start = ContinuousClock.now
        defer {
            self.metrics.hashesInFlight.decrement()
            self.metrics.hashDuration.record(ContinuousClock.now - start)
        }
        return try await work()
    }
}
