import Models
import SafeTensors
import Tensors
import TestSupport
import XCTest

/// CLIP text encoders against transformers' `CLIPTextModel` and `CLIPTextModelWithProjection` (fixtures from
/// tiny random models): max|Δ|/max|ref| ≤ 1e-4 (SD) or ≤ 1e-5 (SDXL's second encoder) for the last hidden
/// state, the penultimate layer, the pooled output and the projected `text_embeds`.
final class TextEncoderTests: XCTestCase {
    /// The fixture in `folder` under Tests/Fixtures; its `text_embeds`, when present, are checked too.
    func check(_ folder: String, model: CLIPTextModel? = nil, tolerance: Float = 1e-4) throws {
        let encoder = try model ?? CLIPTextModel(directory: Fixtures.url(folder))
        let expected = try Fixtures.tensors("\(folder)/expected.safetensors")
        let ids = expected["input_ids"]!
        let rows = (0..<ids.shape[0]).map { b in (0..<ids.shape[1]).map { Int(ids[b, $0]) } }
        let output = encoder(rows)
        XCTAssertClose(output.lastHiddenState, expected["last_hidden_state"]!, relativeTolerance: tolerance, "\(folder) last")
        XCTAssertClose(output.hiddenStates[output.hiddenStates.count - 2], expected["hidden_state_minus2"]!,
                       relativeTolerance: tolerance, "\(folder) hidden_states[-2]")
        XCTAssertClose(output.pooled, expected["pooled"]!, relativeTolerance: tolerance, "\(folder) pooled")
        if let textEmbeds = expected["text_embeds"] {
            guard let computed = output.textEmbeds else { return XCTFail("\(folder): no text_embeds computed") }
            XCTAssertClose(computed, textEmbeds, relativeTolerance: tolerance, "\(folder) text_embeds")
        }
    }

    func testSD1TextEncoderQuickGELULegacyEOSMatchesTransformers() throws { try check("models/text_sd1") }
    func testSD2TextEncoderGELUFirstEOSMatchesTransformers() throws { try check("models/text_sd2") }

    func testSDXLSecondEncoderWithProjectionMatchesTransformers() throws {
        let folder = "sdxl_models/text_sdxl_2"
        try check(folder, model: CLIPTextModel(directory: Fixtures.url(folder), withProjection: true), tolerance: 1e-5)
    }

    func testProjectionLoadsFromBareTextModelKeys() throws {
        // transformers 5's `CLIPTextModel` form: no `text_model.` prefix; `text_projection` must still be read, not
        // reported as an unexpected key of the text model.
        let folder = "sdxl_models/text_sdxl_2"
        let hub = try SafeTensorsFile(contentsOf: Fixtures.url("\(folder)/model.safetensors"))
        let config = try decodeConfig(CLIPTextConfig.self, from: Fixtures.url("\(folder)/config.json"))
        try check(folder, model: CLIPTextModel(config: config, source: BareTextModelKeys(base: hub), withProjection: true),
                  tolerance: 1e-5)
    }

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

/// A checkpoint's tensors with the `text_model.` prefix removed from their names.
private struct BareTextModelKeys: TensorSource {
    let base: TensorSource
    private static let prefix = "text_model."

    var names: [String] {
        base.names.map { $0.hasPrefix(Self.prefix) ? String($0.dropFirst(Self.prefix.count)) : $0 }.sorted()
    }

    func tensor(_ name: String) throws -> Tensor {
        try base.tensor(base.names.contains(Self.prefix + name) ? Self.prefix + name : name)
    }
}
