import Foundation
import Prometheus
import Synchronization
import TesseraCore

/// The server's Prometheus metrics, in a registry of its own (no global state, so several servers can share a
/// process, as tests do). Labels are low-cardinality only: no user, app or address.
public final class TesseraMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let hashDuration: DurationHistogram
    let hashesInFlight: Gauge
    let queryDuration: DurationHistogram
    /// The counters of the per-request hot path, made once: the registry checks names, labels and help text on
    /// every `makeCounter`, under its lock.
    private let validTokens: Counter
    private let invalidTokens: Counter
    private let requests = Mutex<[RequestKey: Counter]>([:])

    private struct RequestKey: Hashable {
        let route: String
        let method: String
        let status: Int
    }

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
        self.validTokens = Self.tokenCheckCounter(self.registry, result: "valid")
        self.invalidTokens = Self.tokenCheckCounter(self.registry, result: "invalid")
    }

    private static func tokenCheckCounter(_ registry: PrometheusCollectorRegistry, result: String) -> Counter {
        registry.makeCounter(
            name: "tessera_token_checks_total",
            labels: [("result", result)],
            help: "Bearer token checks on v1.0 endpoints"
        )
    }

    /// The exposition text for `GET /metrics`, with the state of this node's token cache when it keeps one.
    public func exposition(cache: ValidationCache? = nil) -> String {
        let text = self.registry.emitToString()
        guard let cache else { return text }
        let (hits, misses) = cache.counts
        return text + """
            # HELP tessera_token_cache_entries Validated tokens this node holds in memory
            # TYPE tessera_token_cache_entries gauge
            tessera_token_cache_entries \(cache.count)
            # HELP tessera_token_cache_users Users whose records this node's token cache holds
            # TYPE tessera_token_cache_users gauge
            tessera_token_cache_users \(cache.userCount)
            # HELP tessera_token_cache_trusted 1 while this node hears every revocation and answers from its cache
            # TYPE tessera_token_cache_trusted gauge
            tessera_token_cache_trusted \(cache.isTrusted ? 1 : 0)
            # HELP tessera_token_cache_lookups_total Token lookups answered from this node's cache (hit) or not (miss)
            # TYPE tessera_token_cache_lookups_total counter
            tessera_token_cache_lookups_total{result="hit"} \(hits)
            tessera_token_cache_lookups_total{result="miss"} \(misses)

            """
    }

    func request(route: String, method: String, status: Int) {
        // Route templates, methods and statuses are few, so the counters made are too.
        let key = RequestKey(route: route, method: method, status: status)
        if let counter = self.requests.withLock({ $0[key] }) {
            counter.increment()
            return
        }
        let counter = self.registry.makeCounter(
            name: "tessera_http_requests_total",
            labels: [("route", route), ("method", method), ("status", String(status))],
            help: "HTTP requests by route template, method and status"
        )
        self.requests.withLock { $0[key] = counter }
        counter.increment()
    }

    func tokenOutcome(state: String, step: String, reason: String) {
        self.registry.makeCounter(
            name: "tessera_token_outcomes_total",
            labels: [("state", state), ("step", step), ("reason", reason)],
            help: "POST /token answers by state, step and reason"
        ).increment()
    }

    func tokenCheck(valid: Bool) {
        (valid ? self.validTokens : self.invalidTokens).increment()
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
