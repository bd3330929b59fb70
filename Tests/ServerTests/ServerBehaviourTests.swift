// The server around the model, over real HTTP with a gated backend: bearer authentication, the metadata routes,
// FastAPI's 404/405, health while loading, the bounded queue (503), cancellation when a client disconnects, and
// the graceful shutdown that finishes the running job.

import AsyncHTTPClient
import Foundation
import NIOCore
import Server
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The errno of a TCP connect to 127.0.0.1:`port` (0 when it connects).
private func connectionError(port: Int) -> Int32 {
    let (descriptor, error) = RawConnection.connect(port: port)
    close(descriptor)
    return error
}

final class ServerBehaviourTests: XCTestCase {
    private func start(_ backend: GatedBackend, _ adjust: (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestServer {
        var configuration = ServerConfiguration(modelID: backend.modelID)
        configuration.version = "9.9.9"
        adjust(&configuration)
        let server = try await TestServer(configuration: configuration) { backend }
        addTeardownBlock { await server.stop() }
        return server
    }

    private let form: [MultipartField] = [.text("prompt", "p"), ServerFixtures.imageField(), .text("seed", "5")]

    func testMissingBearerTokenIs401WithChallenge() async throws {
        let backend = GatedBackend()
        backend.release()
        let server = try await start(backend) { $0.authToken = "sekrit" }
        let (response, body) = try await server.post(form)
        XCTAssertEqual(response.status.code, 401)
        XCTAssertEqual(response.headers.first(name: "www-authenticate"), "Bearer")
        XCTAssertEqual(body, #"{"detail":{"msg":"Invalid bearer token."}}"#)
    }

    func testWrongBearerTokenIs401() async throws {
        let backend = GatedBackend()
        backend.release()
        let server = try await start(backend) { $0.authToken = "sekrit" }
        let (response, body) = try await server.post(form, headers: [("Authorization", "Bearer sekrit2")])
        XCTAssertEqual(response.status.code, 401)
        XCTAssertEqual(body, #"{"detail":{"msg":"Invalid bearer token."}}"#)
    }

    func testRightBearerTokenInAnyCaseOfTheSchemePasses() async throws {
        let backend = GatedBackend()
        backend.release()
        let server = try await start(backend) { $0.authToken = "sekrit" }
        let (response, body) = try await server.post(form, headers: [("Authorization", "bearer sekrit")])
        XCTAssertEqual(response.status.code, 200, body)
        XCTAssertEqual(try ImagesAnswer(body).images.map(\.seed), [5])
    }

    func testValidationComesBeforeAuthenticationAsInTheRunner() async throws {
        let backend = GatedBackend()
        let server = try await start(backend) { $0.authToken = "sekrit" }
        let (response, _) = try await server.post([ServerFixtures.imageField()])
        XCTAssertEqual(response.status.code, 422)
    }

    func testMetadataRoutesAnswerLikeTheRunnerWithoutGPUs() async throws {
        let server = try await start(GatedBackend())
        let expected = [
            "/health": #"{"status":"OK"}"#,
            "/health/": #"{"status":"OK"}"#,
            "/version": #"{"pipeline":"image-to-image","model_id":"test/gated","version":"9.9.9"}"#,
            "/hardware/info": #"{"pipeline":"image-to-image","model_id":"test/gated","gpu_info":{}}"#,
            "/hardware/stats": #"{"pipeline":"image-to-image","model_id":"test/gated","gpu_stats":{}}"#,
        ]
        for (path, body) in expected.sorted(by: { $0.key < $1.key }) {
            let (response, text) = try await server.get(path)
            XCTAssertEqual(response.status.code, 200, path)
            XCTAssertEqual(text, body, path)
        }
    }

    func testOpenAPIDocumentIsJSONDescribingTheRoutes() async throws {
        let server = try await start(GatedBackend())
        let (response, text) = try await server.get("/openapi.json")
        XCTAssertEqual(response.status.code, 200)
        let document = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        let paths = (document?["paths"] as? [String: Any]).map { Set($0.keys) }
        XCTAssertEqual(paths, Set(OpenAPIDocumentTests.routes + OpenAPIDocumentTests.extensionRoutes))
    }

    func testUnknownPathIsFastAPIs404AndWrongMethodIs405() async throws {
        let server = try await start(GatedBackend())
        let (missing, missingBody) = try await server.get("/nope")
        XCTAssertEqual(missing.status.code, 404)
        XCTAssertEqual(missingBody, #"{"detail":"Not Found"}"#)
        let (wrong, wrongBody) = try await server.get("/image-to-image")
        XCTAssertEqual(wrong.status.code, 405)
        XCTAssertEqual(wrong.headers.first(name: "allow"), "POST")
        XCTAssertEqual(wrongBody, #"{"detail":"Method Not Allowed"}"#)
    }

    func testHealthSaysLoadingUntilTheModelIsReadyAndRequestsGet503() async throws {
        let gate = DispatchSemaphore(value: 0)
        let backend = GatedBackend()
        let server = try await TestServer(configuration: ServerConfiguration(modelID: "test/gated"), waitForModel: false) {
            gate.wait()
            return backend
        }
        addTeardownBlock { await server.stop() }
        let (_, health) = try await server.get("/health")
        XCTAssertEqual(health, #"{"status":"LOADING"}"#)
        let (response, body) = try await server.post(form)
        XCTAssertEqual(response.status.code, 503)
        XCTAssertTrue(body.contains("still loading"), body)
        gate.signal()
    }

    func testHealthSaysErrorWhenTheModelFailsToLoad() async throws {
        struct LoadFailure: Error, CustomStringConvertible { var description: String { "no weights here" } }
        let server = try await TestServer(configuration: ServerConfiguration(modelID: "test/broken"), waitForModel: false) {
            throw LoadFailure()
        }
        addTeardownBlock { await server.stop() }
        var health = ""
        for _ in 0..<100 where health != #"{"status":"ERROR"}"# {
            try await Task.sleep(for: .milliseconds(20))
            health = try await server.get("/health").1
        }
        XCTAssertEqual(health, #"{"status":"ERROR"}"#)
        let (response, body) = try await server.post(form)
        XCTAssertEqual(response.status.code, 503)
        XCTAssertEqual(body, #"{"detail":{"msg":"The model failed to load: no weights here"}}"#)
    }

    func testFullQueueIs503() async throws {
        let backend = GatedBackend()
        let server = try await start(backend) { $0.limits.queueCapacity = 0 }
        let first = Task { try await server.post(form) }
        XCTAssertTrue(backend.waitUntilRunning(), "the first request never started")
        let (response, body) = try await server.post(form)
        XCTAssertEqual(response.status.code, 503)
        XCTAssertEqual(body, #"{"detail":{"msg":"The server is busy: one request is running and 0 are waiting; retry later."}}"#)
        backend.release()
        let (firstResponse, _) = try await first.value
        XCTAssertEqual(firstResponse.status.code, 200)
    }

    func testClientDisconnectCancelsTheRunningJob() async throws {
        let backend = GatedBackend()
        let server = try await start(backend)
        let client = Task { try await server.post(form) }
        XCTAssertTrue(backend.waitUntilRunning(), "the request never started")
        client.cancel()
        XCTAssertTrue(backend.waitUntilCancelled(), "the job did not see the disconnect")
        // The server goes on serving.
        backend.release()
        let (response, _) = try await server.post(form)
        XCTAssertEqual(response.status.code, 200)
    }

    func testClientDisconnectRemovesAWaitingJobFromTheQueue() async throws {
        let backend = GatedBackend()
        let server = try await start(backend) { $0.limits.queueCapacity = 1 }
        let running = Task { try await server.post(form) }
        XCTAssertTrue(backend.waitUntilRunning(), "the first request never started")
        let waiting = Task { try await server.post(form) }
        try await Task.sleep(for: .milliseconds(300))
        waiting.cancel()
        try await Task.sleep(for: .milliseconds(300))
        backend.release()
        let (response, _) = try await running.value
        XCTAssertEqual(response.status.code, 200)
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertEqual(backend.startedCount, 1, "the disconnected request still ran")
    }

    func testGracefulShutdownFinishesTheRunningJobThenExits() async throws {
        let backend = GatedBackend()
        let server = try await start(backend)
        let running = Task { try await server.post(form) }
        XCTAssertTrue(backend.waitUntilRunning(), "the request never started")
        await server.server.shutdownGracefully()
        try await Task.sleep(for: .milliseconds(200))
        backend.release()
        let (response, body) = try await running.value
        XCTAssertEqual(response.status.code, 200, body)
        try await server.waitForExit()
        XCTAssertEqual(connectionError(port: server.port), ECONNREFUSED, "the port still accepts connections")
    }
}
