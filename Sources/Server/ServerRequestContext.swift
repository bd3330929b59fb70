// The per-request context: Hummingbird's core storage plus a small notebook the handlers write into (request
// parameters, queue wait, inference time) so the access-log middleware can write one line per request.

import Foundation
import Hummingbird

/// Hummingbird request context carrying the fields of the request's log line.
public struct ServerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// What the handler learnt about the request, for its log line.
    let notes = RequestNotes()

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }
}

/// Key/value notes for a request's log line, in the order they were written.
final class RequestNotes: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(String, String)] = []

    /// Adds or replaces a note.
    func set(_ key: String, _ value: CustomStringConvertible) {
        lock.withLock {
            if let index = entries.firstIndex(where: { $0.0 == key }) {
                entries[index].1 = value.description
            } else {
                entries.append((key, value.description))
            }
        }
    }

    /// The notes as `key=value` pairs.
    var rendered: String {
        lock.withLock { entries.map { "\($0.0)=\($0.1)" }.joined(separator: " ") }
    }
}

extension Duration {
    /// Seconds with millisecond precision, e.g. "1.234s".
    var secondsText: String { String(format: "%.3fs", seconds) }

    /// The duration in seconds.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
