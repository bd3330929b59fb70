// What a hostile or broken client can do to a connection, over real sockets: framing errors are 400s in the
// runner's error shape (not empty 500s), a body declared or sent beyond the limit is refused at once and the
// client still reads the answer, slow heads and bodies get 408, idle connections close, nothing pipelined runs
// after `Connection: close`, the connection cap holds, and the shutdown grace period ends a job that would not.

import Foundation
import Server
import XCTest

final class ConnectionGuardTests: XCTestCase {
    private func start(_ backend: GatedBackend = GatedBackend(),
                       _ adjust: (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestServer {
        var configuration = ServerConfiguration(modelID: backend.modelID)
        adjust(&configuration)
        let server = try await TestServer(configuration: configuration) { backend }
        addTeardownBlock { await server.stop() }
        return server
    }

    private static let form: [MultipartField] = [.text("prompt", "p"), ServerFixtures.imageField(), .text("seed", "5")]

    private func exchange(_ server: TestServer, _ actions: [RawConnection.Action], readTimeout: Double = 10) async
        -> RawConnection.Outcome {
        await RawConnection(port: server.port, actions: actions, readTimeout: readTimeout).run()
    }

    private func assertRefused(_ outcome: RawConnection.Outcome, status: Int, message: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(outcome.statuses, [status], outcome.text, file: file, line: line)
        XCTAssertEqual(outcome.firstBody, #"{"detail":{"msg":"# + "\"\(message)\"}}", file: file, line: line)
        XCTAssertTrue(outcome.text.contains("Connection: close"), outcome.text, file: file, line: line)
        XCTAssertEqual(outcome.ending, .closedByServer, file: file, line: line)
    }

    // MARK: Framing

    func testMalformedChunkSizeIs400() async throws {
        let server = try await start()
        let outcome = await exchange(server, [.send(RawConnection.head(["Transfer-Encoding: chunked"])
            + Array("zz\r\nabc\r\n0\r\n\r\n".utf8))])
        assertRefused(outcome, status: 400, message: "Malformed HTTP request: invalid chunk size.")
    }

    func testChunkSizePast64BitsIs400() async throws {
        let server = try await start()
        let outcome = await exchange(server, [.send(RawConnection.head(["Transfer-Encoding: chunked"])
            + Array("10000000000000000\r\nabc".utf8))])
        assertRefused(outcome, status: 400, message: "Malformed HTTP request: invalid chunk size.")
    }

    /// A chunk of 2⁶⁴ − 1 bytes is well-formed: the few bytes that follow are within every limit, and the stall after
    /// them is a stalled upload, answered when the body idle timeout passes.
    func testChunkOf2To64Minus1BytesThatStallsIs408() async throws {
        let backend = GatedBackend()
        let server = try await start(backend) { $0.connections.bodyIdleTimeout = .milliseconds(300) }
        let outcome = await exchange(server, [.send(RawConnection.head(["Transfer-Encoding: chunked"])
            + Array("FFFFFFFFFFFFFFFF\r\nabc".utf8))])
        assertRefused(outcome, status: 408,
                      message: "Request timeout: no byte of the request body arrived for 0.3 s (--body-idle-timeout).")
        XCTAssertEqual(backend.startedCount, 0)
    }

    func testMalformedChunkAfterSomeBodyIs400() async throws {
        let server = try await start()
        let outcome = await exchange(server, [.send(RawConnection.head(["Transfer-Encoding: chunked"])
            + Array("4\r\nabcd\r\nzz\r\n".utf8))])
        assertRefused(outcome, status: 400, message: "Malformed HTTP request: invalid chunk size.")
    }

    func testBodyShorterThanContentLengthThenHalfCloseIs400() async throws {
        let backend = GatedBackend()
        let server = try await start(backend)
        let body = MultipartBody(Self.form)
        let outcome = await exchange(server, [
            .send(RawConnection.head(["Content-Type: " + body.contentType, "Content-Length: \(body.bytes.count + 100)"])
                + body.bytes),
            .halfClose,
        ])
        assertRefused(outcome, status: 400,
                      message: "Malformed HTTP request: the connection ended before the request was complete.")
        XCTAssertEqual(backend.startedCount, 0, "a truncated request ran")
    }

    func testContentLengthShorterThanTheBodyIsAnsweredNeverWith500() async throws {
        // The declared length cuts the form short; the bytes after it are not a request. Depending on whether the
        // form was answered (422) before those bytes were parsed, the exchange ends in the 422 or in a 400 for the
        // malformed stream — never in an empty 500 — and the connection closes.
        let server = try await start()
        let body = MultipartBody(Self.form)
        for cut in [40, 100] {
            let outcome = await exchange(server, [
                .send(RawConnection.head(["Content-Type: " + body.contentType, "Content-Length: \(body.bytes.count - cut)"])
                    + body.bytes),
            ])
            XCTAssertTrue(outcome.statuses == [422] || outcome.statuses == [400], outcome.text)
            XCTAssertEqual(outcome.ending, .closedByServer)
        }
    }

    func testMalformedRequestLineIs400() async throws {
        let server = try await start()
        let outcome = await exchange(server, [.send(Array("GARBAGE\r\n\r\n".utf8))])
        assertRefused(outcome, status: 400, message: "Malformed HTTP request: invalid HTTP method.")
    }

    func testHalfCloseAfterACompleteRequestCancelsItAndTheServerGoesOn() async throws {
        // A client that shuts its sending side is treated as gone (as a disconnect): its request is cancelled,
        // queued or running, and nothing is left waiting on the connection.
        let backend = GatedBackend()
        let server = try await start(backend)
        let outcome = await exchange(server, [.send(RawConnection.post(Self.form)), .halfClose])
        XCTAssertEqual(outcome.ending, .closedByServer)
        XCTAssertTrue(backend.startedCount == 0 || backend.waitUntilCancelled(), "the job ran on")
        backend.release()
        let (response, _) = try await server.post(Self.form)
        XCTAssertEqual(response.status.code, 200)
    }

    // MARK: Body limits

    private static let tooLargeMessage = "The request body is larger than the 1310720-byte limit (an image of at most "
        + "1048576 bytes plus the form's text fields; --max-upload-bytes)."

    func testBodyDeclaredFarAboveTheLimitIsRefusedAtOnce() async throws {
        let server = try await start { $0.limits.maxUploadBytes = 1 << 20 }
        let outcome = await exchange(server, [
            .send(RawConnection.head(["Content-Type: multipart/form-data; boundary=x", "Content-Length: 80000000"])
                + [UInt8](repeating: 0, count: 40_000)),
        ], readTimeout: 20)
        assertRefused(outcome, status: 400, message: Self.tooLargeMessage)
        XCTAssertLessThan(outcome.seconds, 15)
    }

    func testClientSendingItsWholeOversizedBodyBeforeReadingSeesThe400() async throws {
        let server = try await start { $0.limits.maxUploadBytes = 1 << 20 }
        let size = 24 << 20
        let outcome = await exchange(server, [
            .send(RawConnection.head(["Content-Type: multipart/form-data; boundary=x", "Content-Length: \(size)"])
                + [UInt8](repeating: 0, count: size)),
        ])
        XCTAssertFalse(outcome.sendFailed, "the server reset the connection while the client was sending")
        assertRefused(outcome, status: 400, message: Self.tooLargeMessage)
    }

    func testChunkedBodyOverTheLimitIsRefusedWithoutReadingItAll() async throws {
        let server = try await start { $0.limits.maxUploadBytes = 1 << 20 }
        var chunks: [UInt8] = []
        for _ in 0..<24 { chunks += Array("100000\r\n".utf8) + [UInt8](repeating: 0, count: 1 << 20) + Array("\r\n".utf8) }
        let outcome = await exchange(server, [
            .send(RawConnection.head(["Content-Type: multipart/form-data; boundary=x", "Transfer-Encoding: chunked"])
                + chunks),
        ])
        assertRefused(outcome, status: 400, message: Self.tooLargeMessage)
    }

    // MARK: Deadlines

    func testStalledHeadIs408() async throws {
        let server = try await start { $0.connections.headTimeout = .milliseconds(300) }
        let outcome = await exchange(server, [.send(Array("POST /image-to-image HTTP/1.1\r\nHost: x\r\n".utf8))])
        assertRefused(outcome, status: 408, message: "The request head was not received within 0.3 s (--head-timeout).")
    }

    func testStalledBodyIs408() async throws {
        let backend = GatedBackend()
        let server = try await start(backend) { $0.connections.bodyIdleTimeout = .milliseconds(300) }
        let outcome = await exchange(server, [.send(RawConnection.head(["Content-Length: 1000"]) + Array("abc".utf8))])
        assertRefused(outcome, status: 408,
                      message: "Request timeout: no byte of the request body arrived for 0.3 s (--body-idle-timeout).")
        XCTAssertEqual(backend.startedCount, 0)
    }

    func testTrickledBodyHitsTheTotalBodyDeadline() async throws {
        let server = try await start {
            $0.connections.bodyIdleTimeout = .seconds(1)
            $0.connections.bodyTimeout = .milliseconds(800)
        }
        let trickle = (0..<8).flatMap { _ in [RawConnection.Action.send(Array("a".utf8)), .pause(0.2)] }
        let outcome = await exchange(server, [.send(RawConnection.head(["Content-Length: 1000"]))] + trickle)
        XCTAssertEqual(outcome.statuses, [408], outcome.text)
        XCTAssertEqual(outcome.firstBody,
                       #"{"detail":{"msg":"Request timeout: the request body was not received within 0.8 s (--body-timeout)."}}"#)
    }

    func testIdleConnectionIsClosedSilently() async throws {
        let server = try await start { $0.connections.keepAliveTimeout = .milliseconds(300) }
        let outcome = await exchange(server, [], readTimeout: 5)
        XCTAssertEqual(outcome.ending, .closedByServer)
        XCTAssertEqual(outcome.bytes, [])
        XCTAssertLessThan(outcome.seconds, 4)
    }

    // MARK: Pipelining

    func testNothingPipelinedRunsAfterConnectionClose() async throws {
        let backend = GatedBackend()
        backend.release()
        let server = try await start(backend)
        let request = RawConnection.post(Self.form)
        let outcome = await exchange(server, [.send(request + request + request)])
        XCTAssertEqual(outcome.statuses, [200], outcome.text)
        XCTAssertEqual(outcome.ending, .closedByServer)
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertEqual(backend.startedCount, 1, "a request pipelined after `Connection: close` ran")
    }

    func testAnHTTP10RequestClosesItsConnectionAfterTheAnswer() async throws {
        let server = try await start()
        let outcome = await exchange(server, [.send(Array("GET /health HTTP/1.0\r\n\r\n".utf8))], readTimeout: 5)
        XCTAssertEqual(outcome.statuses, [200], outcome.text)
        XCTAssertEqual(outcome.ending, .closedByServer)
        XCTAssertLessThan(outcome.seconds, 2, "the connection stayed open after an HTTP/1.0 answer")
    }

    func testARequestSentAfterOneThatSaidConnectionCloseIsIgnored() async throws {
        let backend = GatedBackend()
        backend.release()
        let server = try await start(backend)
        let outcome = await exchange(server, [
            .send(RawConnection.head(["Connection: close"], method: "GET", path: "/health") + RawConnection.post(Self.form)),
        ])
        XCTAssertEqual(outcome.statuses, [200], outcome.text)
        XCTAssertTrue(outcome.text.contains(#"{"status":"OK"}"#), outcome.text)
        XCTAssertEqual(outcome.ending, .closedByServer)
        XCTAssertEqual(backend.startedCount, 0)
    }

    func testPipelinedKeepAliveRequestsAreAnsweredInOrder() async throws {
        let server = try await start { $0.connections.keepAliveTimeout = .milliseconds(500) }
        let outcome = await exchange(server, [
            .send(RawConnection.head([], method: "GET", path: "/health") + RawConnection.head([], method: "GET", path: "/version")),
        ])
        XCTAssertEqual(outcome.statuses, [200, 200], outcome.text)
        let health = try XCTUnwrap(outcome.text.range(of: #"{"status":"OK"}"#))
        let version = try XCTUnwrap(outcome.text.range(of: #""version""#))
        XCTAssertLessThan(health.lowerBound, version.lowerBound)
    }

    // MARK: Work limits

    func testRequestRunningPastItsDeadlineIsStoppedWith503() async throws {
        let backend = GatedBackend()  // never released
        let server = try await start(backend) { $0.limits.requestTimeout = .milliseconds(300) }
        let (response, body) = try await server.post(Self.form)
        XCTAssertEqual(response.status.code, 503)
        XCTAssertEqual(body, #"{"detail":{"msg":"The request ran for this server's limit of 0.3 s (--request-timeout) and was stopped."}}"#)
        XCTAssertTrue(backend.waitUntilCancelled(seconds: 1))
    }

    // MARK: Connections and shutdown

    func testConnectionCapMakesFurtherConnectionsWait() async throws {
        let server = try await start { $0.connections.maxConnections = 2 }
        let holders = (0..<2).map { _ in
            Task { await RawConnection(port: server.port, actions: [.send(Array("GET /health HTTP/1.1\r\n".utf8)), .pause(1.5)],
                                       readTimeout: 0.1).run() }
        }
        try await Task.sleep(for: .milliseconds(300))
        let started = Date()
        let third = await exchange(server, [.send(RawConnection.head(["Connection: close"], method: "GET", path: "/health"))])
        XCTAssertEqual(third.statuses, [200], third.text)
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 0.9, "a third connection was served while two were open")
        for holder in holders { _ = await holder.value }
    }

    func testShutdownGraceCancelsAJobThatWouldRunOn() async throws {
        let backend = GatedBackend()  // never released: the job would run forever
        let server = try await start(backend) { $0.connections.shutdownGrace = .milliseconds(500) }
        let client = Task { await RawConnection(port: server.port, actions: [.send(RawConnection.post(Self.form))]).run() }
        XCTAssertTrue(backend.waitUntilRunning(), "the request never started")
        let started = Date()
        await server.server.shutdownGracefully()
        try await server.waitForExit()
        XCTAssertLessThan(Date().timeIntervalSince(started), 8, "the server outlived its grace period")
        XCTAssertTrue(backend.waitUntilCancelled(seconds: 2), "the running job was not cancelled")
        _ = await client.value
    }
}
