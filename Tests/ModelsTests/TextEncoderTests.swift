import Models
import SafeTensors
import Tensors
import TestSupport
import XCTest

/// CLIP text encoders against transformers' `CLIPTextModel` (fixtures from tiny random models):
/// max|Δ|/max|ref| ≤ 1e-4 for the last hidden state, the penultimate layer and the pooled output.
final class TextEncoderTests: XCTestCase {
    func check(_ name: String) throws {
        let folder = Fixtures.url("models/\(name)")
        let model = try CLIPTextModel(directory: folder)
        let expected = try Fixtures.tensors("models/\(name)/expected.safetensors")
        let ids = expected["input_ids"]!
        let rows = (0..<ids.shape[0]).map { b in (0..<ids.shape[1]).map { Int(ids[b, $0]) } }
        let output = model(rows)
        XCTAssertClose(output.lastHiddenState, expected["last_hidden_state"]!, relativeTolerance: 1e-4, "\(name) last")
        XCTAssertClose(output.hiddenStates[output.hiddenStates.count - 2], expected["hidden_state_minus2"]!,
                       relativeTolerance: 1e-4, "\(name) hidden_states[-2]")
        XCTAssertClose(output.pooled, expected["pooled"]!, relativeTolerance: 1e-4, "\(name) pooled")
    }

    func testSD1TextEncoderQuickGELULegacyEOSMatchesTransformers() throws { try check("text_sd1") }
    func testSD2TextEncoderGELUFirstEOSMatchesTransformers() throws { try check("text_sd2") }

    func testMissingAndUnexpectedKeysAreReportedByName() throws {
        let source = try SafeTensorsFile(contentsOf: Fixtures.url("models/text_sd1/model.safetensors"))
        var config = CLIPTextConfig()
        config.hiddenSize = 32; config.intermediateSize = 37; config.numHiddenLayers = 4
        config.numAttentionHeads = 4; config.vocabSize = 1000
        XCTAssertThrowsError(try CLIPTextModel(config: config, source: source)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("missing key text_model.encoder.layers.3.self_attn.q_proj.weight"), message)
        }
        config.numHiddenLayers = 2
        XCTAssertThrowsError(try CLIPTextModel(config: config, source: source)) { error in
            XCTAssertTrue("\(error)".contains("unexpected key text_model.encoder.layers.2."), "\(error)")
        }
        config.numHiddenLayers = 3; config.intermediateSize = 40
        XCTAssertThrowsError(try CLIPTextModel(config: config, source: source)) { error in
            XCTAssertTrue("\(error)".contains("shape mismatch for text_model.encoder.layers.0.mlp.fc1.weight"), "\(error)")
        }
    }
}
