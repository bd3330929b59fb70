import Foundation
import Models
import Tensors
import TestSupport
import XCTest

/// UNet2DConditionModel against diffusers on tiny random models, batch 2, at three timestep pairs:
/// max|Δ|/max|ref| ≤ 1e-4.
final class UNetTests: XCTestCase {
    func check(_ name: String) throws {
        let model = try UNet2DConditionModel(directory: Fixtures.url("models/\(name)"))
        let expected = try Fixtures.tensors("models/\(name)/expected.safetensors")
        for label in ["t981", "t1", "tmixed"] {
            let output = model(expected["sample"]!, timesteps: expected["timesteps_\(label)"]!.scalars,
                               encoderHiddenStates: expected["encoder_hidden_states"]!)
            XCTAssertClose(output, expected["output_\(label)"]!, relativeTolerance: 1e-4, "\(name) \(label)")
        }
    }

    func testSD1StyleUNetMatchesDiffusers() throws { try check("unet_sd1") }
    func testSD2StyleUNetWithLinearProjectionAndPerBlockHeadsMatchesDiffusers() throws { try check("unet_sd2") }
    func testInstructPix2PixEightChannelUNetMatchesDiffusers() throws { try check("unet_ip2p") }
    func testScaleShiftFreqShiftCentredOddSizeUNetMatchesDiffusers() throws { try check("unet_variant") }

    func testUnsupportedBlockTypeIsAConfigErrorNamingTheField() throws {
        let json = #"{"down_block_types": ["AttnDownBlock2D", "DownBlock2D"], "up_block_types": ["UpBlock2D", "UpBlock2D"], "block_out_channels": [32, 64]}"#
        XCTAssertThrowsError(try JSONDecoder().decode(UNet2DConditionConfig.self, from: Data(json.utf8))) { error in
            XCTAssertEqual(error as? ConfigError, .unsupported(field: "down_block_types", value: "AttnDownBlock2D",
                                                                supported: "CrossAttnDownBlock2D, DownBlock2D"))
        }
    }

    func testAdditionEmbeddingIsRefusedNotIgnored() throws {
        let json = #"{"addition_embed_type": "text_time"}"#
        XCTAssertThrowsError(try JSONDecoder().decode(UNet2DConditionConfig.self, from: Data(json.utf8))) { error in
            XCTAssertTrue("\(error)".contains("addition_embed_type"), "\(error)")
        }
    }

    func testAttentionHeadDimIsReadAsHeadCountLikeDiffusers() throws {
        let json = #"{"attention_head_dim": [5, 10, 20, 20]}"#
        let config = try JSONDecoder().decode(UNet2DConditionConfig.self, from: Data(json.utf8))
        XCTAssertEqual(config.headCounts, [5, 10, 20, 20])
    }
}
