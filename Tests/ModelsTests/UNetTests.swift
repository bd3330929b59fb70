import Foundation
import Models
import Tensors
import TestSupport
import XCTest

/// UNet2DConditionModel against diffusers on tiny random models, batch 2, at three timestep pairs (SDXL's with
/// per-row pooled text embeds and time ids): max|Δ|/max|ref| ≤ 1e-4.
final class UNetTests: XCTestCase {
    /// `folder` under Tests/Fixtures; its `text_embeds` and `time_ids`, when present, are the added conditioning.
    func check(_ folder: String) throws {
        let model = try UNet2DConditionModel(directory: Fixtures.url(folder))
        let expected = try Fixtures.tensors("\(folder)/expected.safetensors")
        XCTAssertEqual(model.requiresAddedConditioning, expected["time_ids"] != nil, folder)
        for label in ["t981", "t1", "tmixed"] {
            let output = model(expected["sample"]!, timesteps: expected["timesteps_\(label)"]!.scalars,
                               encoderHiddenStates: expected["encoder_hidden_states"]!,
                               addedTextEmbeds: expected["text_embeds"], addedTimeIDs: expected["time_ids"])
            XCTAssertClose(output, expected["output_\(label)"]!, relativeTolerance: 1e-4, "\(folder) \(label)")
        }
    }

    func testSD1StyleUNetMatchesDiffusers() throws { try check("models/unet_sd1") }
    func testSD2StyleUNetWithLinearProjectionAndPerBlockHeadsMatchesDiffusers() throws { try check("models/unet_sd2") }
    func testInstructPix2PixEightChannelUNetMatchesDiffusers() throws { try check("models/unet_ip2p") }
    func testScaleShiftFreqShiftCentredOddSizeUNetMatchesDiffusers() throws { try check("models/unet_variant") }

    func testSDXLTextTimeUNetWithPerLevelDepthsAndSixTimeIDsMatchesDiffusers() throws {
        try check("sdxl_models/unet_sdxl")
    }

    func testSDXLRefinerShapedUNetWithFiveTimeIDsMatchesDiffusers() throws {
        try check("sdxl_models/unet_sdxl_refiner")
    }

    /// Found by Fuzz/FuzzModelConfig: a zero group count divided by zero, and no blocks left `timeEmbeddingChannels`
    /// reading past an empty list; both are config errors naming the field.
    func testZeroGroupsAndNoBlocksAreConfigErrorsNamingTheField() throws {
        let cases = [(#"{"norm_num_groups": 0}"#, "norm_num_groups"),
                     (#"{"block_out_channels": [], "down_block_types": [], "up_block_types": []}"#, "block_out_channels")]
        for (json, field) in cases {
            for type in [UNet2DConditionConfig.self, AutoencoderKLConfig.self] as [Decodable.Type] {
                XCTAssertThrowsError(try JSONDecoder().decode(type, from: Data(json.utf8)), json) { error in
                    guard case let .unsupported(name, _, _)? = error as? ConfigError else {
                        return XCTFail("\(type) \(json): \(error)")
                    }
                    XCTAssertEqual(name, field, "\(type) \(json)")
                }
            }
        }
    }

    func testUnsupportedBlockTypeIsAConfigErrorNamingTheField() throws {
        let json = #"{"down_block_types": ["AttnDownBlock2D", "DownBlock2D"], "up_block_types": ["UpBlock2D", "UpBlock2D"], "block_out_channels": [32, 64]}"#
        XCTAssertThrowsError(try JSONDecoder().decode(UNet2DConditionConfig.self, from: Data(json.utf8))) { error in
            XCTAssertEqual(error as? ConfigError, .unsupported(field: "down_block_types", value: "AttnDownBlock2D",
                                                                supported: "CrossAttnDownBlock2D, DownBlock2D"))
        }
    }

    func testAdditionEmbeddingIsRefusedNotIgnored() throws {
        for type in ["text", "image", "text_image", "image_hint"] {
            let json = #"{"addition_embed_type": "\#(type)", "encoder_hid_dim": null}"#
            XCTAssertThrowsError(try JSONDecoder().decode(UNet2DConditionConfig.self, from: Data(json.utf8))) { error in
                XCTAssertEqual(error as? ConfigError, .unsupported(field: "addition_embed_type", value: type,
                                                                    supported: "text_time, null"))
            }
        }
    }

    func testTextTimeAdditionEmbeddingIsAccepted() throws {
        let json = #"{"addition_embed_type": "text_time", "addition_embed_type_num_heads": 64, "addition_time_embed_dim": 256, "projection_class_embeddings_input_dim": 2816, "upcast_attention": null}"#
        let config = try JSONDecoder().decode(UNet2DConditionConfig.self, from: Data(json.utf8))
        XCTAssertTrue(config.requiresAddedConditioning)
        XCTAssertEqual(config.additionTimeEmbedDim, 256)
        XCTAssertEqual(config.projectionClassEmbeddingsInputDim, 2816)
        XCTAssertFalse(UNet2DConditionConfig().requiresAddedConditioning)
    }

    func testTextTimeWithoutItsWidthsIsAConfigErrorNamingTheField() throws {
        let cases = [("addition_time_embed_dim", #"{"addition_embed_type": "text_time", "projection_class_embeddings_input_dim": 2816}"#),
                     ("projection_class_embeddings_input_dim", #"{"addition_embed_type": "text_time", "addition_time_embed_dim": 256, "projection_class_embeddings_input_dim": null}"#)]
        for (field, json) in cases {
            XCTAssertThrowsError(try JSONDecoder().decode(UNet2DConditionConfig.self, from: Data(json.utf8))) { error in
                XCTAssertEqual(error as? ConfigError, .unsupported(field: field, value: "null",
                                                                    supported: "a positive width when addition_embed_type is text_time"))
            }
        }
    }

    func testAttentionHeadDimIsReadAsHeadCountLikeDiffusers() throws {
        let json = #"{"attention_head_dim": [5, 10, 20, 20]}"#
        let config = try JSONDecoder().decode(UNet2DConditionConfig.self, from: Data(json.utf8))
        XCTAssertEqual(config.headCounts, [5, 10, 20, 20])
    }
}
