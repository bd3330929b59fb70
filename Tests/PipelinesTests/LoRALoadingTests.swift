import Foundation
import Models
import Pipelines
import SafeTensors
import Tensors
import TestSupport
import XCTest

/// Reading LoRA files: key styles, the kohya name table, alphas, resolution and the cache.
final class LoRALoadingTests: XCTestCase {
    let fixtureIDs = ["test/peft", "test/old-style", "test/kohya"]

    func testEveryKeyOfEveryFixtureMapsToALayerOfTheModel() throws {
        let pipeline = try LoRACase.pipeline()
        for id in fixtureIDs {
            let file = LoRACase.loraRoot.appendingPathComponent("\(id)/\(LoRALibrary.defaultWeightName)")
            for name in try SafeTensorsFile(contentsOf: file).names {
                guard let key = LoRAKey.parse(name) else { XCTFail("\(id): \(name) does not parse"); continue }
                let layers = key.component == .unet ? pipeline.components.unet.layerShapes : pipeline.components.textEncoder.layerShapes
                XCTAssertNotNil(layers[key.layer], "\(id): \(name) → \(key.component) \(key.layer), not a layer")
            }
        }
    }

    func testKohyaNamesSplitAtTheTableWords() {
        let cases: [(String, LoRAComponent, String)] = [
            ("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_out_0", .unet,
             "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0"),
            ("lora_unet_mid_block_attentions_0_proj_in", .unet, "mid_block.attentions.0.proj_in"),
            ("lora_unet_up_blocks_1_resnets_2_conv_shortcut", .unet, "up_blocks.1.resnets.2.conv_shortcut"),
            ("lora_unet_down_blocks_1_resnets_0_time_emb_proj", .unet, "down_blocks.1.resnets.0.time_emb_proj"),
            ("lora_unet_time_embedding_linear_2", .unet, "time_embedding.linear_2"),
            ("lora_unet_up_blocks_0_attentions_1_transformer_blocks_0_ff_net_0_proj", .unet,
             "up_blocks.0.attentions.1.transformer_blocks.0.ff.net.0.proj"),
            ("lora_te_text_model_encoder_layers_11_self_attn_out_proj", .textEncoder, "encoder.layers.11.self_attn.out_proj"),
            ("lora_te1_text_model_encoder_layers_0_mlp_fc2", .textEncoder, "encoder.layers.0.mlp.fc2"),
        ]
        for (name, component, layer) in cases {
            let mapped = KohyaNames.layer(name)
            XCTAssertEqual(mapped?.component, component, name)
            XCTAssertEqual(mapped?.key, layer, name)
        }
        XCTAssertEqual(KohyaNames.layer("lora_te2_text_model_encoder_layers_0_mlp_fc2")?.component, .textEncoder2)
    }

    func testDiffusersKeyStylesNameTheSameLayer() {
        let layer = "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_out.0"
        for name in ["unet.\(layer).lora_A.weight", "unet.\(layer).lora.down.weight",
                     "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn2.processor.to_out_lora.down.weight",
                     "down_blocks.0.attentions.0.transformer_blocks.0.attn2.processor.to_out_lora.down.weight"] {
            XCTAssertEqual(LoRAKey.parse(name), LoRAKey(component: .unet, layer: layer, factor: .down), name)
        }
        for name in ["text_encoder.text_model.encoder.layers.1.self_attn.q_proj.lora_B.weight",
                     "text_encoder.encoder.layers.1.self_attn.q_proj.lora_linear_layer.up.weight",
                     "text_encoder.text_model.encoder.layers.1.self_attn.to_q_lora.up.weight",
                     "lora_te_text_model_encoder_layers_1_self_attn_q_proj.lora_up.weight"] {
            XCTAssertEqual(LoRAKey.parse(name), LoRAKey(component: .textEncoder, layer: "encoder.layers.1.self_attn.q_proj",
                                                        factor: .up), name)
        }
    }

    func testScalesComeFromKohyaAlphasMetadataOrDefaultToOne() throws {
        let library = LoRALibrary(store: ModelStore(root: LoRACase.loraRoot.path))
        func scale(_ id: String, _ layer: String) throws -> Float? {
            try library.load(id).modules.first { $0.layer == layer }?.scale
        }
        let block = "down_blocks.0.attentions.0.transformer_blocks.0"
        // kohya: network alpha 2 over rank 4; 3×3 convs conv alpha 1 over rank 2.
        XCTAssertEqual(try scale("test/kohya", "\(block).attn1.to_q"), 0.5)
        XCTAssertEqual(try scale("test/kohya", "down_blocks.0.resnets.0.conv1"), 0.5)
        XCTAssertEqual(try scale("test/kohya", "conv_in"), 0.5)
        // PEFT metadata: lora_alpha 8 over r 4, alpha_pattern to_k → 2, rank_pattern conv1 → 2 (8 / 2).
        XCTAssertEqual(try scale("test/peft", "\(block).attn1.to_q"), 2)
        XCTAssertEqual(try scale("test/peft", "\(block).attn1.to_k"), 0.5)
        XCTAssertEqual(try scale("test/peft", "down_blocks.0.resnets.0.conv1"), 4)
        XCTAssertEqual(try scale("test/peft", "encoder.layers.0.self_attn.q_proj"), 1.5)
        // No alphas anywhere: scale 1.
        XCTAssertEqual(try scale("test/old-style", "\(block).attn1.to_q"), 1)
    }

    func testHubCacheLayoutResolves() throws {
        let root = try ScratchLoRARoot()
        let (down, up) = linearFactors(out: 16, in: 4, rank: 2)
        let snapshot = "models--org--cached/snapshots/0123abcd"
        try root.write(snapshot, ["unet.conv_in.lora_A.weight": down.reshaped([2, 4, 1, 1]),
                                  "unet.conv_in.lora_B.weight": up.reshaped([16, 2, 1, 1])])
        let refs = root.url.appendingPathComponent("models--org--cached/refs")
        try FileManager.default.createDirectory(at: refs, withIntermediateDirectories: true)
        try "0123abcd".write(to: refs.appendingPathComponent("main"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try root.library().load("org/cached").modules.map(\.layer), ["conv_in"])
    }

    func testSingleWeightFileWithAnotherNameIsUsed() throws {
        let root = try ScratchLoRARoot()
        let (down, up) = linearFactors(out: 64, in: 16, rank: 2)
        try root.write("org/renamed", ["unet.time_embedding.linear_1.lora_A.weight": down,
                                       "unet.time_embedding.linear_1.lora_B.weight": up], fileName: "my_style.safetensors")
        XCTAssertEqual(try root.library().load("org/renamed").file.lastPathComponent, "my_style.safetensors")
    }

    func testCacheKeepsLoadedLoRAsWithoutRereading() throws {
        let root = try ScratchLoRARoot()
        let (down, up) = linearFactors(out: 64, in: 16, rank: 2)
        let file = try root.write("org/once", ["unet.time_embedding.linear_1.lora_A.weight": down,
                                               "unet.time_embedding.linear_1.lora_B.weight": up])
        let library = root.library()
        let first = try library.load("org/once")
        try FileManager.default.removeItem(at: file)
        XCTAssertEqual(try library.load("org/once").modules.count, first.modules.count)
    }

    func testCacheEvictsTheLeastRecentlyUsedBeyondItsCapacity() throws {
        let root = try ScratchLoRARoot()
        let (down, up) = linearFactors(out: 64, in: 16, rank: 2)
        for i in 0..<4 {
            try root.write("org/lora\(i)", ["unet.time_embedding.linear_1.lora_A.weight": down,
                                            "unet.time_embedding.linear_1.lora_B.weight": up])
        }
        let library = root.library(capacity: 3)
        for i in [0, 1, 2, 0, 3] { _ = try library.load("org/lora\(i)") }
        XCTAssertEqual(library.loadedIDs, ["org/lora2", "org/lora0", "org/lora3"])
    }

    func testTwelveLoRAsStayLoadedByDefault() {
        XCTAssertEqual(LoRALibrary(store: ModelStore(root: "/nonexistent")).capacity, 12)
    }

    func testStrengthsParseLikePythonsFloat() throws {
        XCTAssertEqual(try LoRASelection.parse(""), [:])
        XCTAssertEqual(try LoRASelection.parse("{}"), [:])
        XCTAssertEqual(try LoRASelection.parse("{\"a/b\": 0.7, \"c\": 1, \"d\": \"0.25\", \"e\": true}"),
                       ["a/b": 0.7, "c": 1, "d": 0.25, "e": 1])
        XCTAssertEqual(try LoRASelection.parse("{\"a\": 0}"), ["a": 0])
    }

    func testLinearLoRAStoredAsOneByOneConvFitsALinearLayer() throws {
        let root = try ScratchLoRARoot()
        let (down, up) = linearFactors(out: 32, in: 32, rank: 2)
        let layer = "mid_block.attentions.0.transformer_blocks.0.attn1.to_v"
        let stem = "lora_unet_mid_block_attentions_0_transformer_blocks_0_attn1_to_v"
        try root.write("org/conv-shaped", ["\(stem).lora_down.weight": down.reshaped([2, 32, 1, 1]),
                                           "\(stem).lora_up.weight": up.reshaped([32, 2, 1, 1])])
        let pipeline = try LoRACase.pipeline(library: root.library())
        let binding = try pipeline.components.loraBinding(for: ["org/conv-shaped": 1])
        XCTAssertEqual(binding[.unet].patches[layer]?.updates.first?.down.shape, [2, 32])
        XCTAssertEqual(binding[.unet].patches[layer]?.updates.first?.up.shape, [32, 2])
    }
}

/// kohya's SDXL names: Stability's UNet blocks placed by layers per block, `lora_te2_` for the second encoder.
final class StabilityUNetNamesTests: XCTestCase {
    func testBlocksMapAsDiffusersMapsThem() {
        let cases: [(String, String?)] = [
            ("input_blocks.0.0", "conv_in"), ("out.2", "conv_out"), ("label_emb.0.0", "add_embedding.linear_1"),
            ("time_embed.2", "time_embedding.linear_2"),
            ("input_blocks.1.0.in_layers.2", "down_blocks.0.resnets.0.conv1"),
            ("input_blocks.3.0.op", "down_blocks.0.downsamplers.0.conv"),
            ("input_blocks.4.1.transformer_blocks.0.attn1.to_q", "down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q"),
            ("input_blocks.8.0.skip_connection", "down_blocks.2.resnets.1.conv_shortcut"),
            ("middle_block.0.emb_layers.1", "mid_block.resnets.0.time_emb_proj"),
            ("middle_block.1.proj_out", "mid_block.attentions.0.proj_out"),
            ("middle_block.2.out_layers.3", "mid_block.resnets.1.conv2"),
            ("output_blocks.2.2.conv", "up_blocks.0.upsamplers.0.conv"),
            ("output_blocks.5.1.transformer_blocks.1.ff.net.2", "up_blocks.1.attentions.2.transformer_blocks.1.ff.net.2"),
            ("output_blocks.6.0.in_layers.2", "up_blocks.2.resnets.0.conv1"),
            ("middle_block.3.proj_in", nil), ("input_blocks.1.2.conv", nil),
        ]
        for (stability, diffusers) in cases {
            XCTAssertEqual(StabilityUNetNames.diffusersKey(stability, layersPerBlock: 2), diffusers, stability)
        }
        XCTAssertEqual(StabilityUNetNames.diffusersKey("input_blocks.3.0.in_layers.2", layersPerBlock: 1),
                       "down_blocks.1.resnets.0.conv1", "placed by the UNet's layers per block")
    }

    /// Found by Fuzz/FuzzLoRAJSON: `Int` reads "-1", which indexed the part table from the end and trapped.
    func testNegativeBlockNumbersAreOutsideTheMap() {
        for key in ["input_blocks.1.-1.conv", "output_blocks.0.-1.conv", "output_blocks.-3.0.in_layers.2"] {
            XCTAssertNil(StabilityUNetNames.diffusersKey(key, layersPerBlock: 2), key)
        }
    }

    func testKohyaNamesSplitStabilityAndSecondEncoderWords() {
        XCTAssertEqual(LoRAKey.parse("lora_unet_input_blocks_4_1_transformer_blocks_0_attn2_to_out_0.lora_up.weight"),
                       LoRAKey(component: .unet, layer: "input_blocks.4.1.transformer_blocks.0.attn2.to_out.0", factor: .up))
        XCTAssertEqual(LoRAKey.parse("lora_unet_label_emb_0_0.alpha"),
                       LoRAKey(component: .unet, layer: "label_emb.0.0", factor: .alpha))
        XCTAssertEqual(LoRAKey.parse("lora_unet_output_blocks_3_0_skip_connection.lora_down.weight")?.layer,
                       "output_blocks.3.0.skip_connection")
        XCTAssertEqual(LoRAKey.parse("lora_te2_text_model_encoder_layers_31_mlp_fc1.lora_down.weight"),
                       LoRAKey(component: .textEncoder2, layer: "encoder.layers.31.mlp.fc1", factor: .down))
        XCTAssertEqual(LoRAKey.parse("text_encoder_2.text_model.encoder.layers.0.self_attn.q_proj.lora_A.weight"),
                       LoRAKey(component: .textEncoder2, layer: "encoder.layers.0.self_attn.q_proj", factor: .down))
    }
}
