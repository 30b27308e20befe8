/// What an operator may do. Each role may do everything the one before it may.
public enum OperatorRole: String, Sendable, Equatable, CaseIterable, Comparable {
    /// Reads everything: companies, policies, users, sessions, audit events. Changes nothing.
    case viewer
    /// Also acts on users: unlock, disable and enable, end sessions, expire a password, send a reset, re-enrol an
    /// authenticator, clear a PIN.
    case support
    /// Also manages companies, policies, app keys, CORS origins, resource-server keys and operators.
    case admin

    private var rank: Int {
        switch self {
        case .viewer: 0
        case .support: 1
        case .admin: 2
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

/// Who performs an operator action: the name recorded as the audit events' actor, and the role it is checked
/// against.
public struct OperatorActor: Sendable, Equatable {
    /// The audit events' `actor`: `cli` for the command line, `operator:<username>` for the back office.
    public var name: String
    public var role: OperatorRole
    /// The operator's user id, when the actor is an operator of the back office.
    public var userID: Int64?

    public init(name: String, role: OperatorRole, userID: Int64? = nil) {
        self.name = name
        self.role = role
        self.userID = userID
    }

    /// The command line: whoever can run it holds the database URL and the server key, so it may do anything.
    public static let cli = OperatorActor(name: "cli", role: .admin)

    /// Throws unless the actor's role is at least `role`.
    public func require(_ role: OperatorRole) throws(OperatorError) {
        guard self.role >= role else {
            throw OperatorError(.forbidden, "this needs the \(role.rawValue) role; \(self.name) has \(self.role.rawValue)")
        }
    }
}
