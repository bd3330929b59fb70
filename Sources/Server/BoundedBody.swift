// Reads a request body up to a byte limit. Past the limit it keeps reading and discarding (up to a cap) so the
// client, still sending, can read our 400 instead of a reset connection; a body declared far too large by
// Content-Length is not read at all.

import Hummingbird

/// Bounded collection of a request body.
enum BoundedBody {
    /// How much past the limit we read and discard before giving up on the client.
    static let drainAllowance = 64 * 1024 * 1024

    /// The whole body, or nil when it exceeds `limit` bytes.
    static func read(_ body: RequestBody, limit: Int, declaredLength: Int?) async throws -> ByteBuffer? {
        if let declaredLength, declaredLength > limit + drainAllowance { return nil }
        var collected = ByteBuffer()
        var total = 0
        for try await chunk in body {
            total += chunk.readableBytes
            if total <= limit {
                var chunk = chunk
                collected.writeBuffer(&chunk)
            } else {
                collected = ByteBuffer()
                if total > limit + drainAllowance { break }
            }
        }
        return total <= limit ? collected : nil
    }
}
