// The diffusers `UNet2DConditionModel` (SD1.x, SD2.x, SD-Turbo, InstructPix2Pix, SDXL): timestep embedding
// (+ SDXL's `text_time` added embedding) → conv_in → down blocks (keeping skip states) → mid block → up blocks
// (consuming them) → norm → act → conv_out.

import Foundation
import SafeTensors
import Tensors

/// The diffusers `UNet2DConditionModel`: predicts noise (or v) for a latent at a timestep, given text states.
public struct UNet2DConditionModel {
    public let config: UNet2DConditionConfig
    let timeEmbedding: TimestepEmbedding
    /// `add_time_proj` + `add_embedding` when `addition_embed_type` is "text_time".
    let addEmbedding: TextTimeEmbedding?
    let convIn: Conv2d
    let downBlocks: [UNetDownBlock]
    let midBlock: UNetMidBlock?
    let upBlocks: [UNetUpBlock]
    let normOut: GroupNorm
    let convOut: Conv2d
    let activation: Activation
    /// Every Linear and Conv2d: layer key → weight shape (the layers a LoRA may patch).
    public let layerShapes: [String: [Int]]
    /// The checkpoint the weights are read from (F16 layer weights stay in its file mapping).
    public let checkpoint: TensorSource

    /// Builds the model from its config and checkpoint, reporting every missing, unexpected or mis-shaped key.
    public init(config: UNet2DConditionConfig, weights: Weights) throws {
        try config.validate()
        self.config = config
        checkpoint = weights.source
        let root = weights.scope()
        let activation = Activation(configName: config.actFn)!
        self.activation = activation
        let channels = config.blockOutChannels
        let blocks = channels.count
        let settings = UNetBlockSettings(timeEmbeddingChannels: config.timeEmbeddingChannels, groups: config.normNumGroups,
                                         epsilon: config.normEps, activation: activation,
                                         scaleShift: config.resnetTimeScaleShift == "scale_shift",
                                         outputScaleFactor: config.resnetOutScaleFactor,
                                         linearProjection: config.useLinearProjection)
        timeEmbedding = TimestepEmbedding(root["time_embedding"], inChannels: channels[0],
                                          embeddingDim: config.timeEmbeddingChannels, activation: activation)
        addEmbedding = config.requiresAddedConditioning ? TextTimeEmbedding(root["add_embedding"], config: config) : nil
        convIn = Conv2d(root["conv_in"], inChannels: config.inChannels, outChannels: channels[0],
                        kernel: config.convInKernel, padding: (config.convInKernel - 1) / 2)
        let heads = config.headCounts, layers = config.layerCounts, crossDims = config.crossAttentionDims
        let depths = config.transformerDepths, onlyCross = config.onlyCrossAttentionFlags
        func attention(_ i: Int, _ type: String) -> UNetAttentionSettings? {
            type.hasPrefix("CrossAttn")
                ? UNetAttentionSettings(heads: heads[i], depth: depths[i], crossAttentionDim: crossDims[i],
                                        onlyCrossAttention: onlyCross[i]) : nil
        }
        downBlocks = (0..<blocks).map { i in
            UNetDownBlock(root["down_blocks"][i], layers: layers[i], inChannels: i == 0 ? channels[0] : channels[i - 1],
                          outChannels: channels[i], attention: attention(i, config.downBlockTypes[i]),
                          addDownsample: i < blocks - 1, downsamplePadding: config.downsamplePadding, settings: settings)
        }
        midBlock = config.midBlockType == nil ? nil
            : UNetMidBlock(root["mid_block"], channels: channels[blocks - 1],
                           attention: UNetAttentionSettings(heads: heads[blocks - 1], depth: depths[blocks - 1],
                                                            crossAttentionDim: crossDims[blocks - 1], onlyCrossAttention: false),
                           settings: settings, outputScaleFactor: config.midBlockScaleFactor)
        let reversed = Array(channels.reversed())
        upBlocks = (0..<blocks).map { i in
            let j = blocks - 1 - i  // the matching down block's index, for per-block settings
            return UNetUpBlock(root["up_blocks"][i], layers: layers[j] + 1,
                               inChannels: reversed[min(i + 1, blocks - 1)], outChannels: reversed[i],
                               previousOutputChannels: reversed[max(i - 1, 0)],
                               attention: attention(j, config.upBlockTypes[i]), addUpsample: i < blocks - 1,
                               settings: settings)
        }
        normOut = GroupNorm(root["conv_norm_out"], groups: config.normNumGroups, channels: channels[0], epsilon: config.normEps)
        convOut = Conv2d(root["conv_out"], inChannels: channels[0], outChannels: config.outChannels,
                         kernel: config.convOutKernel, padding: (config.convOutKernel - 1) / 2)
        layerShapes = weights.layerShapes
        try weights.finish(component: "unet")
    }

    /// Whether a call needs `addedTextEmbeds` and `addedTimeIDs` (SDXL's `addition_embed_type: "text_time"`).
    public var requiresAddedConditioning: Bool { config.requiresAddedConditioning }

    /// Loads `unet/config.json` and its weights from a diffusers model folder's `unet` directory — or, given
    /// `weightsFile`, that file's weights instead (a UNet shipped alone, such as SDXL-Lightning's).
    public init(directory: URL, weightsFile: URL? = nil) throws {
        let config = try decodeConfig(UNet2DConditionConfig.self, from: directory.appendingPathComponent("config.json"))
        let source: TensorSource = try weightsFile.map { try SafeTensorsFile(contentsOf: $0) }
            ?? openCheckpoint(in: directory, baseName: "diffusion_pytorch_model")
        try self.init(config: config, weights: Weights(source: source))
    }

    /// The model output for `sample` `[B, C, H, W]` at `timesteps` (one per batch entry, or one for all)
    /// conditioned on `encoderHiddenStates` `[B, T, D]` and, for a `text_time` UNet (SDXL), on the pooled
    /// `addedTextEmbeds` `[B, P]` and `addedTimeIDs` `[B, N]` (diffusers' `added_cond_kwargs`).
    public func callAsFunction(_ sample: Tensor, timesteps: [Float], encoderHiddenStates: Tensor,
                               addedTextEmbeds: Tensor? = nil, addedTimeIDs: Tensor? = nil) -> Tensor {
        let embedding = combinedTimeEmbedding(timesteps, batch: sample.shape[0], addedTextEmbeds: addedTextEmbeds,
                                              addedTimeIDs: addedTimeIDs)

        var hidden = config.centerInputSample ? sample * 2 + -1 : sample
        hidden = convIn(hidden)
        var skips = [hidden]
        for (i, block) in downBlocks.enumerated() {
            let (output, states) = ModuleTrace.span("down_blocks.\(i)", input: hidden, outputShape: { $0.0.shape }) {
                block(hidden, timeEmbedding: embedding, context: encoderHiddenStates)
            }
            hidden = output
            skips += states
        }
        if let midBlock {
            hidden = ModuleTrace.span("mid_block", input: hidden) {
                midBlock(hidden, timeEmbedding: embedding, context: encoderHiddenStates)
            }
        }

        // When H or W is not a multiple of 2^upsamplers, each upsampler aims at its skip state's size.
        let factor = 1 << (upBlocks.count - 1)
        let forwardSize = sample.shape[2] % factor != 0 || sample.shape[3] % factor != 0
        for (i, block) in upBlocks.enumerated() {
            let remaining = skips.count - block.resnets.count
            let size = forwardSize && i < upBlocks.count - 1 ? (skips[remaining - 1].shape[2], skips[remaining - 1].shape[3]) : nil
            hidden = ModuleTrace.span("up_blocks.\(i)", input: hidden) {
                block(hidden, skips: &skips, timeEmbedding: embedding, context: encoderHiddenStates, upsampleSize: size)
            }
        }
        // diffusers: conv_out(conv_act(conv_norm_out(sample)))
        return convOut(hidden, fusing: .normalizing(normOut.normalization(of: hidden, activation: activation)))
    }

    /// `emb` of diffusers' forward: `time_embedding(time_proj(t))`, plus the added embedding of a `text_time` UNet.
    func combinedTimeEmbedding(_ timesteps: [Float], batch: Int, addedTextEmbeds: Tensor?, addedTimeIDs: Tensor?) -> Tensor {
        precondition(timesteps.count == batch || timesteps.count == 1, "need 1 or \(batch) timesteps")
        let times = timesteps.count == batch ? timesteps : Array(repeating: timesteps[0], count: batch)
        let projected = sinusoidalTimestepEmbedding(times, dimension: config.blockOutChannels[0],
                                                    flipSinToCos: config.flipSinToCos,
                                                    downscaleFreqShift: Float(config.freqShift))
        var embedding = timeEmbedding(projected)
        guard let addEmbedding else {
            precondition(addedTextEmbeds == nil && addedTimeIDs == nil,
                         "this UNet has no added conditioning (addition_embed_type is null): pass no text embeds or time ids")
            return embedding
        }
        guard let addedTextEmbeds, let addedTimeIDs else {
            preconditionFailure("a UNet with addition_embed_type \"text_time\" needs addedTextEmbeds and addedTimeIDs")
        }
        precondition(addedTextEmbeds.shape.first == batch,
                     "text_embeds has \(addedTextEmbeds.shape.first ?? 0) rows for a batch of \(batch)")
        embedding.add(addEmbedding(textEmbeds: addedTextEmbeds, timeIDs: addedTimeIDs))
        return embedding
    }
}
