// The VAE's blocks: diffusers `DownEncoderBlock2D`, `UpDecoderBlock2D` and `UNetMidBlock2D` (resnet →
// single-head spatial self-attention with group norm and residual → resnet), none with a time embedding. Large
// activations run in row bands (RowBands.swift).

import Tensors

/// The resnets of a VAE block (`resnets.<i>`, eps 1e-6, no time embedding), the first changing the width.
func vaeResnets(_ scope: WeightScope, layers: Int, inChannels: Int, outChannels: Int, groups: Int,
                activation: Activation) -> [ResnetBlock2D] {
    (0..<layers).map { i in
        ResnetBlock2D(scope["resnets"][i], inChannels: i == 0 ? inChannels : outChannels, outChannels: outChannels,
                      timeEmbeddingChannels: nil, groups: groups, epsilon: 1e-6, activation: activation)
    }
}

/// diffusers `DownEncoderBlock2D`: resnets, then a stride-2 conv with (0,1,0,1) padding.
struct DownEncoderBlock2D {
    let resnets: [ResnetBlock2D]
    let downsampler: Downsample2D?

    init(_ scope: WeightScope, layers: Int, inChannels: Int, outChannels: Int, addDownsample: Bool,
         groups: Int, activation: Activation) {
        resnets = vaeResnets(scope, layers: layers, inChannels: inChannels, outChannels: outChannels,
                             groups: groups, activation: activation)
        downsampler = addDownsample ? Downsample2D(scope["downsamplers"][0], channels: outChannels, padding: 0) : nil
    }

    /// Consumes `x`, so a resnet that keeps the width can write its output over it.
    func callAsFunction(_ x: consuming Tensor) -> Tensor {
        var hidden = consume x
        for resnet in resnets { resnet.apply(to: &hidden) }
        return downsampler.map { $0(hidden) } ?? hidden
    }
}

/// diffusers `UpDecoderBlock2D`: resnets, then nearest ×2 and a conv (run by the caller with the next block).
struct UpDecoderBlock2D {
    let resnets: [ResnetBlock2D]
    let upsampler: Upsample2D?

    init(_ scope: WeightScope, layers: Int, inChannels: Int, outChannels: Int, addUpsample: Bool,
         groups: Int, activation: Activation) {
        resnets = vaeResnets(scope, layers: layers, inChannels: inChannels, outChannels: outChannels,
                             groups: groups, activation: activation)
        upsampler = addUpsample ? Upsample2D(scope["upsamplers"][0], channels: outChannels) : nil
    }

    /// The resnets on `x` — upsampled first by `previous`, the upsampler of the block before (run together with
    /// the first resnet, so the pair can go in row bands); this block's own upsampler is left to the next.
    func callAsFunction(_ x: consuming Tensor, upsampledBy previous: Upsample2D?) -> Tensor {
        var hidden: Tensor
        // `consume x`: the input is freed once the first resnet is done, before the others run.
        if let previous { hidden = resnets[0].apply(after: previous, to: consume x) } else { hidden = consume x }
        for resnet in resnets.dropFirst(previous == nil ? 0 : 1) { resnet.apply(to: &hidden) }
        return hidden
    }
}

/// diffusers `UNetMidBlock2D` as the VAE uses it: resnet, (attention, resnet).
struct VAEMidBlock {
    let resnets: [ResnetBlock2D]
    let attention: MultiHeadAttention?

    init(_ scope: WeightScope, channels: Int, groups: Int, activation: Activation, addAttention: Bool) {
        resnets = (0..<2).map { i in
            ResnetBlock2D(scope["resnets"][i], inChannels: channels, outChannels: channels, timeEmbeddingChannels: nil,
                          groups: groups, epsilon: 1e-6, activation: activation)
        }
        // attention_head_dim = channels, so one head spanning every channel.
        attention = addAttention
            ? MultiHeadAttention(scope["attentions"][0], queryDim: channels, heads: 1, headDim: channels, bias: true,
                                 groupNorm: (groups, 1e-6), residualConnection: true)
            : nil
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var hidden = resnets[0](x)
        if let attention { hidden = attention.spatial(hidden) }
        return resnets[1](hidden)
    }
}
