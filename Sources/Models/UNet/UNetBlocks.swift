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
    /// `use_linear_projection`: the transformers' proj_in/proj_out are linears, not 1×1 convs.
    let linearProjection: Bool
}

extension UNetBlockSettings {
    /// A `ResnetBlock2D` with these settings.
    func resnet(_ scope: WeightScope, inChannels: Int, outChannels: Int, outputScaleFactor: Float? = nil) -> ResnetBlock2D {
        ResnetBlock2D(scope, inChannels: inChannels, outChannels: outChannels, timeEmbeddingChannels: timeEmbeddingChannels,
                      groups: groups, epsilon: epsilon, activation: activation, scaleShift: scaleShift,
                      outputScaleFactor: outputScaleFactor ?? self.outputScaleFactor)
    }

    /// One `Transformer2DModel` per layer when the block has attention (`attentions.<i>`), else none.
    func attentions(_ scope: WeightScope, layers: Int, channels: Int, _ attention: UNetAttentionSettings?) -> [Transformer2DModel] {
        guard let a = attention else { return [] }
        return (0..<layers).map { i in
            Transformer2DModel(scope["attentions"][i], channels: channels, heads: a.heads, depth: a.depth,
                               crossAttentionDim: a.crossAttentionDim, groups: groups, onlyCrossAttention: a.onlyCrossAttention,
                               linearProjection: linearProjection)
        }
    }
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
            s.resnet(scope["resnets"][i], inChannels: i == 0 ? inChannels : outChannels, outChannels: outChannels)
        }
        attentions = s.attentions(scope, layers: layers, channels: outChannels, attention)
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
            s.resnet(scope["resnets"][i], inChannels: channels, outChannels: channels, outputScaleFactor: outputScaleFactor)
        }
        attentions = s.attentions(scope, layers: layers, channels: channels, a)
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
            return s.resnet(scope["resnets"][i], inChannels: resnetIn + skipChannels, outChannels: outChannels)
        }
        attentions = s.attentions(scope, layers: layers, channels: outChannels, attention)
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
