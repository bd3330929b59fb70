// The `config.json` of a diffusers `UNet2DConditionModel`, with diffusers' defaults, restricted to the
// features this engine implements: any other value of a known field is an error naming it.

import Foundation
import Tensors

/// `UNet2DConditionModel`'s config, decoded from the `unet/config.json` users have.
public struct UNet2DConditionConfig: Decodable {
    public var inChannels = 4
    public var outChannels = 4
    public var centerInputSample = false
    public var flipSinToCos = true
    public var freqShift = 0
    public var downBlockTypes = ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"]
    public var midBlockType: String? = "UNetMidBlock2DCrossAttn"
    public var upBlockTypes = ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]
    public var onlyCrossAttention: PerBlock<Bool> = .all(false)
    public var blockOutChannels = [320, 640, 1280, 1280]
    public var layersPerBlock: PerBlock<Int> = .all(2)
    public var downsamplePadding = 1
    public var midBlockScaleFactor: Float = 1
    public var actFn = "silu"
    public var normNumGroups = 32
    public var normEps: Float = 1e-5
    public var crossAttentionDim: PerBlock<Int> = .all(1280)
    public var transformerLayersPerBlock: PerBlock<Int> = .all(1)
    /// In diffusers this field really holds the number of heads (see `headCounts`).
    public var attentionHeadDim: PerBlock<Int> = .all(8)
    public var useLinearProjection = false
    public var upcastAttention = false
    public var resnetTimeScaleShift = "default"
    public var resnetOutScaleFactor: Float = 1
    public var timeEmbeddingType = "positional"
    public var convInKernel = 3
    public var convOutKernel = 3
    public var sampleSize: Int?
    /// `"text_time"` (SDXL): pooled text embeds and micro-conditioning ids are added to the time embedding;
    /// nil: no added embedding.
    public var additionEmbedType: String?
    /// Width of each time id's sinusoid (`text_time`).
    public var additionTimeEmbedDim: Int?
    /// Input width of `add_embedding` (`text_time`): pooled width + time ids × `addition_time_embed_dim`.
    public var projectionClassEmbeddingsInputDim: Int?

    enum CodingKeys: String, CodingKey {
        case inChannels = "in_channels", outChannels = "out_channels", centerInputSample = "center_input_sample"
        case flipSinToCos = "flip_sin_to_cos", freqShift = "freq_shift", downBlockTypes = "down_block_types"
        case midBlockType = "mid_block_type", upBlockTypes = "up_block_types", onlyCrossAttention = "only_cross_attention"
        case blockOutChannels = "block_out_channels", layersPerBlock = "layers_per_block"
        case downsamplePadding = "downsample_padding", midBlockScaleFactor = "mid_block_scale_factor"
        case actFn = "act_fn", normNumGroups = "norm_num_groups", normEps = "norm_eps"
        case crossAttentionDim = "cross_attention_dim", transformerLayersPerBlock = "transformer_layers_per_block"
        case attentionHeadDim = "attention_head_dim", numAttentionHeads = "num_attention_heads"
        case useLinearProjection = "use_linear_projection", upcastAttention = "upcast_attention"
        case resnetTimeScaleShift = "resnet_time_scale_shift", resnetOutScaleFactor = "resnet_out_scale_factor"
        case timeEmbeddingType = "time_embedding_type", convInKernel = "conv_in_kernel", convOutKernel = "conv_out_kernel"
        case sampleSize = "sample_size", additionEmbedType = "addition_embed_type"
        case additionTimeEmbedDim = "addition_time_embed_dim"
        case projectionClassEmbeddingsInputDim = "projection_class_embeddings_input_dim"
        // Fields whose non-default values select features this engine does not implement.
        case classEmbedType = "class_embed_type"
        case encoderHidDim = "encoder_hid_dim", encoderHidDimType = "encoder_hid_dim_type"
        case numClassEmbeds = "num_class_embeds", timeCondProjDim = "time_cond_proj_dim"
        case timeEmbeddingDim = "time_embedding_dim", timeEmbeddingActFn = "time_embedding_act_fn"
        case timestepPostAct = "timestep_post_act", dualCrossAttention = "dual_cross_attention"
        case attentionType = "attention_type", crossAttentionNorm = "cross_attention_norm"
        case resnetSkipTimeAct = "resnet_skip_time_act", classEmbeddingsConcat = "class_embeddings_concat"
        case midBlockOnlyCrossAttention = "mid_block_only_cross_attention"
        case reverseTransformerLayersPerBlock = "reverse_transformer_layers_per_block"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = UNet2DConditionConfig()
        inChannels = try c.value(.inChannels, default: d.inChannels)
        outChannels = try c.value(.outChannels, default: d.outChannels)
        centerInputSample = try c.value(.centerInputSample, default: d.centerInputSample)
        flipSinToCos = try c.value(.flipSinToCos, default: d.flipSinToCos)
        freqShift = try c.value(.freqShift, default: d.freqShift)
        downBlockTypes = try c.value(.downBlockTypes, default: d.downBlockTypes)
        midBlockType = try c.decodeIfPresent(String.self, forKey: .midBlockType)
            ?? (c.contains(.midBlockType) ? nil : d.midBlockType)
        upBlockTypes = try c.value(.upBlockTypes, default: d.upBlockTypes)
        onlyCrossAttention = try c.value(.onlyCrossAttention, default: d.onlyCrossAttention)
        blockOutChannels = try c.value(.blockOutChannels, default: d.blockOutChannels)
        layersPerBlock = try c.value(.layersPerBlock, default: d.layersPerBlock)
        downsamplePadding = try c.value(.downsamplePadding, default: d.downsamplePadding)
        midBlockScaleFactor = try c.value(.midBlockScaleFactor, default: d.midBlockScaleFactor)
        actFn = try c.value(.actFn, default: d.actFn)
        normNumGroups = try c.value(.normNumGroups, default: d.normNumGroups)
        normEps = try c.value(.normEps, default: d.normEps)
        crossAttentionDim = try c.value(.crossAttentionDim, default: d.crossAttentionDim)
        transformerLayersPerBlock = try c.value(.transformerLayersPerBlock, default: d.transformerLayersPerBlock)
        attentionHeadDim = try c.value(.attentionHeadDim, default: d.attentionHeadDim)
        useLinearProjection = try c.value(.useLinearProjection, default: d.useLinearProjection)
        upcastAttention = try c.value(.upcastAttention, default: d.upcastAttention)
        resnetTimeScaleShift = try c.value(.resnetTimeScaleShift, default: d.resnetTimeScaleShift)
        resnetOutScaleFactor = try c.value(.resnetOutScaleFactor, default: d.resnetOutScaleFactor)
        timeEmbeddingType = try c.value(.timeEmbeddingType, default: d.timeEmbeddingType)
        convInKernel = try c.value(.convInKernel, default: d.convInKernel)
        convOutKernel = try c.value(.convOutKernel, default: d.convOutKernel)
        sampleSize = try? c.decodeIfPresent(Int.self, forKey: .sampleSize)
        additionEmbedType = try c.decodeIfPresent(String.self, forKey: .additionEmbedType)
        additionTimeEmbedDim = try c.decodeIfPresent(Int.self, forKey: .additionTimeEmbedDim)
        projectionClassEmbeddingsInputDim = try c.decodeIfPresent(Int.self, forKey: .projectionClassEmbeddingsInputDim)
        try Self.refuseNonNull(c, [.numAttentionHeads], why: "diffusers itself refuses `num_attention_heads` for this class")
        try Self.refuseNonNull(c, [.classEmbedType, .encoderHidDim, .encoderHidDimType,
                                   .numClassEmbeds, .timeCondProjDim, .timeEmbeddingDim, .timeEmbeddingActFn,
                                   .timestepPostAct, .crossAttentionNorm, .reverseTransformerLayersPerBlock,
                                   .midBlockOnlyCrossAttention],
                               why: "null (not used by SD1.x / SD2.x / SDXL / InstructPix2Pix)")
        for key in [CodingKeys.dualCrossAttention, .resnetSkipTimeAct, .classEmbeddingsConcat] {
            if try c.decodeIfPresent(Bool.self, forKey: key) == true {
                throw ConfigError.unsupported(field: key.rawValue, value: "true", supported: "false")
            }
        }
        if let type = try c.decodeIfPresent(String.self, forKey: .attentionType), type != "default" {
            throw ConfigError.unsupported(field: "attention_type", value: type, supported: "default")
        }
        try validate()
    }

    private static func refuseNonNull(_ c: KeyedDecodingContainer<CodingKeys>, _ keys: [CodingKeys], why: String) throws {
        for key in keys where c.contains(key) {
            if (try? c.decodeNil(forKey: key)) == true { continue }
            throw ConfigError.unsupported(field: key.rawValue, value: "a non-null value", supported: why)
        }
    }

    /// Checks every field against what the model implements.
    public func validate() throws {
        let down = ["CrossAttnDownBlock2D", "DownBlock2D"], up = ["CrossAttnUpBlock2D", "UpBlock2D"]
        for type in downBlockTypes where !down.contains(type) {
            throw ConfigError.unsupported(field: "down_block_types", value: type, supported: down.joined(separator: ", "))
        }
        for type in upBlockTypes where !up.contains(type) {
            throw ConfigError.unsupported(field: "up_block_types", value: type, supported: up.joined(separator: ", "))
        }
        if let midBlockType, midBlockType != "UNetMidBlock2DCrossAttn" {
            throw ConfigError.unsupported(field: "mid_block_type", value: midBlockType, supported: "UNetMidBlock2DCrossAttn, null")
        }
        guard Activation(configName: actFn) != nil else {
            throw ConfigError.unsupported(field: "act_fn", value: actFn, supported: "silu, swish, gelu, quick_gelu")
        }
        guard ["default", "scale_shift"].contains(resnetTimeScaleShift) else {
            throw ConfigError.unsupported(field: "resnet_time_scale_shift", value: resnetTimeScaleShift, supported: "default, scale_shift")
        }
        guard timeEmbeddingType == "positional" else {
            throw ConfigError.unsupported(field: "time_embedding_type", value: timeEmbeddingType, supported: "positional")
        }
        try validateAdditionEmbedding()
        guard convInKernel % 2 == 1, convOutKernel % 2 == 1 else {
            throw ConfigError.unsupported(field: "conv_in_kernel/conv_out_kernel", value: "\(convInKernel)/\(convOutKernel)", supported: "odd sizes")
        }
        guard downBlockTypes.count == blockOutChannels.count, upBlockTypes.count == blockOutChannels.count else {
            throw ConfigError.unsupported(field: "down_block_types/up_block_types", value: "\(downBlockTypes.count)/\(upBlockTypes.count) blocks",
                                          supported: "as many as block_out_channels (\(blockOutChannels.count))")
        }
        let blocks = blockOutChannels.count
        _ = try onlyCrossAttention.values(blocks: blocks, field: "only_cross_attention")
        _ = try layersPerBlock.values(blocks: blocks, field: "layers_per_block")
        _ = try crossAttentionDim.values(blocks: blocks, field: "cross_attention_dim")
        _ = try transformerLayersPerBlock.values(blocks: blocks, field: "transformer_layers_per_block")
        _ = try attentionHeadDim.values(blocks: blocks, field: "attention_head_dim")
        try validateBlockChannels(blockOutChannels, normNumGroups: normNumGroups)
    }

    /// `text_time` is the one added embedding implemented, and it needs both of its widths.
    private func validateAdditionEmbedding() throws {
        guard let additionEmbedType else { return }
        guard additionEmbedType == "text_time" else {
            throw ConfigError.unsupported(field: "addition_embed_type", value: additionEmbedType, supported: "text_time, null")
        }
        for (field, width) in [("addition_time_embed_dim", additionTimeEmbedDim),
                               ("projection_class_embeddings_input_dim", projectionClassEmbeddingsInputDim)] {
            guard let width, width > 0 else {
                throw ConfigError.unsupported(field: field, value: width.map { "\($0)" } ?? "null",
                                              supported: "a positive width when addition_embed_type is text_time")
            }
        }
    }

    /// Whether the UNet needs `text_embeds` and `time_ids` besides the text states (`addition_embed_type: "text_time"`).
    public var requiresAddedConditioning: Bool { additionEmbedType == "text_time" }

    /// Attention heads per block. diffusers reads `attention_head_dim` as the head *count* here
    /// (`num_attention_heads = num_attention_heads or attention_head_dim`), a naming quirk kept for parity.
    public var headCounts: [Int] { (try? attentionHeadDim.values(blocks: blockOutChannels.count, field: "")) ?? [] }
    public var layerCounts: [Int] { (try? layersPerBlock.values(blocks: blockOutChannels.count, field: "")) ?? [] }
    public var crossAttentionDims: [Int] { (try? crossAttentionDim.values(blocks: blockOutChannels.count, field: "")) ?? [] }
    public var transformerDepths: [Int] { (try? transformerLayersPerBlock.values(blocks: blockOutChannels.count, field: "")) ?? [] }
    public var onlyCrossAttentionFlags: [Bool] { (try? onlyCrossAttention.values(blocks: blockOutChannels.count, field: "")) ?? [] }
    /// Channels of the time embedding: 4 × the first block's channels.
    public var timeEmbeddingChannels: Int { blockOutChannels[0] * 4 }
}
