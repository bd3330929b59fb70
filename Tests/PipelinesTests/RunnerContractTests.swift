import Foundation
import Images
import Pipelines
import TestSupport
import XCTest

/// The runner's rules (`RunnerContract`): per-model overrides, defaults, seeds, refusals in its order and words;
/// and what a pipeline refuses or cancels itself.
final class RunnerContractTests: XCTestCase {
    let img2img = PipelineProfile(modelID: "org/model", defaultSteps: 50, usesStrength: true)
    let turbo = PipelineProfile(modelID: "stabilityai/sd-turbo", defaultSteps: 50, usesStrength: true)
    let pix2pix = PipelineProfile(modelID: "timbrooks/instruct-pix2pix", defaultSteps: 100, usesStrength: false)

    func resolve(_ request: GenerationRequest, _ model: PipelineProfile) throws(RequestRefusal) -> PipelineRequest {
        try RunnerContract.resolve(request, for: model, drawSeed: { 1234 })
    }

    func refusal(_ request: GenerationRequest, _ model: PipelineProfile) -> String? {
        do { _ = try resolve(request, model); return nil } catch { return error.message }
    }

    func testTurboModelsForceGuidanceZeroAndAtLeastOneStep() throws {
        var request = GenerationRequest(prompt: "x")
        request.numInferenceSteps = 4
        request.strength = 0.1
        request.guidanceScale = 7
        let adjusted = try resolve(request, turbo)
        XCTAssertEqual(adjusted.guidanceScale, 0)
        XCTAssertEqual(adjusted.strength, 0.25)
        XCTAssertEqual(try resolve(request, img2img).guidanceScale, 7)
        XCTAssertEqual(try resolve(request, img2img).strength, 0.1)
        request.numInferenceSteps = 0
        let defaulted = try resolve(request, turbo)
        XCTAssertEqual(defaulted.strength, 0.1, "strength is raised only when the request gave the steps")
        XCTAssertEqual(defaulted.steps, 50)
    }

    func testSDXLTurboIsATurboModel() throws {
        var request = GenerationRequest(prompt: "x")
        request.numInferenceSteps = 2
        request.strength = 0.3
        let sdxlTurbo = PipelineProfile(modelID: "stabilityai/sdxl-turbo", defaultSteps: 50, usesStrength: true)
        XCTAssertEqual(try resolve(request, sdxlTurbo).guidanceScale, 0)
        XCTAssertEqual(try resolve(request, sdxlTurbo).strength, 0.5)
    }

    func testLightningIdsForceGuidanceZeroAndTheirUNetsSteps() throws {
        var request = GenerationRequest(prompt: "x")
        request.guidanceScale = 7
        request.strength = 1.5  // not read by the runner's text-to-image pipeline, so not refused
        for (id, steps) in [("ByteDance/SDXL-Lightning", 8), ("ByteDance/SDXL-Lightning-2step", 2),
                            ("ByteDance/SDXL-Lightning-4step", 4), ("ByteDance/SDXL-Lightning-8step", 8)] {
            let profile = PipelineProfile(modelID: id, defaultSteps: 50, usesStrength: false, usesImage: false)
            for given in [0, 3, 30] {
                request.numInferenceSteps = given
                let resolved = try resolve(request, profile)
                XCTAssertEqual([resolved.steps], [steps], "\(id), \(given) steps asked")
                XCTAssertEqual(resolved.guidanceScale, 0)
            }
        }
        let img2imgMode = PipelineProfile(modelID: "ByteDance/SDXL-Lightning-4step", defaultSteps: 50, usesStrength: true)
        XCTAssertEqual(refusal(request, img2imgMode),
                       "Error during model execution: The value of strength should in [0.0, 1.0] but is 1.5.")
    }

    func testOverridesNameWhatTheRunnerChangedAndWhy() throws {
        var request = GenerationRequest(prompt: "x")
        request.numInferenceSteps = 20
        request.guidanceScale = 7.5
        request.strength = 0.01
        let lightning = PipelineProfile(modelID: "ByteDance/SDXL-Lightning-4step", defaultSteps: 50, usesStrength: false,
                                        usesImage: false)
        XCTAssertEqual(RunnerContract.overrides(request, resolved: try resolve(request, lightning), for: lightning),
                       ["num_inference_steps 20 → 4 (SDXL-Lightning 4-step)", "guidance_scale 7.5 → 0.0 (SDXL-Lightning 4-step)"])
        XCTAssertEqual(RunnerContract.overrides(request, resolved: try resolve(request, turbo), for: turbo),
                       ["guidance_scale 7.5 → 0.0 (turbo)", "strength 0.01 → 0.05 (at least 1/steps)"])
        request.numInferenceSteps = 0
        XCTAssertEqual(RunnerContract.overrides(request, resolved: try resolve(request, pix2pix), for: pix2pix),
                       ["num_inference_steps 0 → 100 (the pipeline's default)", "scheduler → EulerAncestralDiscreteScheduler"])
        request.numInferenceSteps = 20
        XCTAssertEqual(RunnerContract.overrides(request, resolved: try resolve(request, img2img), for: img2img), [])
    }

    func testLightningIdsNameTheirUNetFileAsTheRunnerPicksIt() {
        XCTAssertEqual(SDXLLightning(modelID: "ByteDance/SDXL-Lightning")?.unetFileName, "sdxl_lightning_8step_unet.safetensors")
        XCTAssertEqual(SDXLLightning(modelID: "ByteDance/SDXL-Lightning-2step")?.steps, 2)
        XCTAssertEqual(SDXLLightning(modelID: "ByteDance/SDXL-Lightning-2step-4step")?.steps, 2, "2step is tested first")
        XCTAssertNil(SDXLLightning(modelID: "SG161222/RealVisXL_V4.0_Lightning"), "RealVisXL Lightning is plain SDXL")
        XCTAssertNil(SDXLLightning(modelID: "stabilityai/sdxl-turbo"))
    }

    func testALightningIdWithoutItsUNetFileNamesTheFileLookedFor() throws {
        let store = ModelStore(root: Fixtures.url("sdxl_pipelines/root").path)
        XCTAssertEqual(try store.locate("ByteDance/SDXL-Lightning-4step").unetFile?.lastPathComponent,
                       "sdxl_lightning_4step_unet.safetensors")
        XCTAssertThrowsError(try store.locate("ByteDance/SDXL-Lightning-2step")) {
            XCTAssertTrue("\($0)".contains("ByteDance/SDXL-Lightning/sdxl_lightning_2step_unet.safetensors"), "\($0)")
        }
        XCTAssertThrowsError(try ModelStore(root: "/nonexistent").locate("ByteDance/SDXL-Lightning")) {
            XCTAssertTrue("\($0)".contains("stabilityai/stable-diffusion-xl-base-1.0"), "\($0)")
        }
    }

    func testStepsBelowOneMeanThePipelineDefault() throws {
        var request = GenerationRequest(prompt: "x")
        request.numInferenceSteps = 0
        XCTAssertEqual(try resolve(request, img2img).steps, 50)
        request.numInferenceSteps = -3
        XCTAssertEqual(try resolve(request, pix2pix).steps, 100)
    }

    func testInstructPix2PixModelGetsEulerAncestral() throws {
        let request = GenerationRequest(prompt: "x")
        XCTAssertEqual(try resolve(request, pix2pix).schedulerClass, "EulerAncestralDiscreteScheduler")
        XCTAssertNil(try resolve(request, turbo).schedulerClass)
    }

    func testImagesHaveConsecutiveSeedsAndAnAbsentSeedIsDrawn() throws {
        var request = GenerationRequest(prompt: "x")
        request.numImagesPerPrompt = 3
        XCTAssertEqual(try resolve(request, img2img).seeds, [1234, 1235, 1236])
        request.seed = -2
        XCTAssertEqual(try resolve(request, img2img).seeds, [-2, -1, 0])
        for _ in 0..<20 {
            XCTAssertTrue((0...Int128(UInt32.max)).contains(RunnerContract.randomSeed()))
        }
    }

    func testRefusalsComeInTheRunnersOrderAndWords() {
        var request = GenerationRequest(prompt: "x")
        request.strength = 1.5
        request.loras = "{not json"
        request.seed = Int128(UInt64.max)
        request.numImagesPerPrompt = 2
        XCTAssertEqual(refusal(request, img2img), "Image-to-image pipeline error.", "the seed overflows torch first")
        request.seed = 0
        XCTAssertEqual(refusal(request, img2img)?.hasPrefix("Unable to parse '{not json' as JSON"), true,
                       refusal(request, img2img) ?? "accepted")
        XCTAssertEqual(refusal(request, img2img)?.hasSuffix("."), true)
        request.loras = #"{"a/b": 0.5}"#
        XCTAssertEqual(refusal(request, img2img),
                       "Error during model execution: The value of strength should in [0.0, 1.0] but is 1.5.")
        request.strength = .nan
        XCTAssertEqual(refusal(request, img2img), "Error during model execution: cannot convert float NaN to integer.")
    }

    func testInstructPix2PixTakesNoStrength() throws {
        var request = GenerationRequest(prompt: "x")
        request.strength = 7
        XCTAssertNil(refusal(request, pix2pix))
        XCTAssertNotNil(refusal(request, img2img))
    }

    func testARequestForNoImageResolvesBeforeAnyCheck() throws {
        var request = GenerationRequest(prompt: "x")
        request.numImagesPerPrompt = 0
        request.strength = 2
        request.seed = Int128(UInt64.max) + 1
        XCTAssertEqual(try resolve(request, img2img).seeds, [])
    }

    func testNonFiniteGuidanceAndNegativeClipSkipAreRefused() {
        var request = GenerationRequest(prompt: "x")
        request.guidanceScale = .infinity
        XCTAssertEqual(refusal(request, img2img), "Error during model execution: guidance scales must be finite numbers.")
        XCTAssertNil(refusal(request, turbo), "turbo replaces the guidance scale by 0 first")
        request.guidanceScale = 7.5
        request.clipSkip = -1
        XCTAssertEqual(refusal(request, img2img), "Error during model execution: clip_skip must be ≥ 0, got -1.")
    }

    func testLorasAreParsedOnce() throws {
        var request = GenerationRequest(prompt: "x")
        request.loras = #"{"org/style": "0.5", "org/other": true}"#
        XCTAssertEqual(try resolve(request, img2img).loras, ["org/style": 0.5, "org/other": 1])
        request.loras = #"{"org/style": -1}"#
        XCTAssertEqual(refusal(request, img2img)?.hasSuffix("."), true)
    }

    /// The tiny SD1 test model and the square test image.
    func tinyModelAndImage() throws -> (any ImageToImagePipeline, RGBImage) {
        (try PipelineLoader.load(folder: Fixtures.url("pipelines/models/sd1"), modelID: "sd1"),
         try ImageDecoder.decode(Data(contentsOf: Fixtures.url("pipelines/inputs/square.png"))))
    }

    func testStrengthTooLowForTheStepsIsAnError() throws {
        let (pipeline, input) = try tinyModelAndImage()
        var request = GenerationRequest(prompt: "x")
        request.numInferenceSteps = 4
        request.strength = 0.1
        // (PNDM would still run one step: with skip_prk_steps it has steps + 1 timesteps, as in diffusers.)
        var options = GenerationOptions()
        options.schedulerOverride = "EulerDiscreteScheduler"
        XCTAssertThrowsError(try pipeline.generate(image: input, request: request, options: options)) {
            XCTAssertTrue("\($0)".contains("leaves no denoising step"), "\($0)")
        }
    }

    func testStepsKeptAreComputedInPythonsFloatArithmetic() throws {
        // int(100 * 0.29) is 28 in Python (28.999999999999996); in Float the product rounds to 29.
        let (pipeline, input) = try tinyModelAndImage()
        var request = GenerationRequest(prompt: "x")
        request.numInferenceSteps = 100
        request.strength = 0.29
        request.guidanceScale = 0
        var options = GenerationOptions()
        options.schedulerOverride = "EulerDiscreteScheduler"
        var count = 0
        options.onStep = { _, step in count = step.count; return false }
        XCTAssertThrowsError(try pipeline.generate(image: input, request: request, options: options))
        XCTAssertEqual(count, 28)
    }

    func testReturningFalseFromOnStepCancelsAtTheNextStep() throws {
        let (pipeline, input) = try tinyModelAndImage()
        var request = GenerationRequest(prompt: "x")
        request.numInferenceSteps = 6
        var options = GenerationOptions()
        var seen = 0
        options.onStep = { _, _ in seen += 1; return seen < 2 }
        XCTAssertThrowsError(try pipeline.generate(image: input, request: request, options: options)) {
            XCTAssertEqual($0 as? PipelineError, .cancelled)
        }
        XCTAssertEqual(seen, 2)
    }
}
