// How long a connection may take to send a request, how many connections may be open, and how a closing
// connection is wound down: the limits that keep a slow or hostile client from holding the server.

/// Per-connection deadlines and bounds.
public struct ConnectionPolicy: Sendable {
    /// From a request's first byte to the end of its head (request line and headers); then 408.
    public var headTimeout: Duration = .seconds(30)
    /// Longest pause while a request body is being sent; then 408.
    public var bodyIdleTimeout: Duration = .seconds(30)
    /// From a request's head to the end of its body; then 408. A 10 MB upload at 1 Mbit/s takes 84 s.
    public var bodyTimeout: Duration = .seconds(300)
    /// How long an open connection may sit between requests before it is closed.
    public var keepAliveTimeout: Duration = .seconds(60)
    /// Connections open at once; more wait, unaccepted, in the listen backlog.
    public var maxConnections = 256
    /// After an answer that closes the connection: how much of a request still being sent (an upload refused
    /// for its size) is read and discarded so the client can read the answer, and for how long at most.
    public var lingerBytes = 128 * 1024 * 1024
    public var lingerTime: Duration = .seconds(10)
    /// After SIGTERM: how long requests in flight may still run before everything is cancelled and the
    /// process exits.
    public var shutdownGrace: Duration = .seconds(30)

    public init() {}
}
