import Foundation

/// Where the data lives, from `--database` or `TESSERA_DATABASE_URL`.
///
/// `sqlite://tessera.sqlite` is relative to the working directory, `sqlite:///var/lib/tessera.sqlite` absolute.
public enum DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    /// The default: an SQLite file in the working directory.
    public static let defaultValue = "sqlite://tessera.sqlite"

    public init(parsing text: String) throws(StorageError) {
        let text = text.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("sqlite://") {
            let path = String(text.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw StorageError.invalidURL("an sqlite:// URL needs a file path") }
            self = .sqlite(path: path)
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(url: text)
        } else {
            throw StorageError.invalidURL("use sqlite://PATH or postgres://user:pass@host:port/db")
        }
    }

    /// The URL without a password, fit for logs and messages.
    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite://\(path)"
        case .postgres(let url):
            guard let at = url.lastIndex(of: "@"), let scheme = url.range(of: "://") else { return url }
            let credentials = url[scheme.upperBound..<at]
            let user = credentials.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
            return url[..<scheme.upperBound] + user + ":***" + url[at...]
        }
    }
}
