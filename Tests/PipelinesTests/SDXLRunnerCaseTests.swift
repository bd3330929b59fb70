import Foundation
import Images
import Pipelines
import Tensors
import TestSupport
import XCTest

/// SDXL as the runner serves it, against diffusers, from a model root in the runner's layouts
/// (`Tests/Fixtures/sdxl_pipelines/root`: the base in the hub cache with F16 `*.fp16.safetensors` files only,
/// `ByteDance/SDXL-Lightning` with a 4-step UNet file, LoRA folders): LoRAs in kohya's Stability block names with
/// both text encoders, LCM-LoRA-style conv and time-embedding adapters, PEFT with `text_encoder_2.` keys, two at
/// once; SDXL-Lightning in the runner's text-to-image mode and as img2img. Tolerances as for every SDXL case.
final class SDXLRunnerCaseTests: XCTestCase {
    func testTheBaseLoadsFromTheHubCacheWithOnlyFP16VariantFiles() throws { try checkSDXL("sdxl_lora_none") }
    func testKohyaLoRAInStabilityBlockNamesWithBothTextEncoders() throws { try checkSDXL("sdxl_lora_kohya_sgm") }
    func testLCMStyleLoRAAdaptsConvsSamplersAndTimeEmbeddingProjections() throws { try checkSDXL("sdxl_lora_lcm_style") }
    func testPEFTLoRAWithTextEncoder2Keys() throws { try checkSDXL("sdxl_lora_peft") }
    func testTwoLoRAsWithTheirStrengths() throws { try checkSDXL("sdxl_lora_two") }
    func testTwoLoRAsAppliedAtRunTime() throws { try checkSDXL("sdxl_lora_two", loras: .runtime) }
    func testLightningAsTheRunnerRunsItIgnoresTheImage() throws { try checkSDXL("sdxl_lightning_runner") }
    func testLightningAsImageToImage() throws { try checkSDXL("sdxl_lightning_img2img") }

    func testEachLoRAChangesTheImage() throws {
        let base = try PipelineCase.named("sdxl_lora_none", in: "sdxl_pipelines").expectedImage()
        for name in ["sdxl_lora_kohya_sgm", "sdxl_lora_lcm_style", "sdxl_lora_peft", "sdxl_lora_two"] {
            let adapted = try PipelineCase.named(name, in: "sdxl_pipelines").expectedImage()
            XCTAssertLessThan(psnr(base, adapted), 30, "\(name) barely changes the image: the case could not fail")
        }
    }

    func testTheKohyaLoRAReachesEveryComponentAndBlockKind() throws {
        let fixture = try PipelineCase.named("sdxl_lora_kohya_sgm", in: "sdxl_pipelines")
        let pipeline = try XCTUnwrap(try fixture.load() as? StableDiffusionXLImg2ImgPipeline)
        let binding = try pipeline.components.loraBinding(for: ["test/sdxl-kohya": 1])
        let unet = Set(binding[.unet].patches.keys)
        for layer in ["conv_in", "conv_out", "time_embedding.linear_1", "add_embedding.linear_2",
                      "down_blocks.0.resnets.1.conv1", "down_blocks.0.downsamplers.0.conv",
                      "down_blocks.1.attentions.1.transformer_blocks.0.attn2.to_k", "mid_block.resnets.1.time_emb_proj",
                      "mid_block.attentions.0.proj_in", "up_blocks.0.resnets.2.conv_shortcut",
                      "up_blocks.1.upsamplers.0.conv", "up_blocks.2.resnets.0.conv2"] {
            XCTAssertTrue(unet.contains(layer), "no patch for \(layer)")
        }
        XCTAssertFalse(binding[.textEncoder].patches.isEmpty)
        XCTAssertFalse(binding[.textEncoder2].patches.isEmpty)
    }

    func testLightningRunsTextToImageAtTheNativeSizeWithTheRunnersOverrides() throws {
        let fixture = try PipelineCase.named("sdxl_lightning_runner", in: "sdxl_pipelines")
        let pipeline = try XCTUnwrap(try fixture.load() as? StableDiffusionXLPipeline)
        XCTAssertFalse(pipeline.profile.usesImage)
        XCTAssertNotNil(pipeline.profile.requestWarning)
        XCTAssertEqual(pipeline.components.schedulerConfig.className, "EulerDiscreteScheduler")
        XCTAssertEqual(pipeline.components.schedulerConfig.timestepSpacing, "trailing")
        let resolved = try RunnerContract.resolve(fixture.request, for: pipeline.profile)
        XCTAssertEqual([fixture.request.numInferenceSteps, resolved.steps], [20, 4])
        XCTAssertEqual([fixture.request.guidanceScale, resolved.guidanceScale], [7.5, 0])
        let (image, _) = try fixture.run()
        XCTAssertEqual([image.width, image.height], [32, 32], "the UNet's sample size × the VAE's scale, not the input's")
    }
}
