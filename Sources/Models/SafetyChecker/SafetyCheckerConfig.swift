// The safety checker's config.json: a transformers `CLIPConfig` of which the checker uses the vision tower
// and `projection_dim`. Old Hub configs also carry `vision_config_dict`; like transformers, its values
// (completed with CLIPVisionConfig's defaults) replace those of `vision_config`.

import Foundation

/// The parts of `CLIPConfig` that diffusers' `StableDiffusionSafetyChecker` uses.
public struct SafetyCheckerConfig: Decodable, Equatable {
    public var visionConfig = CLIPVisionConfig()
    /// Width of `visual_projection`'s output and of the concept embeddings (CLIPConfig's default: 512).
    public var projectionDim = 512

    enum CodingKeys: String, CodingKey {
        case visionConfig = "vision_config", visionConfigDict = "vision_config_dict", projectionDim = "projection_dim"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let legacy = try c.decodeIfPresent(CLIPVisionConfig.self, forKey: .visionConfigDict) {
            visionConfig = legacy
        } else {
            visionConfig = try c.value(.visionConfig, default: CLIPVisionConfig())
        }
        projectionDim = try c.value(.projectionDim, default: 512)
        guard projectionDim > 0 else {
            throw ConfigError.unsupported(field: "projection_dim", value: "\(projectionDim)", supported: "a positive width")
        }
    }
}
