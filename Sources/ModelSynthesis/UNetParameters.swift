// The state_dict keys and shapes of a diffusers `UNet2DConditionModel` built from its config: time embedding,
// conv_in, down blocks (resnets, spatial transformers, downsamplers), mid block, up blocks, conv_norm_out, conv_out.

import Models

/// Every parameter of the UNet a config describes, with diffusers' names.
public func unetParameters(_ config: UNet2DConditionConfig) -> [ParameterSpec] {
    var list = ParameterList()
    let channels = config.blockOutChannels, blocks = channels.count
    let time = config.timeEmbeddingChannels
    list.linear("time_embedding.linear_1", in: channels[0], out: time)
    list.linear("time_embedding.linear_2", in: time, out: time)
    list.conv("conv_in", in: config.inChannels, out: channels[0], kernel: config.convInKernel)

    let layers = config.layerCounts, heads = config.headCounts
    for i in 0..<blocks {
        let scope = "down_blocks.\(i)", out = channels[i]
        for j in 0..<layers[i] {
            let inChannels = j == 0 ? (i == 0 ? channels[0] : channels[i - 1]) : out
            list.resnet("\(scope).resnets.\(j)", in: inChannels, out: out, time: time, config: config)
            if config.downBlockTypes[i].hasPrefix("CrossAttn") {
                list.transformer("\(scope).attentions.\(j)", channels: out, heads: heads[i], block: i, config: config)
            }
        }
        if i < blocks - 1 { list.conv("\(scope).downsamplers.0.conv", in: out, out: out, kernel: 3) }
    }

    if config.midBlockType != nil {
        let last = channels[blocks - 1]
        list.resnet("mid_block.resnets.0", in: last, out: last, time: time, config: config)
        list.transformer("mid_block.attentions.0", channels: last, heads: heads[blocks - 1], block: blocks - 1, config: config)
        list.resnet("mid_block.resnets.1", in: last, out: last, time: time, config: config)
    }

    let reversed = Array(channels.reversed())
    for i in 0..<blocks {
        let scope = "up_blocks.\(i)", out = reversed[i], down = blocks - 1 - i
        let count = layers[down] + 1
        for j in 0..<count {
            let skip = j == count - 1 ? reversed[min(i + 1, blocks - 1)] : out
            let resnetIn = j == 0 ? reversed[max(i - 1, 0)] : out
            list.resnet("\(scope).resnets.\(j)", in: resnetIn + skip, out: out, time: time, config: config)
            if config.upBlockTypes[i].hasPrefix("CrossAttn") {
                list.transformer("\(scope).attentions.\(j)", channels: out, heads: heads[down], block: down, config: config)
            }
        }
        if i < blocks - 1 { list.conv("\(scope).upsamplers.0.conv", in: out, out: out, kernel: 3) }
    }
    list.norm("conv_norm_out", channels: channels[0])
    list.conv("conv_out", in: channels[0], out: config.outChannels, kernel: config.convOutKernel)
    return list.specs
}

extension ParameterList {
    /// A `ResnetBlock2D` with a time-embedding projection (none when `time` is nil, as in the VAE).
    mutating func resnet(_ scope: String, in inChannels: Int, out: Int, time: Int?, scaleShift: Bool = false) {
        norm("\(scope).norm1", channels: inChannels)
        conv("\(scope).conv1", in: inChannels, out: out, kernel: 3)
        if let time { linear("\(scope).time_emb_proj", in: time, out: scaleShift ? 2 * out : out) }
        norm("\(scope).norm2", channels: out)
        conv("\(scope).conv2", in: out, out: out, kernel: 3)
        if inChannels != out { conv("\(scope).conv_shortcut", in: inChannels, out: out, kernel: 1) }
    }

    mutating func resnet(_ scope: String, in inChannels: Int, out: Int, time: Int, config: UNet2DConditionConfig) {
        resnet(scope, in: inChannels, out: out, time: time, scaleShift: config.resnetTimeScaleShift == "scale_shift")
    }

    /// A `Transformer2DModel`: norm, proj_in (1×1 conv or linear), transformer blocks, proj_out.
    mutating func transformer(_ scope: String, channels: Int, heads: Int, block: Int, config: UNet2DConditionConfig) {
        norm("\(scope).norm", channels: channels)
        projection("\(scope).proj_in", channels: channels, linear: config.useLinearProjection)
        let context = config.crossAttentionDims[block], onlyCross = config.onlyCrossAttentionFlags[block]
        for d in 0..<config.transformerDepths[block] {
            let t = "\(scope).transformer_blocks.\(d)"
            norm("\(t).norm1", channels: channels)
            attention("\(t).attn1", query: channels, context: onlyCross ? context : channels)
            norm("\(t).norm2", channels: channels)
            attention("\(t).attn2", query: channels, context: context)
            norm("\(t).norm3", channels: channels)
            linear("\(t).ff.net.0.proj", in: channels, out: channels * 8)
            linear("\(t).ff.net.2", in: channels * 4, out: channels)
        }
        projection("\(scope).proj_out", channels: channels, linear: config.useLinearProjection)
    }

    /// proj_in / proj_out: a linear, or the same matrix stored as a 1×1 conv.
    mutating func projection(_ scope: String, channels: Int, linear isLinear: Bool) {
        if isLinear {
            linear(scope, in: channels, out: channels)
        } else {
            conv(scope, in: channels, out: channels, kernel: 1)
        }
    }

    /// A diffusers `Attention`: to_q, to_k, to_v (biases optional), to_out.0 (with bias).
    mutating func attention(_ scope: String, query: Int, context: Int, bias: Bool = false) {
        linear("\(scope).to_q", in: query, out: query, bias: bias)
        linear("\(scope).to_k", in: context, out: query, bias: bias)
        linear("\(scope).to_v", in: context, out: query, bias: bias)
        linear("\(scope).to_out.0", in: query, out: query)
    }
}
