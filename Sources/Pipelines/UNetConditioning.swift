// Everything the UNet is conditioned on besides the latents and the timestep, as one bundle: the text states
// it cross-attends to and, for SDXL's `addition_embed_type: "text_time"`, the pooled text embeds and the
// micro-conditioning time ids (`added_cond_kwargs`). Rows follow the guidance's batch order.

import Models
import Tensors

/// The UNet's conditioning for one request: encoder hidden states plus optional added conditioning.
public struct UNetConditioning {
    /// `encoder_hidden_states`: `[rows, tokens, width]`.
    public var encoderHiddenStates: Tensor
    /// `added_cond_kwargs["text_embeds"]`: `[rows, pooled width]` (SDXL), nil for SD1.x/2.x.
    public var textEmbeds: Tensor?
    /// `added_cond_kwargs["time_ids"]`: `[rows, 6]` or `[rows, 5]` (SDXL), nil for SD1.x/2.x.
    public var timeIDs: Tensor?

    public init(encoderHiddenStates: Tensor, textEmbeds: Tensor? = nil, timeIDs: Tensor? = nil) {
        self.encoderHiddenStates = encoderHiddenStates
        self.textEmbeds = textEmbeds
        self.timeIDs = timeIDs
    }
}

extension UNet2DConditionModel {
    /// The noise (or v) prediction for `sample` at `timestep` under `conditioning`.
    func callAsFunction(_ sample: Tensor, timestep: Float, conditioning: UNetConditioning) -> Tensor {
        self(sample, timesteps: [timestep], encoderHiddenStates: conditioning.encoderHiddenStates,
             addedTextEmbeds: conditioning.textEmbeds, addedTimeIDs: conditioning.timeIDs)
    }
}
