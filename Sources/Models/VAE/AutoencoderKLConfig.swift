// The `vae/config.json` of a diffusers `AutoencoderKL`, with diffusers' defaults.

import Foundation
import Tensors

/// `AutoencoderKL`'s config.
public struct AutoencoderKLConfig: Decodable {
    public var inChannels = 3
    public var outChannels = 3
    public var downBlockTypes = ["DownEncoderBlock2D"]
    public var upBlockTypes = ["UpDecoderBlock2D"]
    public var blockOutChannels = [64]
    public var layersPerBlock = 1
    public var actFn = "silu"
    public var latentChannels = 4
    public var normNumGroups = 32
    public var scalingFactor: Float = 0.18215
    public var shiftFactor: Float?
    public var useQuantConv = true
    public var usePostQuantConv = true
    public var midBlockAddAttention = true

    enum CodingKeys: String, CodingKey {
        case inChannels = "in_channels", outChannels = "out_channels", downBlockTypes = "down_block_types"
        case upBlockTypes = "up_block_types", blockOutChannels = "block_out_channels", layersPerBlock = "layers_per_block"
        case actFn = "act_fn", latentChannels = "latent_channels", normNumGroups = "norm_num_groups"
        case scalingFactor = "scaling_factor", shiftFactor = "shift_factor", useQuantConv = "use_quant_conv"
        case usePostQuantConv = "use_post_quant_conv", midBlockAddAttention = "mid_block_add_attention"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = AutoencoderKLConfig()
        inChannels = try c.value(.inChannels, default: d.inChannels)
        outChannels = try c.value(.outChannels, default: d.outChannels)
        downBlockTypes = try c.value(.downBlockTypes, default: d.downBlockTypes)
        upBlockTypes = try c.value(.upBlockTypes, default: d.upBlockTypes)
        blockOutChannels = try c.value(.blockOutChannels, default: d.blockOutChannels)
        layersPerBlock = try c.value(.layersPerBlock, default: d.layersPerBlock)
        actFn = try c.value(.actFn, default: d.actFn)
        latentChannels = try c.value(.latentChannels, default: d.latentChannels)
        normNumGroups = try c.value(.normNumGroups, default: d.normNumGroups)
        scalingFactor = try c.value(.scalingFactor, default: d.scalingFactor)
        shiftFactor = try c.decodeIfPresent(Float.self, forKey: .shiftFactor)
        useQuantConv = try c.value(.useQuantConv, default: d.useQuantConv)
        usePostQuantConv = try c.value(.usePostQuantConv, default: d.usePostQuantConv)
        midBlockAddAttention = try c.value(.midBlockAddAttention, default: d.midBlockAddAttention)
        try validate()
    }

    /// Checks every field against what the model implements.
    public func validate() throws {
        for type in downBlockTypes where type != "DownEncoderBlock2D" {
            throw ConfigError.unsupported(field: "down_block_types", value: type, supported: "DownEncoderBlock2D")
        }
        for type in upBlockTypes where type != "UpDecoderBlock2D" {
            throw ConfigError.unsupported(field: "up_block_types", value: type, supported: "UpDecoderBlock2D")
        }
        guard downBlockTypes.count == blockOutChannels.count, upBlockTypes.count == blockOutChannels.count else {
            throw ConfigError.unsupported(field: "down_block_types/up_block_types",
                                          value: "\(downBlockTypes.count)/\(upBlockTypes.count) blocks",
                                          supported: "as many as block_out_channels (\(blockOutChannels.count))")
        }
        guard Activation(configName: actFn) != nil else {
            throw ConfigError.unsupported(field: "act_fn", value: actFn, supported: "silu, swish, gelu, quick_gelu")
        }
        try validateBlockChannels(blockOutChannels, normNumGroups: normNumGroups)
    }
}
