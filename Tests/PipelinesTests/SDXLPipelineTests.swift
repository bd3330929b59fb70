import Foundation
import Images
import Models
import Pipelines
import Tensors
import TestSupport
import XCTest

extension XCTestCase {
    /// Runs SDXL fixture case `name` (its LoRAs applied as `loras` says) and compares the UNet's conditioning, the
    /// final latents and the image.
    func checkSDXL(_ name: String, loras: LoRAApplication = .merged, file: StaticString = #filePath,
                   line: UInt = #line) throws {
        var fixture = try PipelineCase.named(name, in: "sdxl_pipelines")
        fixture.loraApplication = loras
        try checkAgainstDiffusers(fixture, conditioning: ["prompt_embeds", "add_text_embeds", "add_time_ids"],
                                  file: file, line: line)
    }
}

/// SDXL img2img against diffusers' `StableDiffusionXLImg2ImgPipeline` (tiny random-weight base and refiner,
/// torch CPU generator): the UNet's conditioning (both encoders' states, the pooled embedding, the time ids)
/// max|Δ|/max|ref| ≤ 1e-5, final latents ≤ 1e-3 and the PNG within PSNR ≥ 45 dB, as for SD.
final class SDXLPipelineTests: XCTestCase {
    func testGuidanceWithANegativePrompt() throws { try checkSDXL("sdxl_cfg_negative") }
    func testAnEmptyNegativePromptIsEncodedNotZeroed() throws { try checkSDXL("sdxl_cfg_empty_negative") }
    func testNoNegativePromptAtAllIsZeroedAsTheModelForces() throws { try checkSDXL("sdxl_cfg_no_negative_zeros") }
    func testClipSkipOnAnOddSizedInput() throws { try checkSDXL("sdxl_clip_skip_odd_size") }
    func testTurboLikeRunWithoutGuidance() throws { try checkSDXL("sdxl_turbo_like") }
    func testRefinerWithoutFirstEncoderUsesAestheticScores() throws { try checkSDXL("sdxl_refiner_aesthetic") }

    func testEveryFixtureCaseHasATest() throws {
        XCTAssertEqual(try PipelineCase.all(in: "sdxl_pipelines").count, 14)
    }

    func testTwoImagesUseConsecutiveSeeds() throws {
        let fixture = try PipelineCase.named("sdxl_cfg_empty_negative", in: "sdxl_pipelines")
        let (images, _) = try fixture.run(images: 2)
        let seed43 = try PipelineCase.named("sdxl_seed_43", in: "sdxl_pipelines")
        XCTAssertGreaterThanOrEqual(psnr(images[0], try fixture.expectedImage()), 45)
        XCTAssertGreaterThanOrEqual(psnr(images[1], try seed43.expectedImage()), 45)
    }

    func testTheDumpHoldsEachEncodersStatesOfThePrompt() throws {
        let (_, dump) = try PipelineCase.named("sdxl_cfg_negative", in: "sdxl_pipelines").run()
        let ours = Dictionary(dump.entries.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        let first = try XCTUnwrap(ours["text_encoder_states"]), second = try XCTUnwrap(ours["text_encoder_2_states"])
        XCTAssertEqual([first.shape[2], second.shape[2]], [32, 24])
        let prompt = try XCTUnwrap(ours["prompt_embeds"]).slice(along: 0, from: 1, count: 1)
        XCTAssertEqual(Tensor.concatenate([first, second], along: 2).scalars, prompt.scalars,
                       "prompt_embeds' conditional row is the two encoders' states side by side")
    }

    func testTheRefinerLoadsWithoutTheFirstTextEncoder() throws {
        let pipeline = try PipelineLoader.load(folder: Fixtures.url("sdxl_pipelines/models/sdxl_refiner"), modelID: "r")
        let sdxl = try XCTUnwrap(pipeline as? StableDiffusionXLImg2ImgPipeline)
        XCTAssertNil(sdxl.components.textEncoder)
        XCTAssertTrue(sdxl.components.requiresAestheticsScore)
        XCTAssertFalse(sdxl.components.forceZerosForEmptyPrompt)
    }
}
