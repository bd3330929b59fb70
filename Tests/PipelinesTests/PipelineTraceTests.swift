// The trace of a generation: its stages in pipeline order, each UNet call with the batch shape the plan says and
// the FLOPs the model's measured estimate gives; within the UNet and VAE stages, their modules by diffusers' names
// with the shapes the model's config gives and FLOPs that add up to the stage's.

import Foundation
import Images
import Pipelines
import Safety
import TestSupport
import XCTest

final class PipelineTraceTests: XCTestCase {
    private static let folder = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("weights/tiny-sd")

    func testTraceListsEveryStageInOrderWithTheFLOPsOfThePlan() throws {
        let pipeline = try PipelineLoader.load(folder: Self.folder, modelID: "img2img/tiny-sd")
        let request = PipelineRequest(prompt: "a red square", strength: 0.5, steps: 6, seed: 1, numImages: 2)
        // Latent sides that are multiples of 2^(UNet levels − 1), where the estimate is exact.
        let image = try RGBImage(width: 128, height: 64, pixels: [UInt8](repeating: 100, count: 128 * 64 * 3))
        let plan = try pipeline.plan(request, imageWidth: 128, imageHeight: 64)
        var options = GenerationOptions()
        let trace = PipelineTrace()
        options.trace = trace
        _ = try pipeline.generate(image: image, request: request, options: options)

        let steps = (0..<plan.timesteps.count).map { "unet step \($0)" }
        XCTAssertEqual(trace.entries.map(\.stage), ["text_encoder", "vae.encode"] + steps + ["vae.decode"] + steps + ["vae.decode"])
        XCTAssertEqual(trace.entries.map(\.image), [0, 0] + Array(repeating: 0, count: steps.count + 1)
                       + Array(repeating: 1, count: steps.count + 1))
        let estimate = pipeline.measureWork()
        let n = Double(plan.latentWidth * plan.latentHeight)
        for entry in trace.entries where entry.stage.hasPrefix("unet") {
            XCTAssertEqual(entry.outputShape, [plan.rows, 4, plan.latentHeight, plan.latentWidth])
            let expected = Double(plan.rows) * estimate.unetRow.at(latentPixels: n)
            XCTAssertEqual(entry.flops, expected, accuracy: expected * 1e-9, entry.stage)
        }
        let decode = try XCTUnwrap(trace.entries.last)
        XCTAssertEqual(decode.outputShape, [1, 3, 64, 128])
        XCTAssertEqual(decode.flops, estimate.vaeDecode.at(latentPixels: n), accuracy: decode.flops * 1e-9)
        XCTAssertTrue(trace.entries.allSatisfy { $0.seconds > 0 && $0.peakResidentBytes > 0 })
        XCTAssertTrue(trace.table.hasPrefix("stage"))
        let json = try JSONSerialization.jsonObject(with: trace.json()) as? [[String: Any]]
        XCTAssertEqual(json?.count, trace.entries.count)
        XCTAssertEqual(json?.first?["stage"] as? String, "text_encoder")
    }

    func testUNetAndVAEStagesListTheirModulesWithTheConfigsShapes() throws {
        let pipeline = try PipelineLoader.load(folder: Self.folder, modelID: "img2img/tiny-sd")
        let request = PipelineRequest(prompt: "a red square", strength: 0.5, steps: 2, seed: 1)
        let image = try RGBImage(width: 96, height: 64, pixels: [UInt8](repeating: 100, count: 96 * 64 * 3))
        var options = GenerationOptions()
        let trace = PipelineTrace()
        options.trace = trace
        _ = try pipeline.generate(image: image, request: request, options: options)

        // weights/tiny-sd: UNet block_out_channels [32, 64], 2 rows with guidance; VAE [8, 16, 16, 16].
        let unet = try XCTUnwrap(trace.entries.first { $0.stage == "unet step 0" })
        XCTAssertEqual(unet.modules.map(\.module), ["down_blocks.0", "down_blocks.1", "mid_block", "up_blocks.0", "up_blocks.1"])
        XCTAssertEqual(unet.modules.map(\.inputShape), [[2, 32, 8, 12], [2, 32, 4, 6], [2, 64, 4, 6], [2, 64, 4, 6], [2, 64, 8, 12]])
        XCTAssertEqual(unet.modules.map(\.measurement.outputShape),
                       [[2, 32, 4, 6], [2, 64, 4, 6], [2, 64, 4, 6], [2, 64, 8, 12], [2, 32, 8, 12]])
        let decode = try XCTUnwrap(trace.entries.first { $0.stage == "vae.decode" })
        XCTAssertEqual(decode.modules.map(\.module), ["decoder.mid_block"] + (0..<4).map { "decoder.up_blocks.\($0)" })
        XCTAssertEqual(decode.modules.map(\.inputShape), [[1, 16, 8, 12], [1, 16, 8, 12], [1, 16, 8, 12], [1, 16, 16, 24],
                                                          [1, 16, 32, 48]], "each upsampler runs with the next block")
        XCTAssertEqual(decode.modules.last?.measurement.outputShape, [1, 8, 64, 96])
        let encode = try XCTUnwrap(trace.entries.first { $0.stage == "vae.encode" })
        XCTAssertEqual(encode.modules.map(\.module), (0..<4).map { "encoder.down_blocks.\($0)" } + ["encoder.mid_block"])
        XCTAssertEqual(encode.modules.first?.inputShape, [1, 8, 64, 96])
        XCTAssertEqual(encode.modules.last?.measurement.outputShape, [1, 16, 8, 12])
        for stage in [unet, decode, encode] {
            let modules = stage.modules.reduce(0) { $0 + $1.measurement.flops }
            XCTAssertGreaterThan(modules, 0.8 * stage.flops, "\(stage.stage): the blocks do most of the work")
            XCTAssertLessThanOrEqual(modules, stage.flops * (1 + 1e-12), stage.stage)
            XCTAssertGreaterThanOrEqual(stage.peakResidentBytes, stage.modules.map(\.measurement.peakResidentBytes).max() ?? 0)
        }
        XCTAssertTrue(trace.entries.first { $0.stage == "text_encoder" }?.modules.isEmpty == true)
        XCTAssertTrue(trace.table.contains("\n  down_blocks.0 "), trace.table)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: trace.json()) as? [[String: Any]])
        let modules = try XCTUnwrap(json.first { $0["stage"] as? String == "unet step 0" }?["modules"] as? [[String: Any]])
        XCTAssertEqual(modules.first?["module"] as? String, "down_blocks.0")
        XCTAssertEqual(modules.first?["input_shape"] as? [Int], [2, 32, 8, 12])
        XCTAssertNotNil(modules.first?["peak_resident_bytes"] as? Int)
    }

    func testSafetyCheckerIsAStageOfTheTrace() throws {
        let service = ImageToImageService(pipeline: try PipelineLoader.load(folder: Self.folder, modelID: "img2img/tiny-sd"),
                                          safetyChecker: try SafetyChecker(directory: Fixtures.url("safety/checker")))
        var request = GenerationRequest(prompt: "a red fox")
        request.numInferenceSteps = 2
        request.seed = 3
        request.numImagesPerPrompt = 2
        var options = GenerationOptions()
        let trace = PipelineTrace()
        options.trace = trace
        let image = try RGBImage(width: 64, height: 64, pixels: [UInt8](repeating: 100, count: 64 * 64 * 3))
        _ = try service.run(image: image, request: service.resolve(request), options: options)
        XCTAssertEqual(trace.entries.last?.stage, "safety_checker")
        XCTAssertEqual(trace.entries.last?.outputShape, [2])
        XCTAssertGreaterThan(trace.entries.last?.flops ?? 0, 0)
        request.safetyCheck = false
        let untraced = PipelineTrace()
        options.trace = untraced
        _ = try service.run(image: image, request: service.resolve(request), options: options)
        XCTAssertFalse(untraced.entries.contains { $0.stage == "safety_checker" })
    }

    /// SDXL (two text encoders, a text_time UNet) and InstructPix2Pix (three batch rows, an 8-channel UNet input)
    /// trace the same way: every UNet call lists its blocks, with the batch rows and channels their configs give.
    func testEveryFamilyTracesItsTextEncodersAndUNetBlocks() throws {
        for (folder, rows, encoders) in [("sdxl_pipelines/models/sdxl", 2, ["text_encoder", "text_encoder_2"]),
                                          ("pipelines/models/ip2p", 3, ["text_encoder"])] {
            let url = Fixtures.url(folder)
            let config = try XCTUnwrap(JSONSerialization.jsonObject(
                with: Data(contentsOf: url.appendingPathComponent("unet/config.json"))) as? [String: Any])
            let channels = try XCTUnwrap(config["block_out_channels"] as? [Int])
            let pipeline = try PipelineLoader.load(folder: url, modelID: folder)
            let request = PipelineRequest(prompt: "a red square", strength: 1, guidanceScale: 5, imageGuidanceScale: 1.5,
                                          steps: 2, seed: 1)
            var options = GenerationOptions()
            let trace = PipelineTrace()
            options.trace = trace
            let image = try RGBImage(width: 64, height: 64, pixels: [UInt8](repeating: 100, count: 64 * 64 * 3))
            _ = try pipeline.generate(image: image, request: request, options: options)
            let plan = try pipeline.plan(request, imageWidth: 64, imageHeight: 64)
            XCTAssertEqual(plan.rows, rows, folder)
            let latents = [plan.latentHeight, plan.latentWidth]
            XCTAssertEqual(Array(trace.entries.map(\.stage).prefix(encoders.count)), encoders, folder)
            let unet = try XCTUnwrap(trace.entries.first { $0.stage == "unet step 0" }, folder)
            let blocks = channels.count
            XCTAssertEqual(unet.modules.map(\.module), (0..<blocks).map { "down_blocks.\($0)" } + ["mid_block"]
                           + (0..<blocks).map { "up_blocks.\($0)" }, folder)
            XCTAssertEqual(unet.modules.first?.inputShape, [rows, channels[0]] + latents, folder)
            XCTAssertEqual(unet.modules.last?.measurement.outputShape, [rows, channels[0]] + latents, folder)
            XCTAssertLessThanOrEqual(unet.modules.reduce(0) { $0 + $1.measurement.flops }, unet.flops * (1 + 1e-12), folder)
        }
    }
}
