// The trace of a generation: its stages in pipeline order, each UNet call with the batch shape the plan says and
// the FLOPs the model's measured estimate gives, and nothing recorded when tracing is off.

import Foundation
import Images
import Pipelines
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
}
