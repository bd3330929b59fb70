// Guards one HTTP/1 connection where Hummingbird leaves it to the application:
// - deadlines for reading a request — its head, its body (longest pause, and in total) — answered 408, and a
//   connection idle between requests closed;
// - framing errors (a malformed head or chunk size, a body cut short by the client) answered 400 in the runner's
//   error shape, and the handler still reading that body stopped with an error;
// - a pipelined request held, unread, until the answer before it is written, and dropped when that answer closes
//   the connection: nothing runs after we announced `Connection: close`; an HTTP/1.0 request without
//   `Connection: keep-alive` closes its connection after the answer;
// - a clean close: once the last answer is written the connection closes; if the client is still sending a
//   request we refused early (an upload over the limit), our side half-closes and its bytes are read and
//   discarded up to a bound, so the client reads the answer instead of a reset.
// Each connection's guard runs on its event loop only; `ConnectionByteGate` shows it the raw bytes.

import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Why reading a request failed, as the handler reading its body sees it (the guard has answered already).
enum RequestReadError: Error, CustomStringConvertible {
    case timedOut
    case malformed(String)
    case clientClosed

    var description: String {
        switch self {
        case .timedOut: return "the request was not sent in time"
        case let .malformed(reason): return "malformed HTTP request (\(reason))"
        case .clientClosed: return "the client closed its side of the connection"
        }
    }

    var isTimeout: Bool {
        if case .timedOut = self { return true }
        return false
    }
}

/// The request-side state machine of one connection, between the HTTP codec and the request handlers.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Where the connection is in its current exchange.
    private enum Phase {
        /// Between requests: no byte of the next one yet.
        case idle
        /// Bytes of a request have arrived; its head is not complete.
        case head
        /// The head went to the handler; its body is arriving.
        case body
        /// The whole request went to the handler; its answer is awaited.
        case handling
        /// The last answer is written (or being written); the connection is winding down.
        case closing
    }

    private let policy: ConnectionPolicy
    private var context: ChannelHandlerContext?
    private var phase = Phase.idle
    /// When the current phase's clock started, and when a byte last arrived.
    private var phaseStarted = NIODeadline.now()
    private var lastActivity = NIODeadline.now()
    /// The handler has begun its answer (the head is written).
    private var answering = false
    /// The guard answered the current request itself: the handler's answer is dropped.
    private var answeredHere = false
    /// The connection closes once the current answer is written.
    private var closeAfterAnswer = false
    /// The parts of a pipelined request, held until the answer before it is written.
    private var held: [HTTPRequestPart] = []
    private var readPending = false
    private var timer: Scheduled<Void>?
    /// While lingering: bytes read and thrown away.
    private var discarded = 0
    private var lingering = false
    /// The current request's line says HTTP/1.0.
    private var http10 = false

    init(policy: ConnectionPolicy) {
        self.policy = policy
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        armTimer()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    // MARK: Raw bytes (from ConnectionByteGate)

    /// Notes `bytes` arriving; false when they are to be discarded instead of decoded.
    func admit(_ bytes: ByteBuffer) -> Bool {
        lastActivity = .now()
        if lingering {
            discarded += bytes.readableBytes
            if discarded > policy.lingerBytes { context?.close(promise: nil) }
            return false
        }
        if phase == .idle, held.isEmpty {
            enter(.head)
            http10 = Self.startsHTTP10Request(bytes)
        }
        return true
    }

    /// Whether a request line in `bytes` ends in `HTTP/1.0` (the HTTP types the handlers see carry no version, and
    /// an HTTP/1.0 connection closes after its answer unless the request asks to keep it alive).
    private static func startsHTTP10Request(_ bytes: ByteBuffer) -> Bool {
        let view = bytes.readableBytesView
        guard let end = view.firstIndex(of: UInt8(ascii: "\r")) else { return false }
        return view[..<end].suffix(8).elementsEqual("HTTP/1.0".utf8)
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch phase {
        case .closing: return
        case .handling: held.append(part)
        case .idle, .head, .body: held.isEmpty ? pass(part) : held.append(part)
        }
    }

    /// Hands one part of the current request to the handler.
    private func pass(_ part: HTTPRequestPart) {
        guard let context else { return }
        switch part {
        case let .head(request):
            let connection = request.headerFields[.connection]?.lowercased()
            if connection == "close" || (http10 && connection != "keep-alive") { closeAfterAnswer = true }
            enter(.body)
        case .body: break
        case .end: enter(.handling)
        }
        context.fireChannelRead(wrapInboundOut(part))
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if phase == .closing { return }  // the decoder's complaints about bytes after the last answer
        guard let parseError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        refuse(.badRequest, message: "Malformed HTTP request: \(Self.explain(parseError)).",
               handlerError: .malformed("\(parseError)"))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            switch phase {
            case .closing:
                // Lingering: the client has sent everything it will, and our answer is written. Otherwise the
                // answer is still being written, and its completion closes the connection.
                if lingering { context.close(promise: nil) }
                return
            case .handling:
                // The client left while its request runs: the handler learns it as an error of the request
                // stream (which cancels the work), not as a quiet end of it.
                context.fireErrorCaught(RequestReadError.clientClosed)
            case .idle, .head, .body:
                break
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: Outbound

    func read(context: ChannelHandlerContext) {
        // A held pipelined request waits unread; a lingering connection reads (and discards) on its own.
        if !held.isEmpty, !lingering {
            readPending = true
            return
        }
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if answeredHere {
            promise?.succeed(())
            return
        }
        let part = unwrapOutboundIn(data)
        switch part {
        case let .head(response):
            answering = true
            if response.headerFields[.connection]?.lowercased() == "close" { closeAfterAnswer = true }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            answering = false
            finishAnswer(data, promise: promise)
        }
    }

    /// Writes the end of an answer, then closes or turns to the next request.
    private func finishAnswer(_ end: NIOAny, promise: EventLoopPromise<Void>?) {
        guard let context else { return }
        let requestUnread = phase == .head || phase == .body
        guard closeAfterAnswer || requestUnread || phase == .closing else {
            context.write(end, promise: promise)
            enter(.idle)
            replayHeld()
            return
        }
        enter(.closing)
        held.removeAll()
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(end, promise: written)
        written.futureResult.assumeIsolated().whenComplete { result in
            promise?.completeWith(result)
            self.windDown(lingering: requestUnread)
        }
    }

    /// Closes the connection; when the client may still be sending, first half-closes and discards what it sends.
    private func windDown(lingering: Bool) {
        guard let context else { return }
        guard lingering else {
            context.close(promise: nil)
            return
        }
        self.lingering = true
        context.close(mode: .output, promise: nil)
        timer?.cancel()
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: .init(policy.lingerTime)) { [weak self] in
            self?.context?.close(promise: nil)
        }
        context.read()
    }

    /// Hands the held parts of the next request on, up to its end.
    private func replayHeld() {
        while !held.isEmpty, phase != .handling, phase != .closing {
            if phase == .idle { enter(.head) }
            pass(held.removeFirst())
        }
        context?.fireChannelReadComplete()
        if held.isEmpty, readPending {
            readPending = false
            context?.read()
        }
    }

    // MARK: Answers of the guard's own

    /// Answers the current request with an error and closes; the handler reading its body gets `handlerError`.
    private func refuse(_ status: HTTPResponse.Status, message: String, handlerError: RequestReadError) {
        guard let context else { return }
        guard phase != .closing else { return }
        // Bytes after a complete request that said `Connection: close` are not read as a request (the decoder
        // refuses them): that request is answered, then the connection closes.
        if phase == .handling, closeAfterAnswer { return }
        // A handler has the request when its head went on; bytes after a complete request that do not parse
        // (its Content-Length was short) make the whole exchange malformed.
        let handlerEngaged = phase == .body || phase == .handling
        guard !answering else {
            closeAfterAnswer = true
            if handlerEngaged { context.fireErrorCaught(handlerError) }
            return
        }
        answeredHere = handlerEngaged
        closeAfterAnswer = true
        let body = ByteBuffer(string: RunnerResponses.errorJSON(message).serialized)
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[.contentLength] = String(body.readableBytes)
        fields[.connection] = "close"
        context.write(wrapOutboundOut(.head(HTTPResponse(status: status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        finishAnswer(wrapOutboundOut(.end(nil)), promise: nil)
        if handlerEngaged { context.fireErrorCaught(handlerError) }
    }

    // MARK: Deadlines

    private func enter(_ next: Phase) {
        phase = next
        phaseStarted = .now()
        lastActivity = phaseStarted
        armTimer()
    }

    /// When the current phase runs out of time, if it can.
    private var deadline: NIODeadline? {
        switch phase {
        case .idle: return lastActivity + .init(policy.keepAliveTimeout)
        case .head: return phaseStarted + .init(policy.headTimeout)
        case .body: return min(lastActivity + .init(policy.bodyIdleTimeout), phaseStarted + .init(policy.bodyTimeout))
        case .handling, .closing: return nil
        }
    }

    private func armTimer() {
        timer?.cancel()
        timer = nil
        guard let context, let deadline else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            self?.timerFired()
        }
    }

    private func timerFired() {
        guard let deadline else { return }
        guard NIODeadline.now() >= deadline else {  // bytes arrived meanwhile
            armTimer()
            return
        }
        switch phase {
        case .idle:
            enter(.closing)
            context?.close(promise: nil)
        case .head:
            refuse(.requestTimeout, message: "The request head was not received within "
                   + "\(policy.headTimeout.spokenSeconds) (--head-timeout).", handlerError: .timedOut)
        case .body:
            let idle = NIODeadline.now() >= lastActivity + .init(policy.bodyIdleTimeout)
            let reason = idle
                ? "no byte of the request body arrived for \(policy.bodyIdleTimeout.spokenSeconds) (--body-idle-timeout)"
                : "the request body was not received within \(policy.bodyTimeout.spokenSeconds) (--body-timeout)"
            refuse(.requestTimeout, message: "Request timeout: \(reason).", handlerError: .timedOut)
        case .handling, .closing:
            break
        }
    }

    /// A parser error in words a client can act on.
    private static func explain(_ error: HTTPParserError) -> String {
        switch error {
        case .invalidEOFState: return "the connection ended before the request was complete"
        case .invalidChunkSize: return "invalid chunk size"
        case .invalidContentLength: return "invalid Content-Length"
        case .unexpectedContentLength: return "unexpected Content-Length"
        case .headerOverflow: return "the headers are too large"
        default: return "\(error)"
        }
    }
}

/// Sits before the HTTP decoder and shows each read's size to the connection's guard, which may have it
/// discarded (while lingering) instead of decoded.
final class ConnectionByteGate: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let guardian: ConnectionGuard

    init(_ guardian: ConnectionGuard) {
        self.guardian = guardian
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if guardian.admit(unwrapInboundIn(data)) {
            context.fireChannelRead(data)
        }
    }
}

extension Duration {
    /// The duration in seconds.
    public var secondsValue: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// The duration in seconds for messages, e.g. "30 s" or "0.5 s".
    var spokenSeconds: String {
        String(format: "%g s", secondsValue)
    }
}
