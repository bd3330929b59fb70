// transformers `CLIPVisionModel`: a patch convolution (stride = kernel = patch, no bias) turns the image into
// tokens, a class token goes first, position embeddings are added, then `pre_layrnorm` → the (non-causal)
// CLIP encoder → `post_layernorm` of the class token's final state, the pooled output.

import Foundation
import SafeTensors
import Tensors

/// What the vision tower returns for a batch of images.
public struct CLIPVisionOutput {
    /// The encoder's final states, `[B, 1 + patches, hidden]` (no final norm: transformers has none here).
    public let lastHiddenState: Tensor
    /// `post_layernorm` of the class token's final state, `[B, hidden]` (`pooler_output`).
    public let pooled: Tensor
}

/// transformers `CLIPVisionModel` (the vision tower of CLIP, and of the SD safety checker).
public struct CLIPVisionModel {
    public let config: CLIPVisionConfig
    let patchEmbedding: Conv2d
    let classEmbedding: Tensor, positionEmbedding: Tensor
    let preLayerNorm: LayerNorm
    let encoder: CLIPEncoder
    let postLayerNorm: LayerNorm

    /// Reads the tower's parameters under `scope` (`embeddings.*`, `pre_layrnorm.*`, `encoder.*`, `post_layernorm.*`).
    init(_ scope: WeightScope, config: CLIPVisionConfig) {
        self.config = config
        let hidden = config.hiddenSize
        let embeddings = scope["embeddings"]
        patchEmbedding = Conv2d(embeddings["patch_embedding"], inChannels: config.numChannels, outChannels: hidden,
                                kernel: config.patchSize, stride: config.patchSize, bias: false)
        classEmbedding = embeddings.tensor("class_embedding", shape: [hidden])
        positionEmbedding = embeddings["position_embedding"].tensor("weight", shape: [config.positionCount, hidden])
        // `pre_layrnorm` (sic) is transformers' attribute name, hence the checkpoint key.
        preLayerNorm = LayerNorm(scope["pre_layrnorm"], width: hidden, epsilon: config.layerNormEps)
        encoder = CLIPEncoder(scope["encoder"], layers: config.numHiddenLayers, hidden: hidden,
                              intermediate: config.intermediateSize, heads: config.numAttentionHeads,
                              epsilon: config.layerNormEps, activation: Activation(configName: config.hiddenAct)!)
        postLayerNorm = LayerNorm(scope["post_layernorm"], width: hidden, epsilon: config.layerNormEps)
    }

    /// Reads a standalone vision tower, with or without transformers 4's `vision_model.` key prefix.
    public init(config: CLIPVisionConfig, source: TensorSource) throws {
        try config.validate()
        let prefix = source.names.contains { $0.hasPrefix("vision_model.") } ? "vision_model." : ""
        let weights = Weights(source: source, prefix: prefix) { $0.hasSuffix("position_ids") }
        self.init(weights.scope(), config: config)
        try weights.finish(component: "vision_model")
    }

    /// Encodes pixel values `[B, num_channels, image_size, image_size]` (the CLIP image processor's output).
    public func callAsFunction(_ pixelValues: Tensor) -> CLIPVisionOutput {
        let size = config.imageSize
        precondition(pixelValues.rank == 4 && pixelValues.shape[1] == config.numChannels
                     && pixelValues.shape[2] == size && pixelValues.shape[3] == size,
                     "CLIPVisionModel expects [B, \(config.numChannels), \(size), \(size)], got \(pixelValues.shape)")
        let embeddings = embed(pixelValues)
        let states = encoder(preLayerNorm(embeddings), causal: false)
        let last = states.last!, hidden = config.hiddenSize
        let classStates = Tensor.concatenate((0..<pixelValues.shape[0]).map {
            last.slice(along: 0, from: $0, count: 1).slice(along: 1, from: 0, count: 1).reshaped([1, hidden])
        }, along: 0)
        return CLIPVisionOutput(lastHiddenState: last, pooled: postLayerNorm(classStates))
    }

    /// `CLIPVisionEmbeddings`: [class, patch tokens] + position embeddings, `[B, 1 + patches, hidden]`.
    func embed(_ pixelValues: Tensor) -> Tensor {
        let batch = pixelValues.shape[0], hidden = config.hiddenSize, patches = config.gridSize * config.gridSize
        let patchTokens = patchEmbedding(pixelValues).reshaped([batch, hidden, patches]).transposedLastTwo()
        var embeddings = Tensor(uninitialized: [batch, patches + 1, hidden])
        patchTokens.withUnsafeBufferPointer { patch in
            classEmbedding.withUnsafeBufferPointer { cls in
                positionEmbedding.withUnsafeBufferPointer { position in
                    embeddings.withUnsafeMutableBufferPointer { out in
                        for b in 0..<batch {
                            let image = out.baseAddress! + b * (patches + 1) * hidden
                            for j in 0..<hidden { image[j] = cls[j] + position[j] }
                            for t in 1...patches {
                                let row = image + t * hidden, source = patch.baseAddress! + (b * patches + t - 1) * hidden
                                let offset = position.baseAddress! + t * hidden
                                for j in 0..<hidden { row[j] = source[j] + offset[j] }
                            }
                        }
                    }
                }
            }
        }
        return embeddings
    }
}
