import Foundation
import TesseraCore
import TesseraStorage

/// Finds the server key: `TESSERA_SECRET_KEY`, else a key file, else (SQLite only) a file beside the database,
/// generated with mode 0600 on first use.
public enum ServerKeyLoader {
    /// The key file used for an SQLite database at `path` when none is named.
    public static func defaultKeyPath(forDatabaseAt path: String) -> String {
        path + ".key"
    }

    public static func load(
        database: DatabaseURL,
        keyFile: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ServerKey {
        if let hex = environment["TESSERA_SECRET_KEY"], !hex.isEmpty {
            return try ServerKey(hex: hex)
        }
        let path: String
        if let keyFile {
            path = keyFile
        } else if case .sqlite(let databasePath) = database {
            path = Self.defaultKeyPath(forDatabaseAt: databasePath)
        } else {
            throw ServerKeyLoaderError.missing
        }
        if let contents = FileManager.default.contents(atPath: path) {
            return try ServerKey(hex: String(decoding: contents, as: UTF8.self))
        }
        guard keyFile == nil else { throw ServerKeyLoaderError.unreadable(path) }
        let hex = ServerKey.generateHex()
        let created = FileManager.default.createFile(
            atPath: path,
            contents: Data((hex + "\n").utf8),
            attributes: [.posixPermissions: 0o600]
        )
        guard created else { throw ServerKeyLoaderError.unwritable(path) }
        return try ServerKey(hex: hex)
    }
}

/// Why no server key could be had.
public enum ServerKeyLoaderError: Error, CustomStringConvertible {
    case missing
    case unreadable(String)
    case unwritable(String)

    public var description: String {
        switch self {
        case .missing: "set TESSERA_SECRET_KEY or --secret-key-file: every node must share one key"
        case .unreadable(let path): "cannot read the server key file \(path)"
        case .unwritable(let path): "cannot create the server key file \(path)"
        }
    }
}
