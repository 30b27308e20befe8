import Foundation

private let launching = NSLock()

/// Starts `process`, one launch at a time across the test run: Foundation's `Process.run()` on Linux has crashed
/// (a bad read while it copied its spawn arguments) when many tests launched processes at once on a loaded machine.
public func launch(_ process: Process) throws {
    launching.lock()
    defer { launching.unlock() }
    try process.run()
}
