// Reads a request body up to a byte limit, stopping as soon as it is exceeded: the caller refuses the request
// and the connection's guard discards whatever the client still sends.

import Hummingbird

/// Bounded collection of a request body.
enum BoundedBody {
    /// The whole body, or nil as soon as it exceeds `limit` bytes.
    static func read(_ body: RequestBody, limit: Int) async throws -> ByteBuffer? {
        var collected = ByteBuffer()
        for try await chunk in body {
            guard collected.readableBytes + chunk.readableBytes <= limit else { return nil }
            var chunk = chunk
            collected.writeBuffer(&chunk)
        }
        return collected
    }
}
