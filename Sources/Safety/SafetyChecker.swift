// The Livepeer runner's safety check: `CLIPImageProcessor` (PIL) pixel values, cast to float16 as the runner
// does, through diffusers' `StableDiffusionSafetyChecker` in float32 → one verdict per image.
// Loads from a checker folder: config.json + model.safetensors, and preprocessor_config.json when present.

import Foundation
import Images
import Models
import SafeTensors
import Tensors

/// How pixel values reach the checker's float32 weights.
public enum PixelValuePrecision: Sendable {
    /// Rounded to float16 first, as the runner does (`pixel_values.to(torch.float16)`; transformers then casts
    /// them back to the float32 weights' dtype in `CLIPVisionEmbeddings`).
    case float16
    /// Unrounded (diffusers' own pipelines, which pass the checker's dtype).
    case float32
}

/// The NSFW check applied to generated images: image processor + `StableDiffusionSafetyChecker`.
public struct SafetyChecker {
    public let processor: CLIPImageProcessor
    public let model: StableDiffusionSafetyChecker
    public let precision: PixelValuePrecision

    /// Combines a model and a processor; throws when the processor's crop does not fit the vision tower.
    public init(model: StableDiffusionSafetyChecker, processor: CLIPImageProcessor = CLIPImageProcessor(),
                precision: PixelValuePrecision = .float16) throws {
        let size = model.config.visionConfig.imageSize, config = processor.config
        if config.doCenterCrop, config.cropWidth != size || config.cropHeight != size {
            throw SafetyError.inputSizeMismatch(width: config.cropWidth, height: config.cropHeight, imageSize: size)
        }
        if !config.doCenterCrop, config.doResize, case let .exact(width, height) = config.size, width != size || height != size {
            throw SafetyError.inputSizeMismatch(width: width, height: height, imageSize: size)
        }
        self.model = model
        self.processor = processor
        self.precision = precision
    }

    /// Loads a checker folder (`config.json`, `model.safetensors`); the processor settings come from
    /// `preprocessorConfig` if given, else the folder's `preprocessor_config.json`, else openai/clip-vit-base-patch32's.
    public init(directory: URL, preprocessorConfig: URL? = nil, precision: PixelValuePrecision = .float16) throws {
        let configURL = directory.appendingPathComponent("config.json")
        try Self.require(configURL, role: "the checker's CLIPConfig")
        let source: TensorSource
        do { source = try openCheckpoint(in: directory, baseName: "model") } catch let error as CheckpointNotFound {
            throw SafetyError.missingFile(path: directory.appendingPathComponent("model.safetensors").path,
                                          role: "the checker's weights; looked for \(error.tried.joined(separator: ", "))")
        }
        let model = try StableDiffusionSafetyChecker(
            config: try decodeConfig(SafetyCheckerConfig.self, from: configURL), source: source)
        let processor: CLIPImageProcessor
        if let preprocessorConfig {
            try Self.require(preprocessorConfig, role: "the image processor settings")
            processor = try CLIPImageProcessor(contentsOf: preprocessorConfig)
        } else {
            let local = directory.appendingPathComponent("preprocessor_config.json")
            processor = FileManager.default.fileExists(atPath: local.path) ? try CLIPImageProcessor(contentsOf: local)
                                                                           : CLIPImageProcessor()
        }
        try self.init(model: model, processor: processor, precision: precision)
    }

    /// The pixel values the checker sees: the processor's output, rounded to float16 when `precision` says so.
    public func pixelValues(_ images: [RGBImage]) throws -> Tensor {
        var values = try processor.pixelValues(images)
        let size = model.config.visionConfig.imageSize
        guard values.shape[2] == size && values.shape[3] == size else {
            throw SafetyError.inputSizeMismatch(width: values.shape[3], height: values.shape[2], imageSize: size)
        }
        if precision == .float16 {
            values.withUnsafeMutableBufferPointer { buffer in
                for i in buffer.indices { buffer[i] = floatFromHalfBits(halfBits(from: buffer[i])) }
            }
        }
        return values
    }

    /// One verdict per image (an empty batch gives none).
    public func check(_ images: [RGBImage]) throws -> [SafetyResult] {
        guard !images.isEmpty else { return [] }
        return model(try pixelValues(images))
    }

    private static func require(_ url: URL, role: String) throws {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw SafetyError.missingFile(path: url.path, role: role)
        }
    }
}
