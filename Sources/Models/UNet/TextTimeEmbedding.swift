// SDXL's added conditioning, diffusers `UNet2DConditionModel.get_aug_embed` for `addition_embed_type="text_time"`:
// every micro-conditioning id through the timestep sinusoid (`add_time_proj`, `addition_time_embed_dim` wide),
// each row's sinusoids flattened after its pooled text embeds, then `add_embedding` (linear → SiLU → linear).
// The UNet adds the result to its time embedding before the blocks.

import Tensors

/// The diffusers `add_time_proj` + `add_embedding` pair of a `text_time` UNet.
struct TextTimeEmbedding {
    let embedding: TimestepEmbedding
    let timeIDWidth: Int
    let inputWidth: Int
    let flipSinToCos: Bool
    let freqShift: Float

    /// Reads `add_embedding.*`; the config must have `addition_embed_type` "text_time" (validated).
    init(_ scope: WeightScope, config: UNet2DConditionConfig) {
        timeIDWidth = config.additionTimeEmbedDim!
        inputWidth = config.projectionClassEmbeddingsInputDim!
        flipSinToCos = config.flipSinToCos
        freqShift = Float(config.freqShift)
        // diffusers builds it as `TimestepEmbedding(projection_class_embeddings_input_dim, time_embed_dim)`:
        // the default act "silu", whatever the UNet's `act_fn`.
        embedding = TimestepEmbedding(scope, inChannels: inputWidth, embeddingDim: config.timeEmbeddingChannels,
                                      activation: .silu)
    }

    /// The embedding to add for pooled `textEmbeds` `[B, P]` and `timeIDs` `[B, N]`, `[B, time embedding width]`.
    func callAsFunction(textEmbeds: Tensor, timeIDs: Tensor) -> Tensor {
        precondition(textEmbeds.shape.count == 2 && timeIDs.shape.count == 2 && timeIDs.shape[0] == textEmbeds.shape[0],
                     "text_embeds \(textEmbeds.shape) and time_ids \(timeIDs.shape) must be [B, P] and [B, N]")
        let rows = textEmbeds.shape[0], ids = timeIDs.shape[1]
        precondition(textEmbeds.shape[1] + ids * timeIDWidth == inputWidth,
                     "text_embeds width \(textEmbeds.shape[1]) + \(ids) time ids × \(timeIDWidth) ≠ "
                         + "projection_class_embeddings_input_dim \(inputWidth)")
        let timeEmbeds = sinusoidalTimestepEmbedding(timeIDs.scalars, dimension: timeIDWidth, flipSinToCos: flipSinToCos,
                                                     downscaleFreqShift: freqShift)
            .reshaped([rows, ids * timeIDWidth])
        return embedding(Tensor.concatenate([textEmbeds, timeEmbeds], along: 1))
    }
}
