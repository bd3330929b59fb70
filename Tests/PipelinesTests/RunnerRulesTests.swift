import Foundation
import Images
import Pipelines
import TestSupport
import XCTest

/// The runner's per-model rules, request validation and cancellation between steps.
final class RunnerRulesTests: XCTestCase {
    func testTurboModelsForceGuidanceZeroAndAtLeastOneStep() {
        var request = GenerationRequest(prompt: "x")
        request.numInferenceSteps = 4
        request.strength = 0.1
        request.guidanceScale = 7
        let adjusted = RunnerRules.adjust(request, modelID: "stabilityai/sd-turbo", defaultSteps: 50)
        XCTAssertEqual(adjusted.guidanceScale, 0)
        XCTAssertEqual(adjusted.strength, 0.25)
        XCTAssertEqual(RunnerRules.adjust(request, modelID: "other/model", defaultSteps: 50).guidanceScale, 7)
        request.numInferenceSteps = 0
        let defaulted = RunnerRules.adjust(request, modelID: "stabilityai/sd-turbo", defaultSteps: 50)
        XCTAssertEqual(defaulted.strength, 0.1, "strength is raised only when the request gave the steps")
        XCTAssertEqual(defaulted.numInferenceSteps, 50)
    }

    func testStepsBelowOneMeanThePipelineDefault() {
        var request = GenerationRequest(prompt: "x")
        request.numInferenceSteps = 0
        XCTAssertEqual(RunnerRules.adjust(request, modelID: "a/b", defaultSteps: 50).numInferenceSteps, 50)
        XCTAssertEqual(PipelineKind.instructPix2Pix.defaultSteps, 100)
    }

    func testInstructPix2PixModelGetsEulerAncestral() {
        XCTAssertEqual(RunnerRules.schedulerOverride(modelID: "timbrooks/instruct-pix2pix"), "EulerAncestralDiscreteScheduler")
        XCTAssertNil(RunnerRules.schedulerOverride(modelID: "stabilityai/sd-turbo"))
    }

    func testOutOfRangeValuesAreRejectedWithMessages() {
        var request = GenerationRequest(prompt: "x")
        request.strength = 1.5
        XCTAssertThrowsError(try request.validate()) { XCTAssertTrue("\($0)".contains("strength must be in [0.0, 1.0]")) }
        request.strength = 0.5
        request.numImagesPerPrompt = 0
        XCTAssertThrowsError(try request.validate()) { XCTAssertTrue("\($0)".contains("num_images_per_prompt")) }
        request.numImagesPerPrompt = 1
        request.numInferenceSteps = 5000
        XCTAssertThrowsError(try request.validate(limits: GenerationLimits(maxSteps: 200))) {
            XCTAssertTrue("\($0)".contains("at most 200"))
        }
    }

    func testStrengthTooLowForTheStepsIsAnError() throws {
        let pipeline = try StableDiffusionPipeline(folder: Fixtures.url("pipelines/models/sd1"), modelID: "sd1")
        let input = try ImageDecoder.decode(Data(contentsOf: Fixtures.url("pipelines/inputs/square.png")))
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

    func testReturningFalseFromOnStepCancelsAtTheNextStep() throws {
        let pipeline = try StableDiffusionPipeline(folder: Fixtures.url("pipelines/models/sd1"), modelID: "sd1")
        let input = try ImageDecoder.decode(Data(contentsOf: Fixtures.url("pipelines/inputs/square.png")))
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
