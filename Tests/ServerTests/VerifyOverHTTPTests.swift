// `img2img verify`'s core over real HTTP, our own server standing in for the runner: the same settings pass
// with identical images; a server that runs another scheduler, or a LoRA the request did not ask for, fails
// with a report; a runner that refuses (401, 400) or cannot be reached ends in exit status 2 with its message;
// saved responses (--offline) and the report directory.

import Foundation
import Images
import Pipelines
import Server
import TestSupport
import Verification
import XCTest

final class VerifyOverHTTPTests: XCTestCase {
    private var servers: [TestServer] = []

    override func tearDown() async throws {
        for server in servers { await server.stop() }
        servers = []
    }

    /// A server on the bundled model whose backend first applies `perturb` to every request it runs.
    private func runner(token: String? = nil,
                        perturb: @escaping @Sendable (inout PipelineRequest) -> Void = { _ in }) async throws -> TestServer {
        let server = try await TestServer(configuration: ServerFixtures.configuration { $0.authToken = token }) {
            PerturbedBackend(base: try ServerFixtures.bundledBackend(), perturb: perturb)
        }
        servers.append(server)
        return server
    }

    /// Our engine on the bundled model with the CUDA generator, as `img2img verify` loads it.
    private func verifier(minPSNR: Double = Verifier.defaultMinPSNR) throws -> Verifier {
        Verifier(backend: try StableDiffusionBackend(location: ModelLocation(folder: ServerFixtures.modelFolder),
                                                     modelID: ServerFixtures.modelID, rng: .cuda, safetyChecker: "none",
                                                     store: ModelStore(root: Fixtures.url("lora/root").path)),
                 minPSNR: minPSNR)
    }

    /// 2 steps at strength 0.5 on the 32×32 gradient, `images` images, seed `seed` (nil: the runner draws one).
    private func request(seed: Int128? = 7, images: Int = 1, strength: Double = 0.5) -> RunnerRequest {
        var fields = GenerationRequest(prompt: "a red square")
        fields.numInferenceSteps = 2
        fields.strength = strength
        fields.seed = seed
        fields.numImagesPerPrompt = images
        return RunnerRequest(fields: fields, imageBytes: ServerFixtures.inputPNG, imageFilename: "in.png")
    }

    private func client(_ server: TestServer, token: String? = nil) throws -> RunnerClient {
        try RunnerClient(url: "http://127.0.0.1:\(server.port)", token: token, timeout: .seconds(60))
    }

    func testSameSettingsPassWithIdenticalImages() async throws {
        let server = try await runner()
        let outcome = await VerificationSession.run(request(images: 2), source: .runner(try client(server)),
                                                    verifier: try verifier())
        XCTAssertEqual(outcome.exitStatus, 0, "\(outcome.messages) \(outcome.lines)")
        XCTAssertEqual(outcome.lines, [
            "image 0: seed 7, PSNR inf dB, SSIM 1.0000, max |diff| 0, mean |diff| 0.000",
            "image 1: seed 8, PSNR inf dB, SSIM 1.0000, max |diff| 0, mean |diff| 0.000",
            "PASS: 2 of 2 images at or above 30.00 dB PSNR (--min-psnr)",
        ])
        XCTAssertTrue(outcome.messages.contains { $0.hasPrefix("ours: denoising strength 0.5 × 2 steps") },
                      "\(outcome.messages)")
    }

    func testARunnersDrawnSeedIsTheOneRunHere() async throws {
        let server = try await runner()
        let outcome = await VerificationSession.run(request(seed: nil, images: 2), source: .runner(try client(server)),
                                                    verifier: try verifier())
        XCTAssertEqual(outcome.exitStatus, 0, "\(outcome.messages) \(outcome.lines)")
        let seeds = try XCTUnwrap(outcome.report).images.map(\.runner.seed)
        XCTAssertEqual(seeds.count, 2)
        XCTAssertEqual(seeds[1], seeds[0] + 1)
        XCTAssertTrue(outcome.lines[0].hasPrefix("image 0: seed \(seeds[0]), PSNR inf dB"), outcome.lines[0])
    }

    func testAnotherSchedulerOnTheRunnerFailsWithAReport() async throws {
        let server = try await runner { $0.schedulerClass = "EulerDiscreteScheduler" }
        let outcome = await VerificationSession.run(request(), source: .runner(try client(server)), verifier: try verifier())
        XCTAssertEqual(outcome.exitStatus, 1, "\(outcome.messages) \(outcome.lines)")
        let verdict = try XCTUnwrap(try XCTUnwrap(outcome.report).images.first)
        XCTAssertLessThan(verdict.comparison.psnr, Verifier.defaultMinPSNR)
        XCTAssertGreaterThan(verdict.comparison.maxAbsDifference, 0)
        XCTAssertEqual(outcome.lines.count, 2)
        XCTAssertTrue(outcome.lines[1].hasPrefix("FAIL: 1 of 1 images below 30.00 dB PSNR (--min-psnr): image 0 at "),
                      outcome.lines[1])
        XCTAssertTrue(outcome.messages.contains { $0.hasPrefix("hint: ") }, "\(outcome.messages)")
    }

    func testALoRATheRequestDidNotAskForFails() async throws {
        // The LoRA fixtures fit the fixture model sd1, served here with one added to every request.
        let modelFolder = Fixtures.url("pipelines/models/sd1")
        let store = ModelStore(root: Fixtures.url("lora/root").path)
        @Sendable func backend() throws -> StableDiffusionBackend {
            try StableDiffusionBackend(location: ModelLocation(folder: modelFolder), modelID: "test/sd1", rng: .cuda,
                                       safetyChecker: "none", store: store)
        }
        let server = try await TestServer(configuration: ServerConfiguration(modelID: "test/sd1")) {
            PerturbedBackend(base: try backend()) { $0.loras = ["test/peft": 0.8] }
        }
        servers.append(server)
        var sent = request(strength: 0.75)
        sent.fields.numInferenceSteps = 3
        let outcome = await VerificationSession.run(sent, source: .runner(try client(server)),
                                                    verifier: Verifier(backend: try backend()))
        XCTAssertEqual(outcome.exitStatus, 1, "\(outcome.messages) \(outcome.lines)")
        XCTAssertTrue(outcome.lines.last?.hasPrefix("FAIL: 1 of 1 images") == true, "\(outcome.lines)")
    }

    func testAWrongTokenEndsWithStatus2AndTheRunnersMessage() async throws {
        let server = try await runner(token: "secret")
        let outcome = await VerificationSession.run(request(), source: .runner(try client(server, token: "wrong")),
                                                    verifier: try verifier())
        XCTAssertEqual(outcome.exitStatus, 2)
        XCTAssertEqual(outcome.lines, [])
        XCTAssertEqual(outcome.messages, ["error: the runner answered 401: Invalid bearer token."])
    }

    func testTheRightTokenIsSent() async throws {
        let server = try await runner(token: "secret")
        let outcome = await VerificationSession.run(request(), source: .runner(try client(server, token: "secret")),
                                                    verifier: try verifier())
        XCTAssertEqual(outcome.exitStatus, 0, "\(outcome.messages)")
    }

    func testABadRequestEndsWithStatus2AndTheRunnersMessage() async throws {
        let server = try await runner()
        let outcome = await VerificationSession.run(request(strength: 1.5), source: .runner(try client(server)),
                                                    verifier: try verifier())
        XCTAssertEqual(outcome.exitStatus, 2)
        XCTAssertEqual(outcome.messages, ["error: the runner answered 400: Error during model execution: "
                                          + "The value of strength should in [0.0, 1.0] but is 1.5."])
    }

    func testAnotherModelIDIsRefusedByTheRunner() async throws {
        let server = try await runner()
        var sent = request()
        sent.modelID = "stabilityai/sd-turbo"
        let outcome = await VerificationSession.run(sent, source: .runner(try client(server)), verifier: try verifier())
        XCTAssertEqual(outcome.exitStatus, 2)
        XCTAssertEqual(outcome.messages, ["error: the runner answered 400: pipeline configured with img2img/tiny-sd "
                                          + "but called with stabilityai/sd-turbo."])
    }

    func testAnUnreachableRunnerEndsWithStatus2() async throws {
        let server = try await runner()
        let port = server.port
        await server.stop()
        servers = []
        let client = try RunnerClient(url: "http://127.0.0.1:\(port)/", timeout: .seconds(3))
        XCTAssertEqual(client.endpoint, "http://127.0.0.1:\(port)/image-to-image")
        let outcome = await VerificationSession.run(request(), source: .runner(client), verifier: try verifier())
        XCTAssertEqual(outcome.exitStatus, 2)
        XCTAssertTrue(outcome.messages.first?.hasPrefix("error: could not reach the runner at http://127.0.0.1:\(port)/image-to-image: ")
                      == true, "\(outcome.messages)")
    }

    func testARunnerURLMustBeHTTP() {
        XCTAssertThrowsError(try RunnerClient(url: "gpu-node:8000")) { error in
            XCTAssertEqual(error as? VerificationError, .invalidRunnerURL("gpu-node:8000"))
        }
    }

    // MARK: - Saved responses (--offline)

    /// The server's raw answer to `sent`, saved to a file as `curl … > response.json` would.
    private func savedResponse(_ sent: RunnerRequest, from server: TestServer) async throws -> URL {
        let fields: [MultipartField] = sent.textFields.map { .text($0.name, $0.value) } + [ServerFixtures.imageField()]
        let (response, body) = try await server.post(fields)
        XCTAssertEqual(response.status.code, 200, body)
        return try write(body)
    }

    private func write(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("verify-\(UUID().uuidString).json")
        try Data(text.utf8).write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testASavedResponsePasses() async throws {
        let sent = request(images: 2)
        let saved = try await savedResponse(sent, from: try await runner())
        let outcome = await VerificationSession.run(sent, source: .saved(path: saved.path), verifier: try verifier())
        XCTAssertEqual(outcome.exitStatus, 0, "\(outcome.messages)")
        XCTAssertEqual(outcome.lines.last, "PASS: 2 of 2 images at or above 30.00 dB PSNR (--min-psnr)")
    }

    func testASavedResponseOfAnotherSeedFails() async throws {
        // The answer for seed 8 presented as the answer for seed 7 (its seed field rewritten).
        let saved = try await savedResponse(request(seed: 8), from: try await runner())
        let text = try String(contentsOf: saved, encoding: .utf8).replacingOccurrences(of: #""seed":8"#, with: #""seed":7"#)
        let outcome = await VerificationSession.run(request(seed: 7), source: .saved(path: try write(text).path),
                                                    verifier: try verifier())
        XCTAssertEqual(outcome.exitStatus, 1, "\(outcome.messages)")
        let psnr = try XCTUnwrap(outcome.report?.images.first?.comparison.psnr)
        XCTAssertLessThan(psnr, VerificationReport.unrelatedBelow, "two seeds' images should differ like different pictures")
    }

    func testTooFewImagesEndWithStatus2() async throws {
        let saved = try await savedResponse(request(images: 1), from: try await runner())
        let outcome = await VerificationSession.run(request(images: 2), source: .saved(path: saved.path),
                                                    verifier: try verifier())
        XCTAssertEqual(outcome.exitStatus, 2)
        XCTAssertEqual(outcome.messages, ["error: the request asked for 2 image(s) but the runner returned 1"])
    }

    func testAnUndecodableImageEndsWithStatus2() async throws {
        let saved = try write(#"{"images":[{"url":"data:image/png;base64,iVBORw0KGgo=","seed":7,"nsfw":false}]}"#)
        let outcome = await VerificationSession.run(request(), source: .saved(path: saved.path), verifier: try verifier())
        XCTAssertEqual(outcome.exitStatus, 2)
        XCTAssertTrue(outcome.messages.first?.hasPrefix("error: image 0 of the runner's answer cannot be read: ") == true,
                      "\(outcome.messages)")
    }

    func testASeedOtherThanTheRequestsEndsWithStatus2() async throws {
        let saved = try await savedResponse(request(seed: 8), from: try await runner())
        let outcome = await VerificationSession.run(request(seed: 7), source: .saved(path: saved.path),
                                                    verifier: try verifier())
        XCTAssertEqual(outcome.exitStatus, 2)
        XCTAssertEqual(outcome.messages, ["error: image 0 came back with seed 8, but the request implies 7 "
                                          + "(the runner gives image i the seed seed + i)"])
    }

    func testASavedErrorIsNotAnAnswer() async throws {
        let saved = try write(#"{"detail":{"msg":"Invalid bearer token."}}"#)
        let outcome = await VerificationSession.run(request(), source: .saved(path: saved.path), verifier: try verifier())
        XCTAssertEqual(outcome.exitStatus, 2)
        XCTAssertTrue(outcome.messages.first?.contains("no \"images\" at the top level") == true, "\(outcome.messages)")
    }

    // MARK: - The report directory

    func testTheReportHoldsBothImagesTheHeatMapAndTheSummary() async throws {
        let server = try await runner { $0.schedulerClass = "EulerDiscreteScheduler" }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verify-report-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let outcome = await VerificationSession.run(request(), source: .runner(try client(server)), verifier: try verifier(),
                                                    reportDirectory: directory, context: ["model": "tiny"])
        XCTAssertEqual(outcome.exitStatus, 1, "\(outcome.messages)")
        let verdict = try XCTUnwrap(outcome.report?.images.first)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(),
                       ["diff-0.png", "ours-0.png", "runner-0.png", "summary.json"])
        XCTAssertEqual([UInt8](try Data(contentsOf: directory.appendingPathComponent("runner-0.png"))), verdict.runner.encoded)
        let ours = try ImageDecoder.decode(Data(contentsOf: directory.appendingPathComponent("ours-0.png")))
        XCTAssertEqual(ours, verdict.ours)
        let heatMap = try ImageDecoder.decode(Data(contentsOf: directory.appendingPathComponent("diff-0.png")))
        XCTAssertEqual(heatMap, try DifferenceHeatMap.render(verdict.runner.image, verdict.ours))
        XCTAssertTrue(heatMap.pixels.contains(255), "the largest difference is drawn at full scale")

        let summary = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: directory.appendingPathComponent("summary.json"))) as? [String: Any])
        XCTAssertEqual(summary["passed"] as? Bool, false)
        XCTAssertEqual(summary["min_psnr"] as? Double, Verifier.defaultMinPSNR)
        XCTAssertEqual(summary["verdict"] as? String, outcome.lines.last)
        let context = try XCTUnwrap(summary["context"] as? [String: String])
        XCTAssertEqual(context["model"], "tiny")
        XCTAssertEqual(context["runner"], "http://127.0.0.1:\(server.port)/image-to-image")
        let image = try XCTUnwrap((summary["images"] as? [[String: Any]])?.first)
        XCTAssertEqual(image["seed"] as? String, "7")
        XCTAssertEqual(try XCTUnwrap(image["psnr"] as? Double), verdict.comparison.psnr, accuracy: 1e-9)
        XCTAssertEqual(image["max_abs_diff"] as? Int, verdict.comparison.maxAbsDifference)
        XCTAssertEqual(image["identical"] as? Bool, false)
        XCTAssertEqual(image["heat_map"] as? String, "diff-0.png")
    }
}

/// A backend that changes every request before running it: a runner misconfigured in a known way.
private final class PerturbedBackend: ImageGenerationBackend, @unchecked Sendable {
    private let base: any ImageGenerationBackend
    private let perturb: @Sendable (inout PipelineRequest) -> Void

    init(base: any ImageGenerationBackend, perturb: @escaping @Sendable (inout PipelineRequest) -> Void) {
        self.base = base
        self.perturb = perturb
    }

    var profile: PipelineProfile { base.profile }

    func generate(image: RGBImage, request: PipelineRequest, watcher: (any GenerationWatcher)?,
                  shouldContinue: @escaping @Sendable () -> Bool) throws -> [GeneratedImage] {
        var changed = request
        perturb(&changed)
        return try base.generate(image: image, request: changed, watcher: watcher, shouldContinue: shouldContinue)
    }
}
