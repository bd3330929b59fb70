import Foundation
import Images
import Pipelines
import TestSupport
import XCTest

/// Components load as model_index.json lists them; the loader picks the pipeline class; a request's prompt and
/// image are encoded once however many images it asks for.
final class PipelineLoadingTests: XCTestCase {
    /// A copy of the tiny SD1 model's folder whose model_index.json is edited by `change`.
    func folder(_ change: (inout [String: Any]) -> Void) throws -> URL {
        let source = Fixtures.url("pipelines/models/sd1")
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("model-index-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: source, to: copy)
        addTeardownBlock { try? FileManager.default.removeItem(at: copy) }
        let url = copy.appendingPathComponent("model_index.json")
        var index = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        change(&index)
        try JSONSerialization.data(withJSONObject: index).write(to: url)
        return copy
    }

    func testPresentAndNullComponentsAreRead() throws {
        let index = try ModelIndex(folder: Fixtures.url("pipelines/models/sd1"))
        XCTAssertEqual(index.className, "StableDiffusionImg2ImgPipeline")
        XCTAssertEqual(index.components["unet"], "UNet2DConditionModel")
        XCTAssertNil(index.components["safety_checker"], "[null, null] is an absent component")
    }

    func testAComponentListedAsNullIsNamedWhenThePipelineNeedsIt() throws {
        let model = try folder { $0["text_encoder"] = [NSNull(), NSNull()] }
        XCTAssertThrowsError(try PipelineLoader.load(folder: model, modelID: "m")) {
            XCTAssertEqual("\($0)", "StableDiffusionImg2ImgPipeline needs a text_encoder, and model_index.json lists none")
        }
    }

    func testAnUnknownComponentClassIsNamed() throws {
        let model = try folder { $0["unet"] = ["diffusers", "UNet2DModel"] }
        XCTAssertThrowsError(try PipelineLoader.load(folder: model, modelID: "m")) {
            XCTAssertEqual("\($0)", "unet is a UNet2DModel; this engine loads UNet2DConditionModel there")
        }
    }

    func testAnUnsupportedPipelineClassIsRefused() throws {
        let model = try folder { $0["_class_name"] = "StableVideoDiffusionPipeline" }
        XCTAssertThrowsError(try PipelineLoader.load(folder: model, modelID: "m")) {
            XCTAssertTrue("\($0)".contains("model_index.json names StableVideoDiffusionPipeline"), "\($0)")
        }
    }

    func testATextTimeUNetInAnSDFolderIsRefusedNotRunWithoutItsConditioning() throws {
        let model = try folder { _ in }
        let unet = model.appendingPathComponent("unet")
        try FileManager.default.removeItem(at: unet)
        try FileManager.default.copyItem(at: Fixtures.url("sdxl_models/unet_sdxl"), to: unet)
        XCTAssertThrowsError(try PipelineLoader.load(folder: model, modelID: "m")) {
            XCTAssertTrue("\($0)".contains("addition_embed_type \"text_time\""), "\($0)")
        }
    }

    func testTheLoaderPicksThePipelineByTheUNetsInputChannels() throws {
        XCTAssertTrue(try PipelineLoader.load(folder: Fixtures.url("pipelines/models/sd1"), modelID: "m")
            is StableDiffusionImg2ImgPipeline)
        XCTAssertTrue(try PipelineLoader.load(folder: Fixtures.url("pipelines/models/ip2p"), modelID: "m")
            is StableDiffusionInstructPix2PixPipeline)
    }

    func testSeveralImagesShareOnePromptEncodingAndEachHasItsStages() throws {
        let pipeline = try PipelineLoader.load(folder: Fixtures.url("pipelines/models/sd1"), modelID: "m")
        var request = GenerationRequest(prompt: "a red fox")
        request.numInferenceSteps = 2
        request.strength = 0.5
        request.numImagesPerPrompt = 2
        request.seed = 5
        var options = GenerationOptions()
        let dump = TensorDump()
        options.dump = dump
        let images = try pipeline.generate(image: try ImageDecoder.decode(Data(contentsOf: Fixtures.url("pipelines/inputs/square.png"))),
                                           request: request, options: options)
        let names = dump.entries.map(\.name)
        XCTAssertEqual(images.count, 2)
        XCTAssertEqual(names.filter { $0.hasSuffix("prompt_embeds") }, ["prompt_embeds"])
        XCTAssertEqual(names.filter { $0.hasSuffix(".decoded") }, ["image0.decoded", "image1.decoded"])
        XCTAssertNotEqual(dump.entries.first { $0.name == "image0.noise" }?.tensor.scalars,
                          dump.entries.first { $0.name == "image1.noise" }?.tensor.scalars, "seeds 5 and 6 drew the same noise")
    }
}
