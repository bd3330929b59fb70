// A value behind a lock. Synchronization's `Mutex` would do, but on Linux it locks with futexes that
// ThreadSanitizer cannot see, so `make sanitize-thread` reported the buffers it guards as racing; NSLock is a
// pthread mutex, which it understands.

import Foundation

/// A value read and changed only while holding its lock.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    /// Runs `body` on the value with the lock held.
    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
