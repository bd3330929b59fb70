// The playground's routes over real HTTP: the page and its assets at / and /ui (self-contained: nothing from
// elsewhere), its configuration route, and the job events — behind the bearer token, streamed live or replayed,
// ended with the request's status or, for an id no request used, with none — while the header that names a job
// leaves the answer of POST /image-to-image byte for byte as it is.

import AsyncHTTPClient
import Foundation
import Images
import NIOCore
import Pipelines
import Server
import XCTest

final class PlaygroundTests: XCTestCase {
    private func start(_ backend: @escaping @Sendable () throws -> any ImageGenerationBackend,
                       modelID: String = ServerFixtures.modelID,
                       _ adjust: (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestServer {
        var configuration = ServerConfiguration(modelID: modelID)
        adjust(&configuration)
        let server = try await TestServer(configuration: configuration, makeBackend: backend)
        addTeardownBlock { await server.stop() }
        return server
    }

    private func startGated(_ adjust: (inout ServerConfiguration) -> Void = { _ in }) async throws -> (TestServer, GatedBackend) {
        let backend = GatedBackend()
        return (try await start({ backend }, modelID: backend.modelID, adjust), backend)
    }

    // MARK: The page

    func testPageIsServedAtRootAndUIWithItsAssets() async throws {
        let (server, _) = try await startGated()
        let (root, page) = try await server.get("/")
        XCTAssertEqual(root.status.code, 200)
        XCTAssertEqual(root.headers.first(name: "content-type"), "text/html; charset=utf-8")
        XCTAssertTrue(root.headers.first(name: "content-security-policy")?.contains("script-src 'self'") == true)
        let (ui, alias) = try await server.get("/ui")
        XCTAssertEqual(ui.status.code, 200)
        XCTAssertEqual(alias, page)
        // Every asset the page names is served with its type.
        let assets = page.matches(of: #/(?:src|href)="(/ui/[^"]+)"/#).map { String($0.output.1) }
        XCTAssertEqual(Set(assets), ["/ui/playground.css", "/ui/playground.js"])
        for (path, type) in [("/ui/playground.css", "text/css"), ("/ui/playground.js", "text/javascript")] {
            let (response, body) = try await server.get(path)
            XCTAssertEqual(response.status.code, 200, path)
            XCTAssertEqual(response.headers.first(name: "content-type"), "\(type); charset=utf-8", path)
            XCTAssertFalse(body.isEmpty, path)
        }
    }

    func testPageLoadsNothingFromElsewhere() async throws {
        let (server, _) = try await startGated()
        for path in ["/", "/ui/playground.css", "/ui/playground.js"] {
            let (_, body) = try await server.get(path)
            XCTAssertNil(body.firstMatch(of: #/https?://|//[a-z0-9.-]+\.[a-z]{2,}//#), "\(path) names another host")
        }
    }

    func testEveryDocumentedExtensionIsServed() async throws {
        let (server, _) = try await startGated { $0.jobs.unclaimedLifetime = .milliseconds(100) }
        for route in OpenAPIDocumentTests.extensionRoutes {
            let (response, body) = try await server.get(route.replacingOccurrences(of: "{id}", with: newJobID()))
            XCTAssertEqual(response.status.code, 200, "\(route): \(body.prefix(200))")
        }
    }

    func testConfigurationStatesTheModelLimitsAndAuthWithoutAToken() async throws {
        let server = try await start(ServerFixtures.bundledBackend) {
            $0.authToken = "secret"
            $0.limits.maxSteps = 77
            $0.limits.maxImages = 3
            $0.limits.maxUploadBytes = 12345
        }
        let (response, body) = try await server.get("/x/playground")
        XCTAssertEqual(response.status.code, 200, body)
        let config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        XCTAssertEqual(config["model_id"] as? String, ServerFixtures.modelID)
        XCTAssertEqual(config["auth_required"] as? Bool, true)
        XCTAssertEqual(config["health"] as? String, "OK")
        XCTAssertEqual(config["job_header"] as? String, "X-Img2img-Job")
        XCTAssertEqual(config["events_path"] as? String, "/x/jobs/{id}/events")
        let limits = try XCTUnwrap(config["limits"] as? [String: Any])
        XCTAssertEqual(limits["max_steps"] as? Int, 77)
        XCTAssertEqual(limits["max_images"] as? Int, 3)
        XCTAssertEqual(limits["max_upload_bytes"] as? Int, 12345)
        XCTAssertEqual(limits["max_loras"] as? Int, LoRASelection.limit)
        let model = try XCTUnwrap(config["model"] as? [String: Any])
        XCTAssertEqual(model["default_steps"] as? Int, 50)
        XCTAssertEqual(model["reads_strength"] as? Bool, true)
        XCTAssertEqual(model["reads_image_guidance_scale"] as? Bool, false)
        XCTAssertEqual(model["previews"] as? String, "projection")
        XCTAssertFalse(body.contains("secret"))
    }

    // MARK: Job events

    func testEventsNeedTheBearerToken() async throws {
        let (server, _) = try await startGated {
            $0.authToken = "secret"
            $0.jobs.unclaimedLifetime = .milliseconds(100)
        }
        let refused = try await EventStream.read(from: server, id: newJobID())
        XCTAssertEqual(refused.status, 401)
        XCTAssertEqual(refused.body, #"{"detail":{"msg":"Invalid bearer token."}}"#)
        let wrong = try await EventStream.read(from: server, id: newJobID(), token: "guess")
        XCTAssertEqual(wrong.status, 401)
        let accepted = try await EventStream.read(from: server, id: newJobID(), token: "secret")
        XCTAssertEqual(accepted.status, 200)
        XCTAssertEqual(accepted.contentType, "text/event-stream; charset=utf-8")
    }

    func testABackendWithoutPreviewsSaysSo() async throws {
        let (server, _) = try await startGated()
        let (_, body) = try await server.get("/x/playground")
        let config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        let model = try XCTUnwrap(config["model"] as? [String: Any])
        XCTAssertTrue(model["previews"] is NSNull, body)
    }

    func testAnInvalidIDIsRefused() async throws {
        let (server, _) = try await startGated()
        for id in ["short", String(repeating: "a", count: 65), "has.dot-in-it"] {
            let stream = try await EventStream.read(from: server, id: id)
            XCTAssertEqual(stream.status, 400, id)
            XCTAssertTrue(stream.body.contains("A job id is 8 to 64 characters"), stream.body)
        }
    }

    func testAnIDNoRequestUsesEndsWithoutAStatus() async throws {
        let (server, _) = try await startGated { $0.jobs.unclaimedLifetime = .milliseconds(200) }
        let stream = try await EventStream.read(from: server, id: newJobID())
        XCTAssertEqual(stream.names, ["end"])
        XCTAssertTrue(stream.first("end")?["status"] is NSNull)
        XCTAssertEqual(stream.first("end")?["message"] as? String, "No request named this job within 0.2 s.")
    }

    func testAWaitingStreamGetsKeepAlives() async throws {
        let (server, _) = try await startGated {
            $0.jobs.unclaimedLifetime = .milliseconds(700)
            $0.jobs.keepAliveInterval = .milliseconds(200)
        }
        let stream = try await EventStream.read(from: server, id: newJobID())
        XCTAssertGreaterThanOrEqual(stream.keepAlives, 2)
        XCTAssertEqual(stream.names, ["end"])
    }

    func testWatchedRunStreamsPlanStepsTraceAndEnd() async throws {
        let server = try await start(ServerFixtures.bundledBackend)
        let id = newJobID()
        async let watched = EventStream.read(from: server, id: id)
        try await Task.sleep(for: .milliseconds(100))  // the stream first: this test is about live events
        let form = ServerFixtures.quickForm([.text("num_inference_steps", "8")])
        let (response, body) = try await server.post(form, headers: [("X-Img2img-Job", id)])
        XCTAssertEqual(response.status.code, 200, body)
        let stream = try await watched
        XCTAssertEqual(stream.status, 200)
        XCTAssertEqual(Array(stream.names.prefix(3)), ["plan", "queued", "started"])
        XCTAssertEqual(stream.names.last, "end")
        XCTAssertEqual(stream.first("end")?["status"] as? Int, 200)

        let plan = try XCTUnwrap(stream.first("plan"))
        let accounting = try XCTUnwrap(plan["accounting"] as? String)
        XCTAssertTrue(accounting.hasPrefix("strength 0.5 × 8 steps → 4 steps"), accounting)
        let calls = try XCTUnwrap(plan["unet_calls_per_image"] as? Int)
        let steps = stream.all("step")
        XCTAssertEqual(steps.map { $0["index"] as? Int }, (0..<calls).map { $0 })
        XCTAssertEqual(Set(steps.map { $0["count"] as? Int }), [calls])
        let elapsed = steps.compactMap { $0["elapsed"] as? Double }
        XCTAssertEqual(elapsed, elapsed.sorted())

        // One preview a step: the projection's, latent-sized (the 32×32 input has 4×4 latents), as a PNG data URL.
        let previews = stream.all("preview")
        XCTAssertEqual(previews.map { $0["index"] as? Int }, (0..<calls).map { $0 })
        let prefix = "data:image/png;base64,"
        for preview in previews {
            let url = try XCTUnwrap(preview["url"] as? String)
            XCTAssertTrue(url.hasPrefix(prefix), String(url.prefix(40)))
            let png = try XCTUnwrap(Data(base64Encoded: String(url.dropFirst(prefix.count))))
            let image = try ImageDecoder.decode([UInt8](png))
            XCTAssertEqual([image.width, image.height], [4, 4])
        }

        let trace = try XCTUnwrap(stream.first("trace")?["entries"] as? [[String: Any]])
        let stages = trace.compactMap { $0["stage"] as? String }
        XCTAssertEqual(stages.filter { $0.hasPrefix("unet") }.count, calls, "\(stages)")
        XCTAssertTrue(stages.contains("vae.decode"), "\(stages)")
    }

    func testTheJobHeaderLeavesTheAnswerByteForByte() async throws {
        let server = try await start(ServerFixtures.bundledBackend)
        let form = ServerFixtures.quickForm(seed: "99")
        let (plain, plainBody) = try await server.post(form)
        let (watched, watchedBody) = try await server.post(form, headers: [("X-Img2img-Job", newJobID())])
        XCTAssertEqual(plain.status.code, 200, plainBody)
        XCTAssertEqual(watchedBody, plainBody)
        XCTAssertEqual(Self.headers(watched), Self.headers(plain))
        // A job header on a refused request changes nothing either.
        let bad = [ServerFixtures.imageField(Array("not an image".utf8)), .text("prompt", "x")]
        let (refused, refusedBody) = try await server.post(bad)
        let (refusedWatched, refusedWatchedBody) = try await server.post(bad, headers: [("X-Img2img-Job", newJobID())])
        XCTAssertEqual(refused.status.code, 400)
        XCTAssertEqual(refusedWatched.status.code, 400)
        XCTAssertEqual(refusedWatchedBody, refusedBody)
    }

    /// Response headers without the date.
    private static func headers(_ response: HTTPClientResponse) -> [String] {
        response.headers.filter { $0.name.lowercased() != "date" }.map { "\($0.name.lowercased()): \($0.value)" }.sorted()
    }

    func testALateStreamReplaysWhatItMissedWithoutSupersededSteps() async throws {
        let server = try await start(ServerFixtures.bundledBackend)
        let id = newJobID()
        let (response, body) = try await server.post(ServerFixtures.quickForm([.text("num_inference_steps", "10")]),
                                                     headers: [("X-Img2img-Job", id)])
        XCTAssertEqual(response.status.code, 200, body)
        let stream = try await EventStream.read(from: server, id: id)
        XCTAssertEqual(stream.names.filter { $0 != "preview" }, ["plan", "queued", "started", "step", "trace", "end"])
        let calls = try XCTUnwrap(stream.first("plan")?["unet_calls_per_image"] as? Int)
        XCTAssertEqual(stream.first("step")?["index"] as? Int, calls - 1, "the latest step only")
        XCTAssertLessThanOrEqual(stream.all("preview").count, 1, "the latest preview only")
    }

    func testARefusedRequestEndsItsJobWithItsStatus() async throws {
        let server = try await start(ServerFixtures.bundledBackend)
        let id = newJobID()
        async let watched = EventStream.read(from: server, id: id)
        let (response, _) = try await server.post([ServerFixtures.imageField(Array("not an image".utf8)), .text("prompt", "x")],
                                                  headers: [("X-Img2img-Job", id)])
        XCTAssertEqual(response.status.code, 400)
        let stream = try await watched
        XCTAssertEqual(stream.names, ["end"])
        XCTAssertEqual(stream.first("end")?["status"] as? Int, 400)
    }

    func testAStreamOpenedWhileTheJobWaitsSeesItRunAndEnd() async throws {
        let (server, backend) = try await startGated()
        let id = newJobID()
        async let posted = server.post(ServerFixtures.quickForm(), headers: [("X-Img2img-Job", id)])
        XCTAssertTrue(backend.waitUntilRunning())
        async let watched = EventStream.read(from: server, id: id)
        try await Task.sleep(for: .milliseconds(200))
        backend.release()
        let (response, _) = try await posted
        XCTAssertEqual(response.status.code, 200)
        let stream = try await watched
        // The gated backend knows no plan and reports no steps: queue, start and end.
        XCTAssertEqual(stream.names, ["queued", "started", "end"])
        XCTAssertEqual(stream.first("end")?["status"] as? Int, 200)
    }

    func testAnIDIsTakenByOneRequestOnly() async throws {
        let (server, backend) = try await startGated()
        backend.release()
        let id = newJobID()
        for _ in 0..<2 {
            let (response, _) = try await server.post(ServerFixtures.quickForm(), headers: [("X-Img2img-Job", id)])
            XCTAssertEqual(response.status.code, 200)
        }
        let stream = try await EventStream.read(from: server, id: id)
        XCTAssertEqual(stream.all("end").count, 1)
        XCTAssertEqual(stream.all("started").count, 1)
    }

    func testTheBoardAndEachJobAreBounded() async throws {
        let (server, _) = try await startGated {
            $0.jobs.capacity = 1
            $0.jobs.streamsPerJob = 1
            $0.jobs.unclaimedLifetime = .seconds(2)
        }
        let id = newJobID()
        async let first = EventStream.read(from: server, id: id)
        try await Task.sleep(for: .milliseconds(200))
        let sameJob = try await EventStream.read(from: server, id: id)
        XCTAssertEqual(sameJob.status, 503)
        XCTAssertTrue(sameJob.body.contains("already has 1 event streams open"), sameJob.body)
        let otherJob = try await EventStream.read(from: server, id: newJobID())
        XCTAssertEqual(otherJob.status, 503)
        XCTAssertTrue(otherJob.body.contains("at most 1 jobs at once"), otherJob.body)
        _ = try await first
    }
}
