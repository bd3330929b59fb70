// A request's plan (steps actually run, UNet calls, batch rows, latent size) and its price: the dry-run FLOP
// fit of the bundled model's UNet and VAE against the FLOPs its kernels really record at sizes outside the fit.

import Foundation
import Images
import Models
import Pipelines
import Tensors
import TestSupport
import XCTest

final class WorkEstimateTests: XCTestCase {
    private static let folder = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("weights/tiny-sd")

    private func pipeline() throws -> any ImageToImagePipeline {
        try PipelineLoader.load(folder: Self.folder, modelID: "img2img/tiny-sd")
    }

    func testPlanStatesTheStepsStrengthLeavesAndTheirUNetCalls() throws {
        let request = PipelineRequest(prompt: "p", strength: 0.3, steps: 20, seed: 1, numImages: 2)
        let plan = try pipeline().plan(request, imageWidth: 517, imageHeight: 300)
        XCTAssertEqual(plan.stepsRun, 6)
        // PNDM (the bundled model's scheduler) repeats its first kept timestep: 7 UNet calls for 6 steps.
        XCTAssertEqual(plan.timesteps.count, 7)
        XCTAssertEqual(plan.unetCalls, 14)
        XCTAssertEqual(plan.rows, 2)
        XCTAssertEqual([plan.latentWidth, plan.latentHeight], [64, 37])
        XCTAssertTrue(plan.encodesImage)
        XCTAssertEqual(plan.accounting, "strength 0.3 × 20 steps → 6 steps (7 UNet calls, timesteps \(Int(plan.timesteps[0])) … 1)")
        XCTAssertEqual(plan.accounting(after: ["guidance_scale 7.5 → 0.0 (turbo)"]),
                       "runner: guidance_scale 7.5 → 0.0 (turbo); " + plan.accounting)
        XCTAssertEqual(plan.accounting(after: []), plan.accounting)
    }

    func testPlanMatchesTheTimestepsARunUses() throws {
        let request = PipelineRequest(prompt: "p", strength: 0.6, guidanceScale: 1, steps: 5, seed: 1)
        let plan = try pipeline().plan(request, imageWidth: 32, imageHeight: 32)
        let dump = TensorDump()
        var options = GenerationOptions()
        options.dump = dump
        _ = try pipeline().generate(image: RGBImage(width: 32, height: 32, pixels: [UInt8](repeating: 90, count: 3072)),
                                    request: request, options: options)
        let recorded = try XCTUnwrap(dump.entries.first { $0.name == "timesteps" }?.tensor)
        XCTAssertEqual(recorded.scalars, plan.timesteps)
        XCTAssertEqual(plan.rows, 1, "guidance 1 runs one batch row")
    }

    func testDryRunFitPredictsTheFLOPsTheKernelsRecord() throws {
        let components = try StableDiffusionComponents(index: ModelIndex(folder: Self.folder), modelID: "img2img/tiny-sd")
        let estimate = WorkEstimate.measure(unet: components.unet, vae: components.vae, imageScale: 8)
        for side in [12, 40] {  // outside the fitted 8, 16, 24
            let n = Double(side * side)
            let unetFLOPs = KernelProfile.measure {
                _ = components.unet(Tensor(zeros: [1, 4, side, side]), timesteps: [500],
                                    encoderHiddenStates: Tensor(zeros: [1, 77, 32]))
            }.flops
            let decodeFLOPs = KernelProfile.measure { _ = components.vae.decode(Tensor(zeros: [1, 4, side, side])) }.flops
            XCTAssertEqual(estimate.unetRow.at(latentPixels: n), unetFLOPs, accuracy: unetFLOPs * 1e-9, "UNet at \(side)²")
            XCTAssertEqual(estimate.vaeDecode.at(latentPixels: n), decodeFLOPs, accuracy: decodeFLOPs * 1e-9,
                           "decode at \(side)²")
        }
        XCTAssertGreaterThan(estimate.unetRow.quadratic, 0, "self-attention grows with the square of the tokens")
    }

    func testSDXLFitIncludesTheAddedConditioningAndPredictsOtherSizes() throws {
        let folder = Fixtures.url("sdxl_pipelines/models/sdxl")
        let components = try StableDiffusionXLComponents(index: ModelIndex(folder: folder), modelID: "test/sdxl")
        let estimate = WorkEstimate.measure(unet: components.unet, vae: components.vae, imageScale: 8)
        let config = components.unet.config
        let side = 12
        let real = KernelProfile.measure {
            _ = components.unet(Tensor(zeros: [1, 4, side, side]), timesteps: [500],
                                encoderHiddenStates: Tensor(zeros: [1, 77, 56]),
                                addedTextEmbeds: Tensor(zeros: [1, 16]),  // text_encoder_2's projection_dim
                                addedTimeIDs: Tensor(zeros: [1, ((config.projectionClassEmbeddingsInputDim ?? 0) - 16)
                                                             / (config.additionTimeEmbedDim ?? 1)]))
        }.flops
        XCTAssertEqual(estimate.unetRow.at(latentPixels: Double(side * side)), real, accuracy: real * 1e-9)
    }

    func testRequestFLOPsCountEveryUNetCallRowAndDecode() throws {
        let pipeline = try pipeline()
        let estimate = pipeline.measureWork()
        let request = PipelineRequest(prompt: "p", strength: 0.5, steps: 10, seed: 1, numImages: 3)
        let plan = try pipeline.plan(request, imageWidth: 64, imageHeight: 64)
        let n = 64.0
        let expected = estimate.vaeEncode.at(latentPixels: n)
            + 3 * (Double(plan.timesteps.count * 2) * estimate.unetRow.at(latentPixels: n) + estimate.vaeDecode.at(latentPixels: n))
        XCTAssertEqual(estimate.flops(plan), expected, accuracy: expected * 1e-12)
    }
}
