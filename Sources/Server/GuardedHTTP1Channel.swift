// Hummingbird's HTTP/1 child channel with each connection's `ConnectionGuard` added: its byte gate before the
// HTTP decoder, the guard itself between the codec and Hummingbird's connection handling.

import HummingbirdCore
import Logging
import NIOCore

/// An HTTP/1 server channel whose connections are guarded (deadlines, framing errors, pipelining, clean close).
struct GuardedHTTP1Channel: ServerChildChannel {
    let base: HTTP1Channel
    let policy: ConnectionPolicy

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let connectionGuard = ConnectionGuard(policy: policy)
            let pipeline = channel.pipeline.syncOperations
            let state = try pipeline.handler(type: HTTPConnectionStateHandler.self)
            try pipeline.addHandler(connectionGuard, position: .before(state))
            try pipeline.addHandler(ConnectionByteGate(connectionGuard), position: .first)
            return value
        }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
