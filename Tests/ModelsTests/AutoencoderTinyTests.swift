import Foundation
import Models
import Tensors
import TestSupport
import XCTest

/// AutoencoderTiny (TAESD's architecture, 8 channels wide, random weights) against diffusers
/// (Tests/Fixtures/previews/taesd, from gen_previews.py): the decoder on a batch of two latents with σ = 2 (so the
/// tanh clamp matters) and the encoder on a 64×64 image, max|Δ|/max|ref| ≤ 1e-5.
final class AutoencoderTinyTests: XCTestCase {
    private let folder = Fixtures.url("previews/taesd")

    func testDecoderMatchesDiffusers() throws {
        let model = try AutoencoderTiny(directory: folder)
        let expected = try Fixtures.tensors("previews/taesd.safetensors")
        let decoded = model.decode(try XCTUnwrap(expected["latents"]))
        XCTAssertEqual(decoded.shape, [2, 3, 64, 64])
        XCTAssertClose(decoded, try XCTUnwrap(expected["decoded"]), relativeTolerance: 1e-5, "decoded")
    }

    func testEncoderMatchesDiffusers() throws {
        let model = try AutoencoderTiny(directory: folder)
        let expected = try Fixtures.tensors("previews/taesd.safetensors")
        XCTAssertClose(model.encode(try XCTUnwrap(expected["image"])), try XCTUnwrap(expected["encoded"]),
                       relativeTolerance: 1e-5, "encoded")
    }

    func testConfigReadsDiffusersFieldsAndDefaults() throws {
        let model = try AutoencoderTiny(directory: folder)
        XCTAssertEqual(model.config.decoderBlockOutChannels, [8, 8, 8, 8])
        XCTAssertEqual(model.config.numDecoderBlocks, [3, 3, 3, 1])
        XCTAssertEqual(model.config.numEncoderBlocks, [1, 3, 3, 3])
        XCTAssertEqual(model.config.scalingFactor, 1)
        XCTAssertEqual(model.config.spatialScale, 8)
    }

    func testUnsupportedUpsamplingIsRejectedByName() throws {
        let json = Data(#"{"upsample_fn": "bilinear"}"#.utf8)
        XCTAssertThrowsError(try decodeConfig(AutoencoderTinyConfig.self, from: json, file: "config.json")) {
            XCTAssertEqual($0 as? ConfigError,
                           .unsupported(field: "upsample_fn", value: "bilinear", supported: "nearest"))
        }
    }

    func testMismatchedBlockListsAreRejected() throws {
        let json = Data(#"{"decoder_block_out_channels": [8, 8], "num_decoder_blocks": [3, 3, 1]}"#.utf8)
        XCTAssertThrowsError(try decodeConfig(AutoencoderTinyConfig.self, from: json, file: "config.json")) {
            guard case .unsupported(field: "num_decoder_blocks", _, _)? = $0 as? ConfigError else {
                return XCTFail("expected num_decoder_blocks to be named, got \($0)")
            }
        }
    }
}
