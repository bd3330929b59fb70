// Writes a complete diffusers pipeline folder with random weights: model_index.json, each component's
// config.json, the text encoders' (one, or SDXL's two), UNet's and VAE's safetensors (streamed parameter by
// parameter, F16 or F32), the CLIP tokenizer files (pad token per encoder) and the scheduler config. Which parameters each checkpoint holds
// comes from the engine's model constructors (RecordedParameters.swift), so what is written is what loads.

import Foundation
import Models
import SafeTensors
import Tensors

/// Writes a random-weight Stable Diffusion folder that the engine and diffusers both load.
public struct PipelineSynthesizer {
    public let configs: SynthConfigs
    public let dtype: SafeTensorsDType
    public let weights: RandomWeights
    /// A folder with the CLIP tokenizer files (vocab.json, merges.txt, special_tokens_map.json, tokenizer_config.json).
    public let tokenizerSource: URL

    public init(configs: SynthConfigs, dtype: SafeTensorsDType = .f16, seed: UInt64 = 0, tokenizerSource: URL) {
        self.configs = configs
        self.dtype = dtype
        self.weights = RandomWeights(seed: seed)
        self.tokenizerSource = tokenizerSource
    }

    /// Writes every file under `folder` (created if needed); `progress` hears each component as it starts.
    public func write(to folder: URL, progress: (String) -> Void = { _ in }) throws {
        let files = FileManager.default
        let folders = ["unet", "vae", "scheduler"] + configs.textEncoders.flatMap { [$0.component, $0.tokenizer] }
        for component in folders {
            try files.createDirectory(at: folder.appendingPathComponent(component), withIntermediateDirectories: true)
        }
        try text(configs.modelIndex, to: folder.appendingPathComponent("model_index.json"))
        try text(configs.scheduler, to: folder.appendingPathComponent("scheduler/scheduler_config.json"))
        for encoder in configs.textEncoders {
            try writeTokenizer(to: folder.appendingPathComponent(encoder.tokenizer), padToken: encoder.padToken)
            progress(encoder.component)
            let textConfig = try component(encoder.component, encoder.config, in: folder, CLIPTextConfig.self)
            try checkpoint(clipTextParameters(textConfig, withProjection: encoder.withProjection),
                           to: folder.appendingPathComponent("\(encoder.component)/model.safetensors"))
        }
        progress("unet")
        let unetConfig = try component("unet", configs.unet, in: folder, UNet2DConditionConfig.self)
        try checkpoint(unetParameters(unetConfig), to: folder.appendingPathComponent("unet/diffusion_pytorch_model.safetensors"))
        progress("vae")
        let vaeConfig = try component("vae", configs.vae, in: folder, AutoencoderKLConfig.self)
        try checkpoint(vaeParameters(vaeConfig), to: folder.appendingPathComponent("vae/diffusion_pytorch_model.safetensors"))
    }

    /// Writes `json` as the component's config.json and decodes it with the engine's own config type.
    private func component<Config: Decodable>(_ name: String, _ json: String, in folder: URL,
                                              _ type: Config.Type) throws -> Config {
        let url = folder.appendingPathComponent("\(name)/config.json")
        try text(json, to: url)
        return try decodeConfig(type, from: url)
    }

    /// Streams the parameters into a safetensors file, drawing each one just before it is written.
    private func checkpoint(_ specs: [ParameterSpec], to url: URL) throws {
        let byName = Dictionary(specs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        try SafeTensorsWriter.write(streaming: specs.map { ($0.name, $0.shape) }, to: url, dtype: dtype,
                                    metadata: ["format": "pt"]) { name, _ in
            weights.tensor(for: byName[name]!)
        }
    }

    /// Copies the tokenizer files, setting `padToken`.
    private func writeTokenizer(to destination: URL, padToken: String) throws {
        for name in ["vocab.json", "merges.txt", "special_tokens_map.json", "tokenizer_config.json"] {
            let source = tokenizerSource.appendingPathComponent(name)
            guard var contents = try? String(contentsOf: source, encoding: .utf8) else {
                throw SynthError.missingTokenizerFile(source.path)
            }
            if name.hasSuffix("_map.json") || name == "tokenizer_config.json" {
                contents = contents.replacingOccurrences(of: "\"pad_token\": \"<|endoftext|>\"",
                                                         with: "\"pad_token\": \(jsonQuoted(padToken))")
            }
            try text(contents, to: destination.appendingPathComponent(name))
        }
    }

    private func text(_ contents: String, to url: URL) throws {
        do { try contents.write(to: url, atomically: true, encoding: .utf8) } catch {
            throw SynthError.cannotWrite(url.path, reason: "\(error.localizedDescription)")
        }
    }

    private func jsonQuoted(_ value: String) -> String {
        "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

/// Writing a synthetic pipeline failed.
public enum SynthError: Error, CustomStringConvertible, Equatable {
    case missingTokenizerFile(String)
    case cannotWrite(String, reason: String)

    public var description: String {
        switch self {
        case let .missingTokenizerFile(path):
            return "tokenizer file \(path) is missing; pass --tokenizer with a folder holding the CLIP tokenizer files"
        case let .cannotWrite(path, reason):
            return "cannot write \(path): \(reason)"
        }
    }
}
