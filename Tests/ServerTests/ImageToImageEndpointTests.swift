// POST /image-to-image over real HTTP on loopback against the bundled tiny model: successes (every field,
// defaults, several images, byte-identity with the pipeline), and each error with the runner's status and body
// as the runner (ai-runner 0.14.1, FastAPI 0.115.6, pydantic 2.7.2) answered the same request.

import AsyncHTTPClient
import Foundation
import Images
import Pipelines
import Server
import XCTest

final class ImageToImageEndpointTests: XCTestCase {
    /// One server for the whole class: loading the model once keeps the suite fast.
    private static var shared: TestServer?

    private func server() async throws -> TestServer {
        if let server = Self.shared { return server }
        let server = try await TestServer(configuration: ServerFixtures.configuration { $0.limits.maxUploadBytes = 64 * 1024 },
                                          makeBackend: ServerFixtures.bundledBackend)
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

    func testEveryFieldSetGivesOneImageWithTheSeed() async throws {
        let fields = ServerFixtures.quickForm([
            .text("model_id", ServerFixtures.modelID), .text("loras", ""), .text("guidance_scale", "3"),
            .text("image_guidance_scale", "1.2"), .text("negative_prompt", "blurry"), .text("safety_check", "false"),
            .text("num_images_per_prompt", "1"),
        ], seed: "1234")
        let (response, body) = try await server().post(fields)
        XCTAssertEqual(response.status.code, 200, body)
        XCTAssertEqual(response.headers.first(name: "content-type"), "application/json")
        let answer = try ImagesAnswer(body)
        XCTAssertEqual(answer.images.count, 1)
        XCTAssertEqual(answer.images[0].seed, 1234)
        XCTAssertFalse(answer.images[0].nsfw)
        let png = try XCTUnwrap(answer.png(0), "not a PNG data URL: \(answer.images[0].url.prefix(40))")
        let decoded = try ImageDecoder.decode(png)
        XCTAssertEqual([decoded.width, decoded.height], [32, 32])
    }

    func testDefaultsGiveARandomSeedBelowTwoToThe32() async throws {
        // Only the required fields (steps default to 100; strength 0.8 keeps 80 of them: still quick on this model).
        let (response, body) = try await server().post([.text("prompt", "a cat"), ServerFixtures.imageField()])
        XCTAssertEqual(response.status.code, 200, body)
        let answer = try ImagesAnswer(body)
        XCTAssertEqual(answer.images.count, 1)
        XCTAssertTrue((0...Int64(UInt32.max)).contains(answer.images[0].seed), "seed \(answer.images[0].seed)")
        XCTAssertFalse(answer.images[0].nsfw)
    }

    func testSeveralImagesHaveConsecutiveSeeds() async throws {
        let (response, body) = try await server().post(ServerFixtures.quickForm([.text("num_images_per_prompt", "3")], seed: "41"))
        XCTAssertEqual(response.status.code, 200, body)
        let answer = try ImagesAnswer(body)
        XCTAssertEqual(answer.images.map(\.seed), [41, 42, 43])
        XCTAssertNotEqual(answer.png(0), answer.png(1), "different seeds gave the same image")
    }

    func testResponseImageIsByteIdenticalToTheCLIsPNG() async throws {
        let (response, body) = try await server().post(ServerFixtures.quickForm([.text("guidance_scale", "4")], seed: "99"))
        XCTAssertEqual(response.status.code, 200, body)
        let answer = try ImagesAnswer(body)
        let served = try XCTUnwrap(answer.png(0))

        // What `img2img generate --steps 2 --strength 0.5 --guidance-scale 4 --seed 99 --rng cuda` computes: the
        // bundled model and its own safety checker, through the same service.
        let pipeline = try PipelineLoader.load(folder: ServerFixtures.modelFolder, modelID: ServerFixtures.modelID)
        let checker = try SafetyCheckerLocator.load(option: nil, modelFolder: ServerFixtures.modelFolder,
                                                    store: ModelStore(root: "/nonexistent"))
        let service = ImageToImageService(pipeline: pipeline, safetyChecker: checker)
        var request = GenerationRequest(prompt: "a red square")
        request.numInferenceSteps = 2
        request.strength = 0.5
        request.guidanceScale = 4
        request.seed = 99
        var options = GenerationOptions()
        options.rng = .cuda
        let expected = try service.run(image: ImageDecoder.decode(ServerFixtures.inputPNG), request: service.resolve(request),
                                       options: options)[0]
        let expectedPNG = try expected.image.pngData()
        XCTAssertEqual(served.count, expectedPNG.count, "PNG sizes differ")
        XCTAssertTrue(served == expectedPNG, "the served PNG differs from the CLI's")
        XCTAssertEqual(answer.images[0].nsfw, expected.nsfw, "the safety verdicts differ")
    }

    func testNegativeSeedIsEchoedAndWrapsLikeTorch() async throws {
        let (response, body) = try await server().post(ServerFixtures.quickForm([.text("num_images_per_prompt", "2")], seed: "-1"))
        XCTAssertEqual(response.status.code, 200, body)
        XCTAssertEqual(try ImagesAnswer(body).images.map(\.seed), [-1, 0])
    }

    func testZeroImagesGivesAnEmptyList() async throws {
        let (response, body) = try await server().post(ServerFixtures.quickForm([.text("num_images_per_prompt", "0")]))
        XCTAssertEqual(response.status.code, 200)
        XCTAssertEqual(body, #"{"images":[]}"#)
    }

    func testTrailingSlashIsServed() async throws {
        let (response, body) = try await server().post(ServerFixtures.quickForm(), path: "/image-to-image/")
        XCTAssertEqual(response.status.code, 200, body)
    }

    func testModelMismatchIs400WithTheRunnersMessage() async throws {
        let (response, body) = try await server().post(ServerFixtures.quickForm([.text("model_id", "other/model")]))
        XCTAssertEqual(response.status.code, 400)
        XCTAssertEqual(body, #"{"detail":{"msg":"pipeline configured with img2img/tiny-sd but called with other/model."}}"#)
    }

    func testMissingPromptIs422MissingField() async throws {
        let (response, body) = try await server().post([ServerFixtures.imageField()])
        XCTAssertEqual(response.status.code, 422)
        XCTAssertEqual(body, #"{"detail":[{"type":"missing","loc":["body","prompt"],"msg":"Field required","input":null}]}"#)
    }

    func testMissingImageIs422MissingField() async throws {
        let (response, body) = try await server().post([.text("prompt", "a cat")])
        XCTAssertEqual(response.status.code, 422)
        XCTAssertEqual(body, #"{"detail":[{"type":"missing","loc":["body","image"],"msg":"Field required","input":null}]}"#)
    }

    func testNonNumericStrengthIs422FloatParsing() async throws {
        let (response, body) = try await server().post(ServerFixtures.quickForm([.text("strength", "abc")]))
        XCTAssertEqual(response.status.code, 422)
        XCTAssertEqual(body, #"{"detail":[{"type":"float_parsing","loc":["body","strength"],"msg":"Input should be a valid number, unable to parse string as a number","input":"abc"}]}"#)
    }

    func testBadBooleanIs422BoolParsing() async throws {
        let (response, body) = try await server().post(ServerFixtures.quickForm([.text("safety_check", "maybe")]))
        XCTAssertEqual(response.status.code, 422)
        XCTAssertEqual(body, #"{"detail":[{"type":"bool_parsing","loc":["body","safety_check"],"msg":"Input should be a valid boolean, unable to interpret input","input":"maybe"}]}"#)
    }

    func testSeveralInvalidFieldsAreAllReportedInFieldOrder() async throws {
        let (response, body) = try await server().post([.text("strength", "x"), .text("seed", "1.5"), .text("prompt", "p")])
        XCTAssertEqual(response.status.code, 422)
        XCTAssertEqual(body, #"{"detail":[{"type":"missing","loc":["body","image"],"msg":"Field required","input":null},{"type":"float_parsing","loc":["body","strength"],"msg":"Input should be a valid number, unable to parse string as a number","input":"x"},{"type":"int_parsing","loc":["body","seed"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"1.5"}]}"#)
    }

    func testImageSentAsTextIs422ValueError() async throws {
        let (response, body) = try await server().post([.text("prompt", "p"), .text("image", "notafile")])
        XCTAssertEqual(response.status.code, 422)
        XCTAssertEqual(body, #"{"detail":[{"type":"value_error","loc":["body","image"],"msg":"Value error, Expected UploadFile, received: <class 'str'>","input":"notafile","ctx":{"error":{}}}]}"#)
    }

    func testStrengthAboveOneIs400WithDiffusersMessage() async throws {
        let (response, body) = try await server().post(ServerFixtures.quickForm([.text("strength", "1.5")]))
        XCTAssertEqual(response.status.code, 400)
        XCTAssertEqual(body, #"{"detail":{"msg":"Error during model execution: The value of strength should in [0.0, 1.0] but is 1.5."}}"#)
    }

    func testSeedBeyondTorchsRangeIs400() async throws {
        let (response, body) = try await server().post(ServerFixtures.quickForm(seed: "99999999999999999999"))
        XCTAssertEqual(response.status.code, 400)
        XCTAssertEqual(body, #"{"detail":{"msg":"Image-to-image pipeline error."}}"#)
    }

    func testUnparsableLorasIs400WithTheRunnersMessage() async throws {
        let (response, body) = try await server().post(ServerFixtures.quickForm([.text("loras", "{nope")]))
        XCTAssertEqual(response.status.code, 400)
        XCTAssertEqual(body, #"{"detail":{"msg":"Unable to parse '{nope' as JSON.."}}"#)
    }

    func testNegativeLoraStrengthIs400() async throws {
        let (response, body) = try await server().post(ServerFixtures.quickForm([.text("loras", #"{"a/b": -1}"#)]))
        XCTAssertEqual(response.status.code, 400)
        XCTAssertEqual(body, #"{"detail":{"msg":"All strengths must be numbers greater than or equal to 0.0.."}}"#)
    }

    func testFiveLorasIs400TooMany() async throws {
        let loras = #"{"a/a": 1, "a/b": 1, "a/c": 1, "a/d": 1, "a/e": 1}"#
        let (response, body) = try await server().post(ServerFixtures.quickForm([.text("loras", loras)]))
        XCTAssertEqual(response.status.code, 400)
        XCTAssertEqual(body, #"{"detail":{"msg":"Too many LoRas provided. Maximum is 4.."}}"#)
    }

    func testUnknownLoraIs400RepositoryNotFound() async throws {
        let (response, body) = try await server().post(ServerFixtures.quickForm([.text("loras", #"{"nerijs/pixel-art-xl": 1.2}"#)]))
        XCTAssertEqual(response.status.code, 400)
        XCTAssertEqual(body, #"{"detail":{"msg":"LoRa repository 'nerijs/pixel-art-xl' not found."}}"#)
    }

    func testLoraForAnotherModelIs400Incompatible() async throws {
        let (response, body) = try await server().post(ServerFixtures.quickForm([.text("loras", #"{"test/peft": 1}"#)]))
        XCTAssertEqual(response.status.code, 400)
        XCTAssertEqual(body, #"{"detail":{"msg":"LoRa incompatible with base model: 'img2img/tiny-sd'."}}"#)
    }

    func testLoraGivenAsAPathIsNotReadFromDisk() async throws {
        let path = ServerFixtures.modelFolder.path
        let (response, body) = try await server().post(ServerFixtures.quickForm([.text("loras", #"{"\#(path)": 1}"#)]))
        XCTAssertEqual(response.status.code, 400)
        XCTAssertTrue(body.hasPrefix(#"{"detail":{"msg":"Unable to load LoRas for adapter"#), body)
    }

    func testEmptyLoraObjectGenerates() async throws {
        let (response, body) = try await server().post(ServerFixtures.quickForm([.text("loras", "{}")]))
        XCTAssertEqual(response.status.code, 200, body)
    }

    func testCorruptImageIs400WithAMessage() async throws {
        let fields: [MultipartField] = [.text("prompt", "p"), ServerFixtures.imageField(Array("not an image".utf8))]
        let (response, body) = try await server().post(fields)
        XCTAssertEqual(response.status.code, 400)
        XCTAssertTrue(body.hasPrefix(#"{"detail":{"msg":"Could not read the uploaded image: unrecognised image format"#), body)
    }

    func testOversizeUploadIs400() async throws {
        // The class's server accepts images of at most 64 KiB; this one is 100 KiB.
        let big = ServerFixtures.inputPNG + [UInt8](repeating: 0, count: 100 * 1024)
        let (response, body) = try await server().post([.text("prompt", "p"), ServerFixtures.imageField(big)])
        XCTAssertEqual(response.status.code, 400)
        XCTAssertTrue(body.contains("this server accepts at most 65536"), body)
    }

    func testStepsAboveTheLimitIs400() async throws {
        let (response, body) = try await server().post(ServerFixtures.quickForm([.text("num_inference_steps", "5000")]))
        XCTAssertEqual(response.status.code, 400)
        XCTAssertTrue(body.contains("allows at most 1000 (--max-steps)"), body)
    }

    func testPromptsAboveTheLengthLimitAre400() async throws {
        let long = String(repeating: "fox", count: 4_000)  // 12,000 characters, one word
        let forms: [(String, [MultipartField])] = [
            ("prompt", [.text("prompt", long), ServerFixtures.imageField(), .text("num_inference_steps", "2")]),
            ("negative_prompt", ServerFixtures.quickForm([.text("negative_prompt", long)])),
        ]
        for (field, form) in forms {
            let (response, body) = try await server().post(form)
            XCTAssertEqual(response.status.code, 400)
            XCTAssertTrue(body.contains("\(field) is 12000 characters; this server accepts at most 10000 (--max-prompt-chars)"),
                          body)
        }
    }

    func testRequestsAboveTheWorkLimitAre400NamingTheEstimate() async throws {
        let server = try await TestServer(configuration: ServerFixtures.configuration { $0.limits.maxRequestTeraFLOPs = 0.002 },
                                          makeBackend: ServerFixtures.bundledBackend)
        addTeardownBlock { await server.stop() }
        let (small, smallBody) = try await server.post(ServerFixtures.quickForm())
        XCTAssertEqual(small.status.code, 200, smallBody)
        let heavy = ServerFixtures.quickForm([.text("num_images_per_prompt", "16")])
            .map { field -> MultipartField in
                if case .text("num_inference_steps", _) = field { return .text("num_inference_steps", "200") }
                return field
            }
        let (response, body) = try await server.post(heavy)
        XCTAssertEqual(response.status.code, 400, body)
        XCTAssertTrue(body.contains("TFLOP (1616 UNet calls of 2 batch rows on 4×4 latents, and the VAE); this server accepts "
                                    + "at most 0.002 TFLOP per request (--max-request-tflops)."), body)
    }

    func testRequestsAboveTheMemoryLimitAre400NamingTheEstimate() async throws {
        let backend = try ServerFixtures.bundledBackend()
        let memory = try XCTUnwrap(backend.memoryEstimate)
        let request = PipelineRequest(prompt: "p", strength: 0.5, guidanceScale: 7.5, steps: 2, seed: 7)
        func peak(_ side: Int) throws -> Int {
            memory.peakBytes(try XCTUnwrap(try backend.plan(request, imageWidth: side, imageHeight: side)))
        }
        let (small, large) = (try peak(32), try peak(512))
        XCTAssertLessThan(small, large)
        let limit = Double(small + large) / 2 / 1e9
        let server = try await TestServer(configuration: ServerFixtures.configuration { $0.limits.maxRequestGigabytes = limit },
                                          makeBackend: { backend })
        addTeardownBlock { await server.stop() }
        let (accepted, acceptedBody) = try await server.post(ServerFixtures.quickForm())
        XCTAssertEqual(accepted.status.code, 200, acceptedBody)
        let pixels = (0..<(512 * 512 * 3)).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let png = try RGBImage(width: 512, height: 512, pixels: pixels).pngData()
        let form = ServerFixtures.quickForm().map { field -> MultipartField in
            if case .file = field { return ServerFixtures.imageField(png) }
            return field
        }
        let (response, body) = try await server.post(form)
        XCTAssertEqual(response.status.code, 400, body)
        XCTAssertTrue(body.contains("This request would need about \(String(format: "%.3g", Double(large) / 1e9)) GB of memory "
                                    + "at its peak (the "), body)
        XCTAssertTrue(body.contains("on 64×64 latents, 2 batch rows); this server admits at most "
                                    + "\(String(format: "%.3g", limit)) GB per request (--max-request-gb)."), body)
    }
}
