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
        let expected: [SynthArchitecture: (text: Int, unet: Int, vae: Int)] = [
            .sd15: (123_060_480, 859_520_964, 83_653_863),
            .sd21: (340_387_840, 865_910_724, 83_653_863),
        ]
        for (arch, counts) in expected {
            let configs = arch.configs
            let text = try JSONDecoder().decode(CLIPTextConfig.self, from: Data(configs.textEncoder.utf8))
            let unet = try JSONDecoder().decode(UNet2DConditionConfig.self, from: Data(configs.unet.utf8))
            let vae = try JSONDecoder().decode(AutoencoderKLConfig.self, from: Data(configs.vae.utf8))
            func total(_ specs: [ParameterSpec]) -> Int { specs.reduce(0) { $0 + Tensor.elementCount(of: $1.shape) } }
            XCTAssertEqual(total(clipTextParameters(text)), counts.text, "\(arch) text encoder")
            XCTAssertEqual(total(unetParameters(unet)), counts.unet, "\(arch) UNet")
            XCTAssertEqual(total(vaeParameters(vae)), counts.vae, "\(arch) VAE")
        }
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
