// The state_dict keys and shapes of a diffusers `AutoencoderKL` built from its config: encoder (conv_in, down
// blocks, mid block with one attention, norm, conv_out), quant convs, decoder (conv_in, mid block, up blocks, …).

import Models

/// Every parameter of the VAE a config describes, with diffusers' names.
public func vaeParameters(_ config: AutoencoderKLConfig) -> [ParameterSpec] {
    var list = ParameterList()
    let channels = config.blockOutChannels, last = channels.count - 1, latent = config.latentChannels
    list.conv("encoder.conv_in", in: config.inChannels, out: channels[0], kernel: 3)
    for i in channels.indices {
        for j in 0..<config.layersPerBlock {
            let inChannels = j == 0 ? (i == 0 ? channels[0] : channels[i - 1]) : channels[i]
            list.resnet("encoder.down_blocks.\(i).resnets.\(j)", in: inChannels, out: channels[i], time: nil)
        }
        if i < last { list.conv("encoder.down_blocks.\(i).downsamplers.0.conv", in: channels[i], out: channels[i], kernel: 3) }
    }
    list.vaeMidBlock("encoder.mid_block", channels: channels[last], attention: config.midBlockAddAttention)
    list.norm("encoder.conv_norm_out", channels: channels[last])
    list.conv("encoder.conv_out", in: channels[last], out: 2 * latent, kernel: 3)
    if config.useQuantConv { list.conv("quant_conv", in: 2 * latent, out: 2 * latent, kernel: 1) }
    if config.usePostQuantConv { list.conv("post_quant_conv", in: latent, out: latent, kernel: 1) }

    let reversed = Array(channels.reversed())
    list.conv("decoder.conv_in", in: latent, out: reversed[0], kernel: 3)
    list.vaeMidBlock("decoder.mid_block", channels: reversed[0], attention: config.midBlockAddAttention)
    for i in reversed.indices {
        for j in 0..<(config.layersPerBlock + 1) {
            let inChannels = j == 0 ? reversed[max(i - 1, 0)] : reversed[i]
            list.resnet("decoder.up_blocks.\(i).resnets.\(j)", in: inChannels, out: reversed[i], time: nil)
        }
        if i < last { list.conv("decoder.up_blocks.\(i).upsamplers.0.conv", in: reversed[i], out: reversed[i], kernel: 3) }
    }
    list.norm("decoder.conv_norm_out", channels: channels[0])
    list.conv("decoder.conv_out", in: channels[0], out: config.outChannels, kernel: 3)
    return list.specs
}

extension ParameterList {
    /// The VAE's `UNetMidBlock2D`: resnet, single-head attention with group norm and biased projections, resnet.
    mutating func vaeMidBlock(_ scope: String, channels: Int, attention hasAttention: Bool) {
        resnet("\(scope).resnets.0", in: channels, out: channels, time: nil)
        if hasAttention {
            norm("\(scope).attentions.0.group_norm", channels: channels)
            attention("\(scope).attentions.0", query: channels, context: channels, bias: true)
        }
        resnet("\(scope).resnets.1", in: channels, out: channels, time: nil)
    }
}
