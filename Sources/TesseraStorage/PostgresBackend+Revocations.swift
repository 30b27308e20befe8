import Logging
import PostgresNIO
import Synchronization

extension PostgresBackend {
    /// The channel the revocation triggers notify (migration 9).
    static let revocationChannel = "tessera_revocations"
    /// How often the listening connection is checked, and the log read whatever was heard: a connection that
    /// died without a word is noticed within this, and no change waits longer than it even if a notification
    /// was lost.
    static let listenHeartbeat: Duration = .seconds(1)
    /// The listening connection's `application_name`: an operator finds it in `pg_stat_activity` by this.
    static let listenerApplicationName = "tessera-revocations"

    /// `LISTEN`s on a connection of its own: `changed` at every notification (and every heartbeat), `lost` as
    /// soon as the connection fails, `listening` again once a new one listens.
    func followRevocations(_ handle: @escaping @Sendable (RevocationSignal) async -> Void) async {
        let (target, options, quiet) = (self.target, self.options, self.quiet)
        while !Task.isCancelled && !self.closed.load(ordering: .relaxed) {
            do {
                var configuration = try target.connectionConfiguration(options)
                configuration.options.additionalStartupParameters.append(("application_name", Self.listenerApplicationName))
                let connection = try await withConnectTimeout(options.connectTimeout) { [configuration] in
                    try await PostgresConnection.connect(configuration: configuration, id: 1, logger: quiet)
                }
                defer { Task { try? await connection.close() } }
                try await connection.listen(on: Self.revocationChannel) { notifications in
                    // LISTEN takes effect when its statement commits; a round trip after it proves it has.
                    _ = try await connection.query("SELECT 1", logger: quiet)
                    await handle(.listening)
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for try await _ in notifications { await handle(.changed) }
                            throw CancellationError()
                        }
                        group.addTask {
                            while true {
                                try await Task.sleep(for: Self.listenHeartbeat)
                                try await withTimeout(Self.listenHeartbeat) {
                                    _ = try await connection.query("SELECT 1", logger: quiet)
                                }
                                await handle(.changed)
                            }
                        }
                        _ = try await group.next()
                        group.cancelAll()
                    }
                }
            } catch {
                // The connection's failure; the caller logs the cache's change of state.
            }
            guard !Task.isCancelled else { return }
            await handle(.lost)
            try? await Task.sleep(for: .milliseconds(200))
        }
    }
}
