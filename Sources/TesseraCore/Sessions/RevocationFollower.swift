/// Keeps a node's ``ValidationCache`` in step with the database's revocation log: told when the log may have
/// grown (``changed()``), when the node can hear every change (``listening()``) and when it may miss some
/// (``lost()``). It fails closed: whenever a read of the log fails or the channel is lost, the cache answers
/// nothing until the log's end has been read again.
public actor RevocationFollower {
    public nonisolated let cache: ValidationCache
    nonisolated let feed: any RevocationFeed
    /// Changes read per round trip.
    static let batch = 1_000

    private enum State {
        /// Changes may go unheard: nothing cached is trusted.
        case cut
        /// The channel listens, but the log's end has not been read since.
        case resync
        /// Every change up to `last` is applied.
        case following(last: Int64)
    }
    private var state = State.cut
    /// Moves on at every `listening` and `lost`: a read that began before either must not act after it (the
    /// actor is reentrant across its awaits).
    private var generation: UInt64 = 0

    public init(feed: any RevocationFeed, cache: ValidationCache) {
        self.feed = feed
        self.cache = cache
    }

    /// The channel listens: from the log's end on, every change will be heard.
    public func listening() async {
        self.generation &+= 1
        self.state = .resync
        await self.changed()
    }

    /// Changes may go unheard from now on.
    public func lost() {
        self.generation &+= 1
        self.state = .cut
        self.cache.distrust()
    }

    /// Reads the log from where this node is and ends what the new changes touch. Also run before a write of
    /// this node is answered, so that what it ended is ended here at once.
    public func changed() async {
        let generation = self.generation
        do {
            switch self.state {
            case .cut:
                return
            case .resync:
                let last = try await self.feed.latestRevocation()
                guard generation == self.generation, case .resync = self.state else { return }
                self.cache.trust()
                self.state = .following(last: last)
            case .following(var last):
                while true {
                    let changes = try await self.feed.revocations(after: last, limit: Self.batch)
                    guard generation == self.generation else { return }
                    guard let newest = changes.last else { break }
                    // Applying twice is harmless; the position only moves forward.
                    self.cache.apply(changes.map(\.change))
                    if case .following(let current) = self.state, current > newest.sequence { break }
                    last = newest.sequence
                    self.state = .following(last: last)
                    if changes.count < Self.batch { break }
                }
            }
        } catch is CancellationError {
            // The caller left; nothing was applied, and the next read starts where this one would have.
            return
        } catch {
            // Fail closed: without the log, the cache cannot know what ended.
            guard generation == self.generation else { return }
            // A new generation: reads still in flight must not put the state back to following.
            self.generation &+= 1
            self.cache.distrust()
            self.state = .resync
        }
    }
}
