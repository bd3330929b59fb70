// The `config.json` of a diffusers `AutoencoderTiny` (TAESD, TAESDXL), with diffusers' defaults.

import Foundation
import Tensors

/// `AutoencoderTiny`'s config.
public struct AutoencoderTinyConfig: Decodable {
    public var inChannels = 3
    public var outChannels = 3
    public var encoderBlockOutChannels = [64, 64, 64, 64]
    public var decoderBlockOutChannels = [64, 64, 64, 64]
    public var actFn = "relu"
    public var upsampleFn = "nearest"
    public var latentChannels = 4
    public var upsamplingScalingFactor = 2
    public var numEncoderBlocks = [1, 3, 3, 3]
    public var numDecoderBlocks = [3, 3, 3, 1]
    /// Latents are divided by it before decoding (1: TAESD's latents are the UNet's latents).
    public var scalingFactor: Float = 1

    enum CodingKeys: String, CodingKey {
        case inChannels = "in_channels", outChannels = "out_channels"
        case encoderBlockOutChannels = "encoder_block_out_channels", decoderBlockOutChannels = "decoder_block_out_channels"
        case actFn = "act_fn", upsampleFn = "upsample_fn", latentChannels = "latent_channels"
        case upsamplingScalingFactor = "upsampling_scaling_factor", numEncoderBlocks = "num_encoder_blocks"
        case numDecoderBlocks = "num_decoder_blocks", scalingFactor = "scaling_factor"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = AutoencoderTinyConfig()
        inChannels = try c.value(.inChannels, default: d.inChannels)
        outChannels = try c.value(.outChannels, default: d.outChannels)
        encoderBlockOutChannels = try c.value(.encoderBlockOutChannels, default: d.encoderBlockOutChannels)
        decoderBlockOutChannels = try c.value(.decoderBlockOutChannels, default: d.decoderBlockOutChannels)
        actFn = try c.value(.actFn, default: d.actFn)
        upsampleFn = try c.value(.upsampleFn, default: d.upsampleFn)
        latentChannels = try c.value(.latentChannels, default: d.latentChannels)
        upsamplingScalingFactor = try c.value(.upsamplingScalingFactor, default: d.upsamplingScalingFactor)
        numEncoderBlocks = try c.value(.numEncoderBlocks, default: d.numEncoderBlocks)
        numDecoderBlocks = try c.value(.numDecoderBlocks, default: d.numDecoderBlocks)
        scalingFactor = try c.value(.scalingFactor, default: d.scalingFactor)
        try validate()
    }

    /// Checks every field against what the model implements (diffusers' own length checks included).
    public func validate() throws {
        guard Activation(configName: actFn) != nil else {
            throw ConfigError.unsupported(field: "act_fn", value: actFn, supported: "relu, silu, swish, gelu")
        }
        guard upsampleFn == "nearest" else {
            throw ConfigError.unsupported(field: "upsample_fn", value: upsampleFn, supported: "nearest")
        }
        guard upsamplingScalingFactor == 2 else {
            throw ConfigError.unsupported(field: "upsampling_scaling_factor", value: "\(upsamplingScalingFactor)",
                                          supported: "2")
        }
        guard encoderBlockOutChannels.count == numEncoderBlocks.count, !numEncoderBlocks.isEmpty else {
            throw ConfigError.unsupported(field: "num_encoder_blocks", value: "\(numEncoderBlocks)",
                                          supported: "one count per encoder_block_out_channels entry")
        }
        guard decoderBlockOutChannels.count == numDecoderBlocks.count, !numDecoderBlocks.isEmpty else {
            throw ConfigError.unsupported(field: "num_decoder_blocks", value: "\(numDecoderBlocks)",
                                          supported: "one count per decoder_block_out_channels entry")
        }
    }

    /// How many times the decoder doubles the latents' sides (the encoder halves them as often).
    public var spatialScale: Int { 1 << (numDecoderBlocks.count - 1) }
}
