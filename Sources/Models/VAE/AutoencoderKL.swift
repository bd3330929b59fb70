// The diffusers `AutoencoderKL`: encoder → quant_conv → diagonal Gaussian over latents; post_quant_conv →
// decoder. Scaling by `scaling_factor` (and `shift_factor`) is the pipeline's job, as in diffusers.

import Foundation
import SafeTensors
import Tensors

/// The diffusers `DiagonalGaussianDistribution` of the encoder: mean and log-variance (clamped to [−30, 20]).
public struct DiagonalGaussian {
    public let mean: Tensor
    public let logVariance: Tensor

    /// Splits the encoder's moments `[B, 2·C, H, W]` into mean and clamped log-variance.
    public init(moments: Tensor) {
        let parts = moments.chunked(into: 2, along: 1)
        mean = parts[0]
        logVariance = parts[1].mapped { VectorMath.clamp($0, -30, 20) }
    }

    /// exp(0.5 · logvar).
    public var standardDeviation: Tensor { logVariance.mapped { VectorMath.exp(0.5 * $0) } }

    /// `mean + std · noise`, with `noise` drawn by the caller from the seeded generator (shape of `mean`).
    public func sample(noise: Tensor) -> Tensor {
        precondition(noise.shape == mean.shape, "noise \(noise.shape) must match the latent \(mean.shape)")
        return mean + standardDeviation * noise
    }

    /// The distribution's mode: its mean.
    public func mode() -> Tensor { mean }
}

/// The diffusers `AutoencoderKL` (the SD VAE).
public struct AutoencoderKL {
    public let config: AutoencoderKLConfig
    let encoderConvIn: Conv2d, encoderBlocks: [DownEncoderBlock2D], encoderMid: VAEMidBlock
    let encoderNormOut: GroupNorm, encoderConvOut: Conv2d
    let quantConv: Conv2d?, postQuantConv: Conv2d?
    let decoderConvIn: Conv2d, decoderMid: VAEMidBlock, decoderBlocks: [UpDecoderBlock2D]
    let decoderNormOut: GroupNorm, decoderConvOut: Conv2d
    let activation: Activation
    /// The checkpoint the weights are read from (F16 layer weights stay in its file mapping).
    public let checkpoint: TensorSource

    public init(config: AutoencoderKLConfig, weights: Weights) throws {
        try config.validate()
        self.config = config
        checkpoint = weights.source
        let root = weights.scope(), encoder = root["encoder"], decoder = root["decoder"]
        let channels = config.blockOutChannels, groups = config.normNumGroups, latent = config.latentChannels
        let activation = Activation(configName: config.actFn)!
        self.activation = activation
        let last = channels.count - 1

        encoderConvIn = Conv2d(encoder["conv_in"], inChannels: config.inChannels, outChannels: channels[0], kernel: 3, padding: 1)
        encoderBlocks = channels.indices.map { i in
            DownEncoderBlock2D(encoder["down_blocks"][i], layers: config.layersPerBlock,
                               inChannels: i == 0 ? channels[0] : channels[i - 1], outChannels: channels[i],
                               addDownsample: i < last, groups: groups, activation: activation)
        }
        encoderMid = VAEMidBlock(encoder["mid_block"], channels: channels[last], groups: groups, activation: activation,
                                 addAttention: config.midBlockAddAttention)
        encoderNormOut = GroupNorm(encoder["conv_norm_out"], groups: groups, channels: channels[last], epsilon: 1e-6)
        encoderConvOut = Conv2d(encoder["conv_out"], inChannels: channels[last], outChannels: 2 * latent, kernel: 3, padding: 1)
        quantConv = config.useQuantConv
            ? Conv2d(root["quant_conv"], inChannels: 2 * latent, outChannels: 2 * latent, kernel: 1) : nil
        postQuantConv = config.usePostQuantConv
            ? Conv2d(root["post_quant_conv"], inChannels: latent, outChannels: latent, kernel: 1) : nil

        let reversed = Array(channels.reversed())
        decoderConvIn = Conv2d(decoder["conv_in"], inChannels: latent, outChannels: reversed[0], kernel: 3, padding: 1)
        decoderMid = VAEMidBlock(decoder["mid_block"], channels: reversed[0], groups: groups, activation: activation,
                                 addAttention: config.midBlockAddAttention)
        decoderBlocks = reversed.indices.map { i in
            UpDecoderBlock2D(decoder["up_blocks"][i], layers: config.layersPerBlock + 1,
                             inChannels: reversed[max(i - 1, 0)], outChannels: reversed[i],
                             addUpsample: i < last, groups: groups, activation: activation)
        }
        decoderNormOut = GroupNorm(decoder["conv_norm_out"], groups: groups, channels: channels[0], epsilon: 1e-6)
        decoderConvOut = Conv2d(decoder["conv_out"], inChannels: channels[0], outChannels: config.outChannels, kernel: 3, padding: 1)
        try weights.finish(component: "vae")
    }

    /// Loads `vae/config.json` and its weights from a diffusers model folder's `vae` directory.
    public init(directory: URL) throws {
        let config = try decodeConfig(AutoencoderKLConfig.self, from: directory.appendingPathComponent("config.json"))
        let source = try openCheckpoint(in: directory, baseName: "diffusion_pytorch_model")
        try self.init(config: config, weights: Weights(source: source))
    }

    /// Encodes images `[B, 3, H, W]` in [−1, 1] into the latent distribution (unscaled).
    public func encode(_ images: Tensor) -> DiagonalGaussian {
        var hidden = encoderConvIn(images)
        for (i, block) in encoderBlocks.enumerated() {
            hidden = ModuleTrace.span("encoder.down_blocks.\(i)", consuming: consume hidden) { block($0) }
        }
        hidden = ModuleTrace.span("encoder.mid_block", input: hidden) { encoderMid(hidden) }
        // diffusers: conv_out(conv_act(conv_norm_out(sample)))
        hidden = encoderConvOut(hidden, fusing: .normalizing(encoderNormOut.normalization(of: hidden, activation: activation)))
        return DiagonalGaussian(moments: quantConv.map { $0(hidden) } ?? hidden)
    }

    /// Decodes latents `[B, C, h, w]` (already divided by the scaling factor) into images in about [−1, 1].
    /// Each block's upsampler runs with the next block's first resnet (in row bands when large).
    public func decode(_ latents: Tensor) -> Tensor {
        var hidden = decoderConvIn(postQuantConv.map { $0(latents) } ?? latents)
        hidden = ModuleTrace.span("decoder.mid_block", input: hidden) { decoderMid(hidden) }
        var upsampler: Upsample2D?
        for (i, block) in decoderBlocks.enumerated() {
            // diffusers' up_blocks.i upsamples at its end; here the upsampler runs with the next block's first resnet.
            // `consume`: the block holds the only reference to its input, which it frees (or overwrites) as it goes.
            hidden = ModuleTrace.span("decoder.up_blocks.\(i)", consuming: consume hidden) { [upsampler] in
                block($0, upsampledBy: upsampler)
            }
            upsampler = block.upsampler
        }
        if let upsampler { hidden = upsampler(hidden) }
        // diffusers: conv_out(conv_act(conv_norm_out(sample)))
        return decoderConvOut(hidden, fusing: .normalizing(decoderNormOut.normalization(of: hidden, activation: activation)))
    }
}
