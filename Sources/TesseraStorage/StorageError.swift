/// Storage failures a caller can act on; anything else is an unexpected database error.
public enum StorageError: Error, Equatable, CustomStringConvertible {
    /// The database URL cannot be used.
    case invalidURL(String)
    /// The backend is not available in this build.
    case unsupported(String)
    /// The database holds a schema newer than this program knows.
    case schemaTooNew(found: Int, known: Int)
    /// The database cannot be used right now (unreachable, failing, timing out); the cause is for the log.
    case unavailable(String)

    public var description: String {
        switch self {
        case .invalidURL(let why): "invalid database URL: \(why)"
        case .unsupported(let what): what
        case .schemaTooNew(let found, let known):
            "the database schema is at version \(found) but this tessera knows only up to \(known); upgrade tessera"
        case .unavailable(let cause): "the database is unavailable: \(cause)"
        }
    }
}
