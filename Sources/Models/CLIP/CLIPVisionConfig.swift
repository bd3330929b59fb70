// transformers `CLIPVisionConfig`: the vision tower's sizes, decoded from a `vision_config` object (or a
// standalone CLIPVisionModel's config.json) with transformers' defaults for absent fields.

import Foundation
import Tensors

/// `CLIPVisionConfig`, with transformers' defaults (those of openai/clip-vit-base-patch32's vision tower).
public struct CLIPVisionConfig: Decodable, Equatable {
    public var hiddenSize = 768
    public var intermediateSize = 3072
    public var numHiddenLayers = 12
    public var numAttentionHeads = 12
    public var numChannels = 3
    public var imageSize = 224
    public var patchSize = 32
    public var hiddenAct = "quick_gelu"
    public var layerNormEps: Float = 1e-5

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case numChannels = "num_channels", imageSize = "image_size", patchSize = "patch_size"
        case hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CLIPVisionConfig()
        hiddenSize = try c.value(.hiddenSize, default: d.hiddenSize)
        intermediateSize = try c.value(.intermediateSize, default: d.intermediateSize)
        numHiddenLayers = try c.value(.numHiddenLayers, default: d.numHiddenLayers)
        numAttentionHeads = try c.value(.numAttentionHeads, default: d.numAttentionHeads)
        numChannels = try c.value(.numChannels, default: d.numChannels)
        imageSize = try c.value(.imageSize, default: d.imageSize)
        patchSize = try c.value(.patchSize, default: d.patchSize)
        hiddenAct = try c.value(.hiddenAct, default: d.hiddenAct)
        layerNormEps = try c.value(.layerNormEps, default: d.layerNormEps)
        try validate()
    }

    /// Throws a `ConfigError` naming the first field this engine cannot run.
    public func validate() throws {
        guard Activation(configName: hiddenAct) != nil else {
            throw ConfigError.unsupported(field: "hidden_act", value: hiddenAct, supported: "quick_gelu, gelu, gelu_new")
        }
        guard numAttentionHeads > 0, hiddenSize > 0, hiddenSize % numAttentionHeads == 0 else {
            throw ConfigError.unsupported(field: "num_attention_heads", value: "\(numAttentionHeads)",
                                          supported: "a divisor of hidden_size (\(hiddenSize))")
        }
        guard patchSize > 0, imageSize >= patchSize else {
            throw ConfigError.unsupported(field: "patch_size", value: "\(patchSize)",
                                          supported: "1 … image_size (\(imageSize))")
        }
        guard numChannels > 0, intermediateSize > 0, numHiddenLayers >= 0 else {
            throw ConfigError.unsupported(field: "num_channels / intermediate_size / num_hidden_layers",
                                          value: "\(numChannels) / \(intermediateSize) / \(numHiddenLayers)",
                                          supported: "positive sizes")
        }
    }

    /// Patches along each side of the image (`image_size // patch_size`).
    public var gridSize: Int { imageSize / patchSize }
    /// Tokens the encoder sees: one per patch plus the class token.
    public var positionCount: Int { gridSize * gridSize + 1 }
}
