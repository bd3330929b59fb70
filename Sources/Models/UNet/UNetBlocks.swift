// The UNet's down, mid and up blocks. One type per direction covers both diffusers variants: with attentions
// (`CrossAttnDownBlock2D`, `CrossAttnUpBlock2D`) and without (`DownBlock2D`, `UpBlock2D`).

import Tensors

/// Settings shared by every block of one UNet.
struct UNetBlockSettings {
    let timeEmbeddingChannels: Int
    let groups: Int
    let epsilon: Float
    let activation: Activation
    let scaleShift: Bool
    let outputScaleFactor: Float
}

/// Attention settings of one block.
struct UNetAttentionSettings {
    let heads: Int, depth: Int, crossAttentionDim: Int, onlyCrossAttention: Bool
}

/// diffusers `CrossAttnDownBlock2D` (with `attentions`) or `DownBlock2D` (without).
struct UNetDownBlock {
    let resnets: [ResnetBlock2D]
    let attentions: [Transformer2DModel]
    let downsampler: Downsample2D?

    init(_ scope: WeightScope, layers: Int, inChannels: Int, outChannels: Int, attention: UNetAttentionSettings?,
         addDownsample: Bool, downsamplePadding: Int, settings s: UNetBlockSettings) {
        resnets = (0..<layers).map { i in
            ResnetBlock2D(scope["resnets"][i], inChannels: i == 0 ? inChannels : outChannels, outChannels: outChannels,
                          timeEmbeddingChannels: s.timeEmbeddingChannels, groups: s.groups, epsilon: s.epsilon,
                          activation: s.activation, scaleShift: s.scaleShift, outputScaleFactor: s.outputScaleFactor)
        }
        attentions = attention.map { a in
            (0..<layers).map { i in
                Transformer2DModel(scope["attentions"][i], channels: outChannels, heads: a.heads, depth: a.depth,
                                   crossAttentionDim: a.crossAttentionDim, groups: s.groups,
                                   onlyCrossAttention: a.onlyCrossAttention)
            }
        } ?? []
        downsampler = addDownsample
            ? Downsample2D(scope["downsamplers"][0], channels: outChannels, padding: downsamplePadding) : nil
    }

    /// Returns the block output and the skip states (each layer's output, then the downsampled one).
    func callAsFunction(_ input: Tensor, timeEmbedding: Tensor, context: Tensor) -> (Tensor, [Tensor]) {
        var hidden = input
        var skips: [Tensor] = []
        for (i, resnet) in resnets.enumerated() {
            hidden = resnet(hidden, timeEmbedding: timeEmbedding)
            if !attentions.isEmpty { hidden = attentions[i](hidden, context: context) }
            skips.append(hidden)
        }
        if let downsampler {
            hidden = downsampler(hidden)
            skips.append(hidden)
        }
        return (hidden, skips)
    }
}

/// diffusers `UNetMidBlock2DCrossAttn`: resnet, then (attention, resnet) × layers.
struct UNetMidBlock {
    let resnets: [ResnetBlock2D]
    let attentions: [Transformer2DModel]

    init(_ scope: WeightScope, channels: Int, attention a: UNetAttentionSettings, layers: Int = 1,
         settings s: UNetBlockSettings, outputScaleFactor: Float) {
        resnets = (0...layers).map { i in
            ResnetBlock2D(scope["resnets"][i], inChannels: channels, outChannels: channels,
                          timeEmbeddingChannels: s.timeEmbeddingChannels, groups: s.groups, epsilon: s.epsilon,
                          activation: s.activation, scaleShift: s.scaleShift, outputScaleFactor: outputScaleFactor)
        }
        attentions = (0..<layers).map { i in
            Transformer2DModel(scope["attentions"][i], channels: channels, heads: a.heads, depth: a.depth,
                               crossAttentionDim: a.crossAttentionDim, groups: s.groups, onlyCrossAttention: false)
        }
    }

    func callAsFunction(_ input: Tensor, timeEmbedding: Tensor, context: Tensor) -> Tensor {
        var hidden = resnets[0](input, timeEmbedding: timeEmbedding)
        for (attention, resnet) in zip(attentions, resnets.dropFirst()) {
            hidden = resnet(attention(hidden, context: context), timeEmbedding: timeEmbedding)
        }
        return hidden
    }
}

/// diffusers `CrossAttnUpBlock2D` (with `attentions`) or `UpBlock2D` (without).
struct UNetUpBlock {
    let resnets: [ResnetBlock2D]
    let attentions: [Transformer2DModel]
    let upsampler: Upsample2D?

    init(_ scope: WeightScope, layers: Int, inChannels: Int, outChannels: Int, previousOutputChannels: Int,
         attention: UNetAttentionSettings?, addUpsample: Bool, settings s: UNetBlockSettings) {
        resnets = (0..<layers).map { i in
            let skipChannels = i == layers - 1 ? inChannels : outChannels
            let resnetIn = i == 0 ? previousOutputChannels : outChannels
            return ResnetBlock2D(scope["resnets"][i], inChannels: resnetIn + skipChannels, outChannels: outChannels,
                                 timeEmbeddingChannels: s.timeEmbeddingChannels, groups: s.groups, epsilon: s.epsilon,
                                 activation: s.activation, scaleShift: s.scaleShift, outputScaleFactor: s.outputScaleFactor)
        }
        attentions = attention.map { a in
            (0..<layers).map { i in
                Transformer2DModel(scope["attentions"][i], channels: outChannels, heads: a.heads, depth: a.depth,
                                   crossAttentionDim: a.crossAttentionDim, groups: s.groups,
                                   onlyCrossAttention: a.onlyCrossAttention)
            }
        } ?? []
        upsampler = addUpsample ? Upsample2D(scope["upsamplers"][0], channels: outChannels) : nil
    }

    /// Consumes skip states from the end of `skips` (the down path's last outputs first).
    func callAsFunction(_ input: Tensor, skips: inout [Tensor], timeEmbedding: Tensor, context: Tensor,
                        upsampleSize: (Int, Int)?) -> Tensor {
        var hidden = input
        for (i, resnet) in resnets.enumerated() {
            let skip = skips.removeLast()
            hidden = resnet(Tensor.concatenate([hidden, skip], along: 1), timeEmbedding: timeEmbedding)
            if !attentions.isEmpty { hidden = attentions[i](hidden, context: context) }
        }
        if let upsampler { hidden = upsampler(hidden, size: upsampleSize) }
        return hidden
    }
}
