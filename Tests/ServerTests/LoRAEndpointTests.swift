// LoRAs through the API: the LoRA fixtures (Tests/Fixtures/lora/root, made for the fixture model
// pipelines/models/sd1) served by id, giving exactly the images the pipeline gives with the same LoRA, and the
// runner's 400 when a LoRA does not fit the model.

import Foundation
import Images
import Pipelines
import Server
import TestSupport
import XCTest

final class LoRAEndpointTests: XCTestCase {
    private static let modelFolder = Fixtures.url("pipelines/models/sd1")
    private static let loraRoot = Fixtures.url("lora/root")
    private static var shared: TestServer?

    private func server() async throws -> TestServer {
        if let server = Self.shared { return server }
        let server = try await TestServer(configuration: ServerConfiguration(modelID: "test/sd1")) {
            try StableDiffusionBackend(location: ModelLocation(folder: Self.modelFolder), modelID: "test/sd1", rng: .cuda, safetyChecker: "none",
                                       store: ModelStore(root: Self.loraRoot.path))
        }
        Self.shared = server
        return server
    }

    override class func tearDown() {
        let server = shared
        shared = nil
        let done = DispatchSemaphore(value: 0)
        Task { await server?.stop(); done.signal() }
        done.wait()
    }

    private func form(loras: String) -> [MultipartField] {
        [.text("prompt", "a red fox"), ServerFixtures.imageField(), .text("num_inference_steps", "3"),
         .text("strength", "0.75"), .text("seed", "42"), .text("loras", loras)]
    }

    /// The pipeline's PNG for the same request.
    private func expectedPNG(loras: String) throws -> [UInt8] {
        let library = LoRALibrary(store: ModelStore(root: Self.loraRoot.path))
        let pipeline = try PipelineLoader.load(folder: Self.modelFolder, modelID: "test/sd1", loraLibrary: library)
        var request = GenerationRequest(prompt: "a red fox")
        request.numInferenceSteps = 3
        request.strength = 0.75
        request.seed = 42
        request.loras = loras
        var options = GenerationOptions()
        options.rng = .cuda
        let resolved = try RunnerContract.resolve(request, for: pipeline.profile)
        return try pipeline.generate(image: ImageDecoder.decode(ServerFixtures.inputPNG), request: resolved, options: options)[0]
            .pngData()
    }

    func testTwoLorasGiveThePipelinesImage() async throws {
        let (response, body) = try await server().post(form(loras: #"{"test/peft": 0.8, "test/kohya": 0.5}"#))
        XCTAssertEqual(response.status.code, 200, body)
        let served = try XCTUnwrap(try ImagesAnswer(body).png(0))
        let expected = try expectedPNG(loras: #"{"test/kohya": 0.5, "test/peft": 0.8}"#)
        XCTAssertTrue(served == expected, "the served PNG differs from the pipeline's with the same LoRAs")
        XCTAssertFalse(served == (try expectedPNG(loras: "")), "the LoRAs changed nothing")
    }

    func testLoraStrengthGivenAsAStringIsAccepted() async throws {
        let (response, body) = try await server().post(form(loras: #"{"test/peft": "0.8"}"#))
        XCTAssertEqual(response.status.code, 200, body)
        XCTAssertTrue(try XCTUnwrap(try ImagesAnswer(body).png(0)) == (try expectedPNG(loras: #"{"test/peft": 0.8}"#)))
    }

    func testEmptyLoraObjectIsTheBaseModel() async throws {
        let (response, body) = try await server().post(form(loras: "{}"))
        XCTAssertEqual(response.status.code, 200, body)
        XCTAssertTrue(try XCTUnwrap(try ImagesAnswer(body).png(0)) == (try expectedPNG(loras: "")))
    }
}
