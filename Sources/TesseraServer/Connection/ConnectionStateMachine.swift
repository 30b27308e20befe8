/// What one HTTP/1 connection may still do: which request parts go on to Hummingbird, how each answer's
/// `Connection` header is set, and when the connection closes. A value without I/O; `HTTP1ConnectionGuard`
/// feeds it the connection's events and performs the actions it returns.
///
/// ```swift
/// var machine = ConnectionStateMachine()
/// machine.bytesArrived()                                     // .startHeadClock
/// machine.headReceived(refusal: nil, keepAlive: false, isHTTP10: true)   // .forward(closeConnection: true)
/// machine.endReceived()                                      // true: pass it on
/// machine.responseHead(isInformational: false, asksToClose: false)      // .close: say `Connection: close`
/// machine.responseEnded()                                    // .close
/// ```
struct ConnectionStateMachine {
    enum Phase: Equatable {
        /// Between requests. `headStarted` once a byte of the next one has come: its head clock is running.
        case awaitingHead(headStarted: Bool)
        /// A request's head went on; its body is still arriving. `closeAfter` when it asked to close.
        case readingBody(closeAfter: Bool)
        /// Nothing more is read: the connection closes once the answers owed are written.
        case closing
    }

    /// How an answer's `Connection` header is set: RFC 9112 §9.3 and §9.6.
    enum ResponseConnection: Equatable {
        case unchanged
        /// An HTTP/1.0 client that asked to keep the connection is told it was kept.
        case keepAlive
        /// The client asked to close (or the server decided to): say so, then close after the answer.
        case close
    }

    enum HeadAction: Equatable {
        /// Pass the head on; with `closeConnection`, with its `Connection` header set to exactly `close`, the only
        /// value Hummingbird's keep-alive loop ends on.
        case forward(closeConnection: Bool)
        /// Write this answer now, then close.
        case refuse(ConnectionRefusal)
        /// Ignore it (the connection is closing, or a refusal waits for the answers before it).
        case drop
    }

    enum ParserErrorAction: Equatable {
        /// The request being read broke off: raise `HTTPFramingError` into its body; its answer closes.
        case failRequestBody
        /// Write this answer now, then close.
        case refuse(ConnectionRefusal)
        /// Close now: the request was already answered.
        case close
        case ignore
    }

    enum ResponseEndAction: Equatable {
        case none
        case close
        /// The last answer owed is out; write this refusal of a later request, then close.
        case refuseThenClose(ConnectionRefusal)
    }

    private(set) var phase = Phase.awaitingHead(headStarted: false)
    /// One entry per request passed on whose answer has not ended, oldest first (requests may be pipelined).
    private(set) var owed: [ResponseConnection] = []
    /// A refusal of a pipelined request, written once the answers before it are.
    private var pendingRefusal: ConnectionRefusal?

    enum ByteAction: Equatable {
        case startHeadClock
        case none
    }

    /// Bytes were read. The first byte after a request's end starts the next head's clock; an idle keep-alive
    /// connection is the idle timeout's business, not this one's.
    mutating func bytesArrived() -> ByteAction {
        guard self.phase == .awaitingHead(headStarted: false) else { return .none }
        self.phase = .awaitingHead(headStarted: true)
        return .startHeadClock
    }

    /// A head was parsed. `refusal` is what `RequestFraming` found wrong with it; `keepAlive` is NIO's reading of
    /// its version and `Connection` tokens (case-insensitive, any position in the list).
    mutating func headReceived(refusal: ConnectionRefusal?, keepAlive: Bool, isHTTP10: Bool) -> HeadAction {
        guard case .awaitingHead = self.phase else { return .drop }
        if let refusal { return self.refuse(refusal) }
        self.owed.append(keepAlive ? (isHTTP10 ? .keepAlive : .unchanged) : .close)
        self.phase = .readingBody(closeAfter: !keepAlive)
        return .forward(closeConnection: !keepAlive)
    }

    /// A body part was parsed: whether to pass it on.
    func bodyReceived() -> Bool {
        if case .readingBody = self.phase { return true }
        return false
    }

    /// A request's end was parsed: whether to pass it on. After a request that asked to close, any request that
    /// follows on the connection is ignored (§9.6).
    mutating func endReceived() -> Bool {
        guard case .readingBody(let closeAfter) = self.phase else { return false }
        self.phase = closeAfter ? .closing : .awaitingHead(headStarted: false)
        return true
    }

    /// NIO's parser failed: `refusal` is the answer for a request that never got a head.
    mutating func parserError(refusal: ConnectionRefusal) -> ParserErrorAction {
        switch self.phase {
        case .readingBody:
            self.phase = .closing
            guard !self.owed.isEmpty else { return .close }
            self.owed[self.owed.count - 1] = .close
            return .failRequestBody
        case .awaitingHead:
            switch self.refuse(refusal) {
            case .refuse(let refusal): return .refuse(refusal)
            default: return .ignore
            }
        case .closing:
            return .ignore
        }
    }

    /// The head clock ran out: a refusal when the head it timed is still incomplete.
    mutating func headClockExpired(refusal: ConnectionRefusal) -> HeadAction {
        guard self.phase == .awaitingHead(headStarted: true) else { return .drop }
        return self.refuse(refusal)
    }

    /// An answer's head is being written: how to set its `Connection` header. `asksToClose` when the route's own
    /// answer says `Connection: close`.
    mutating func responseHead(isInformational: Bool, asksToClose: Bool) -> ResponseConnection {
        guard !isInformational, !self.owed.isEmpty else { return .unchanged }
        if asksToClose { self.owed[0] = .close }
        return self.owed[0]
    }

    /// An answer's end is being written.
    mutating func responseEnded() -> ResponseEndAction {
        guard !self.owed.isEmpty else { return .none }
        if self.owed.removeFirst() == .close {
            // Requests pipelined behind one that closes are not answered (§9.6); the client may retry them.
            self.phase = .closing
            self.owed.removeAll()
            self.pendingRefusal = nil
            return .close
        }
        guard self.phase == .closing, self.owed.isEmpty else { return .none }
        if let refusal = self.pendingRefusal {
            self.pendingRefusal = nil
            return .refuseThenClose(refusal)
        }
        return .close
    }

    private mutating func refuse(_ refusal: ConnectionRefusal) -> HeadAction {
        self.phase = .closing
        if self.owed.isEmpty { return .refuse(refusal) }
        self.pendingRefusal = refusal
        return .drop
    }
}
