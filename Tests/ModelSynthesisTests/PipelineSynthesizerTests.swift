import Foundation
import Models
import ModelSynthesis
import SafeTensors
import Tensors
import TestSupport
import XCTest

/// The synthetic pipeline writer: its checkpoints load into the engine's strict loaders (no missing, unexpected
/// or mis-shaped key), its values follow each role's distribution, and it is deterministic.
final class PipelineSynthesizerTests: XCTestCase {
    /// The repository's weights/ folder (found from this file's path).
    static let weights = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("weights")

    /// The bundled tiny model's configs: a small SD1.x architecture that writes in well under a second.
    func tinyConfigs() throws -> SynthConfigs {
        let tiny = Self.weights.appendingPathComponent("tiny-sd")
        func read(_ path: String) throws -> String { try String(contentsOf: tiny.appendingPathComponent(path), encoding: .utf8) }
        return SynthConfigs(modelIndex: try read("model_index.json"), textEncoder: try read("text_encoder/config.json"),
                            unet: try read("unet/config.json"), vae: try read("vae/config.json"),
                            scheduler: try read("scheduler/scheduler_config.json"), padToken: "!")
    }

    func synthesize(seed: UInt64 = 0) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("synth-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let synthesizer = PipelineSynthesizer(configs: try tinyConfigs(), dtype: .f16, seed: seed,
                                              tokenizerSource: Self.weights.appendingPathComponent("clip-tokenizer"))
        try synthesizer.write(to: folder)
        return folder
    }

    func testSynthesizedCheckpointsLoadWithoutProblems() throws {
        let folder = try synthesize()
        XCTAssertNoThrow(try CLIPTextModel(directory: folder.appendingPathComponent("text_encoder")))
        XCTAssertNoThrow(try UNet2DConditionModel(directory: folder.appendingPathComponent("unet")))
        XCTAssertNoThrow(try AutoencoderKL(directory: folder.appendingPathComponent("vae")))
    }

    func testFullSizeLayoutsHaveTheKnownParameterCounts() throws {
        // Parameter counts of the real checkpoints (diffusers / transformers `num_parameters()`).
        let expected: [SynthArchitecture: (text: [Int], unet: Int, vae: Int)] = [
            .sd15: ([123_060_480], 859_520_964, 83_653_863),
            .sd21: ([340_387_840], 865_910_724, 83_653_863),
            .sdxl: ([123_060_480, 694_659_840], 2_567_463_684, 83_653_863),
            .sdxlTurbo: ([123_060_480, 694_659_840], 2_567_463_684, 83_653_863),
            .sdxlRefiner: ([694_659_840], 2_259_526_660, 83_653_863),
        ]
        for (arch, counts) in expected {
            let configs = arch.configs
            let unet = try JSONDecoder().decode(UNet2DConditionConfig.self, from: Data(configs.unet.utf8))
            let vae = try JSONDecoder().decode(AutoencoderKLConfig.self, from: Data(configs.vae.utf8))
            func total(_ specs: [ParameterSpec]) -> Int { specs.reduce(0) { $0 + Tensor.elementCount(of: $1.shape) } }
            let text = try configs.textEncoders.map { encoder in
                let config = try JSONDecoder().decode(CLIPTextConfig.self, from: Data(encoder.config.utf8))
                return total(try clipTextParameters(config, withProjection: encoder.withProjection))
            }
            XCTAssertEqual(text, counts.text, "\(arch) text encoders")
            XCTAssertEqual(total(try unetParameters(unet)), counts.unet, "\(arch) UNet")
            XCTAssertEqual(total(try vaeParameters(vae)), counts.vae, "\(arch) VAE")
        }
    }

    func testSDXLFoldersListBothEncodersAndTheirPads() throws {
        let index = try JSONSerialization.jsonObject(with: Data(SynthArchitecture.sdxl.configs.modelIndex.utf8)) as! [String: Any]
        XCTAssertEqual(index["_class_name"] as? String, "StableDiffusionXLPipeline")
        XCTAssertEqual(index["force_zeros_for_empty_prompt"] as? Bool, true)
        XCTAssertEqual(SynthArchitecture.sdxl.configs.textEncoders.map(\.padToken), ["<|endoftext|>", "!"])
        let refiner = try JSONSerialization.jsonObject(with: Data(SynthArchitecture.sdxlRefiner.configs.modelIndex.utf8))
            as! [String: Any]
        XCTAssertEqual(refiner["requires_aesthetics_score"] as? Bool, true)
        XCTAssertTrue(refiner["text_encoder"] is [NSNull])
    }

    func testCheckpointsHoldExactlyTheRecordedParameters() throws {
        // What synthesis writes is what the constructors read: the same keys, the same shapes, nothing more.
        let folder = try synthesize()
        let configs = try tinyConfigs()
        let expected: [(file: String, specs: [ParameterSpec])] = [
            ("text_encoder/model.safetensors",
             try clipTextParameters(JSONDecoder().decode(CLIPTextConfig.self, from: Data(configs.textEncoders[0].config.utf8)))),
            ("unet/diffusion_pytorch_model.safetensors",
             try unetParameters(JSONDecoder().decode(UNet2DConditionConfig.self, from: Data(configs.unet.utf8)))),
            ("vae/diffusion_pytorch_model.safetensors",
             try vaeParameters(JSONDecoder().decode(AutoencoderKLConfig.self, from: Data(configs.vae.utf8)))),
        ]
        for (file, specs) in expected {
            let checkpoint = try SafeTensorsFile(contentsOf: folder.appendingPathComponent(file))
            XCTAssertEqual(Set(checkpoint.names), Set(specs.map(\.name)), file)
            XCTAssertEqual(checkpoint.names.count, specs.count, "\(file): a key was recorded twice")
            for spec in specs {
                XCTAssertEqual(checkpoint.info(spec.name)?.shape, spec.shape, "\(file): \(spec.name)")
            }
        }
    }

    func testRecordedParametersAreTheLayoutsDiffusersWrites() throws {
        // The model fixtures were saved by diffusers / transformers: every key and stored shape (a 1×1-conv proj_in
        // as [out, in, 1, 1], SD2's linear one as [out, in]) must be what recording their configs gives.
        func config<Config: Decodable>(_ folder: String, _ type: Config.Type) throws -> Config {
            try decodeConfig(type, from: Fixtures.url("\(folder)/config.json"))
        }
        var cases: [(folder: String, file: String, specs: [ParameterSpec])] = []
        for folder in ["models/text_sd1", "models/text_sd2"] {
            cases.append((folder, "model.safetensors", try clipTextParameters(config(folder, CLIPTextConfig.self))))
        }
        let withProjection = "sdxl_models/text_sdxl_2"
        cases.append((withProjection, "model.safetensors",
                      try clipTextParameters(config(withProjection, CLIPTextConfig.self), withProjection: true)))
        for folder in ["models/unet_sd1", "models/unet_sd2", "models/unet_ip2p", "models/unet_variant",
                       "sdxl_models/unet_sdxl", "sdxl_models/unet_sdxl_refiner"] {
            cases.append((folder, "diffusion_pytorch_model.safetensors",
                          try unetParameters(config(folder, UNet2DConditionConfig.self))))
        }
        cases.append(("models/vae", "diffusion_pytorch_model.safetensors",
                      try vaeParameters(config("models/vae", AutoencoderKLConfig.self))))
        for (folder, file, specs) in cases {
            let checkpoint = try SafeTensorsFile(contentsOf: Fixtures.url("\(folder)/\(file)"))
            let stored = Dictionary(uniqueKeysWithValues: checkpoint.names.compactMap { name in
                checkpoint.info(name).map { (name, $0.shape) }
            })
            let recorded = Dictionary(specs.map { ($0.name, $0.shape) }, uniquingKeysWith: { first, _ in first })
            XCTAssertEqual(specs.count, recorded.count, "\(folder): a key was recorded twice")
            XCTAssertEqual(Set(recorded.keys), Set(stored.keys), folder)
            for (name, shape) in recorded where stored[name] != nil {
                XCTAssertEqual(shape, stored[name], "\(folder): \(name)")
            }
        }
    }

    func testTextTimeUNetLayoutHasTheKnownParameterCounts() throws {
        // SDXL base and refiner UNets (architecture fields of their config.json; diffusers `num_parameters()`).
        let base = #"{"addition_embed_type": "text_time", "addition_time_embed_dim": 256, "attention_head_dim": [5, 10, 20], "block_out_channels": [320, 640, 1280], "cross_attention_dim": 2048, "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"], "projection_class_embeddings_input_dim": 2816, "transformer_layers_per_block": [1, 2, 10], "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"], "upcast_attention": null, "use_linear_projection": true}"#
        let refiner = #"{"addition_embed_type": "text_time", "addition_time_embed_dim": 256, "attention_head_dim": [6, 12, 24, 24], "block_out_channels": [384, 768, 1536, 1536], "cross_attention_dim": 1280, "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"], "projection_class_embeddings_input_dim": 2560, "transformer_layers_per_block": 4, "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"], "upcast_attention": null, "use_linear_projection": true}"#
        for (json, count, addEmbedding) in [(base, 2_567_463_684, [1280, 2816]), (refiner, 2_259_526_660, [1536, 2560])] {
            let specs = try unetParameters(JSONDecoder().decode(UNet2DConditionConfig.self, from: Data(json.utf8)))
            XCTAssertEqual(specs.reduce(0) { $0 + Tensor.elementCount(of: $1.shape) }, count)
            XCTAssertEqual(specs.first { $0.name == "add_embedding.linear_1.weight" }?.shape, addEmbedding)
        }
    }

    func testSynthesizedTextTimeUNetLoadsAndRunsWithAddedConditioning() throws {
        let config = try decodeConfig(UNet2DConditionConfig.self, from: Fixtures.url("sdxl_models/unet_sdxl/config.json"))
        let specs = try unetParameters(config)
        let random = RandomWeights(seed: 5)
        let bytes = try SafeTensorsWriter.serialize(specs.map { ($0.name, random.tensor(for: $0)) })
        let unet = try UNet2DConditionModel(config: config, weights: Weights(source: SafeTensorsFile(bytes: bytes)))
        let pooled = Tensor(shape: [1, 24], values: (0..<24).map { Float($0) / 24 })
        let timeIDs = Tensor(shape: [1, 6], values: [64, 48, 0, 0, 64, 48])
        let output = unet(Tensor(zeros: [1, 4, 8, 8]), timesteps: [500], encoderHiddenStates: Tensor(zeros: [1, 3, 40]),
                          addedTextEmbeds: pooled, addedTimeIDs: timeIDs)
        XCTAssertEqual(output.shape, [1, 4, 8, 8])
        XCTAssertTrue(output.scalars.allSatisfy(\.isFinite))
    }

    func testRolesAreReadOffKeysAndShapes() throws {
        var config = CLIPTextConfig()
        config.hiddenSize = 16
        config.intermediateSize = 32
        config.numHiddenLayers = 1
        config.numAttentionHeads = 2
        config.vocabSize = 10
        let text = Dictionary(uniqueKeysWithValues: try clipTextParameters(config, withProjection: true).map { ($0.name, $0) })
        XCTAssertEqual(text["text_model.embeddings.token_embedding.weight"]?.role, .embedding(std: 0.02))
        XCTAssertEqual(text["text_model.embeddings.position_embedding.weight"]?.role, .embedding(std: 0.01))
        XCTAssertEqual(text["text_model.encoder.layers.0.mlp.fc2.weight"]?.role, .matrix(fanIn: 32))
        XCTAssertEqual(text["text_model.encoder.layers.0.mlp.fc2.bias"]?.role, .bias)
        XCTAssertEqual(text["text_model.final_layer_norm.weight"]?.role, .normScale)
        XCTAssertEqual(text["text_model.final_layer_norm.bias"]?.role, .normShift)
        XCTAssertEqual(text["text_projection.weight"]?.shape, [config.projectionDim, 16])

        let unetConfig = try JSONDecoder().decode(UNet2DConditionConfig.self, from: Data(try tinyConfigs().unet.utf8))
        let unet = Dictionary(uniqueKeysWithValues: try unetParameters(unetConfig).map { ($0.name, $0) })
        let width = unetConfig.blockOutChannels[0]
        XCTAssertEqual(unet["conv_in.weight"]?.role, .matrix(fanIn: unetConfig.inChannels * 9))
        XCTAssertEqual(unet["conv_in.bias"]?.role, .bias)
        XCTAssertEqual(unet["time_embedding.linear_1.weight"]?.role, .matrix(fanIn: width))
        XCTAssertEqual(unet["conv_norm_out.weight"]?.role, .normScale)
        XCTAssertEqual(unet["conv_norm_out.bias"]?.role, .normShift)
    }

    func testMatrixValuesHaveVarianceOneOverFanIn() {
        // 256×1024 draws: the sample standard deviation is within 1% of 1/√1024 with overwhelming probability.
        let spec = ParameterSpec("w", [256, 1024], .matrix(fanIn: 1024))
        let values = RandomWeights(seed: 7).tensor(for: spec).scalars
        let mean = values.reduce(0, +) / Float(values.count)
        let std = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)).squareRoot()
        XCTAssertEqual(std, 1 / 32, accuracy: 0.01 / 32, "std \(std)")
        XCTAssertEqual(mean, 0, accuracy: 1e-3, "mean \(mean)")
    }

    func testSameSeedWritesIdenticalFiles() throws {
        let a = try synthesize(seed: 3), b = try synthesize(seed: 3)
        for file in ["unet/diffusion_pytorch_model.safetensors", "text_encoder/model.safetensors"] {
            let first = try Data(contentsOf: a.appendingPathComponent(file))
            let second = try Data(contentsOf: b.appendingPathComponent(file))
            XCTAssertTrue(first == second, "\(file) differs between two runs with the same seed")
        }
    }

    func testTokenizerGetsTheArchitecturesPadToken() throws {
        let folder = try synthesize()
        let map = try String(contentsOf: folder.appendingPathComponent("tokenizer/special_tokens_map.json"), encoding: .utf8)
        XCTAssertTrue(map.contains("\"pad_token\": \"!\""), map)
    }
}
