// What SDXL's text-to-image and image-to-image pipelines share, as diffusers copies it between them: the prompt
// through both text encoders (`hidden_states[-2]` of each, concatenated ViT-L first; the pooled embedding is
// encoder 2's projected EOS state) and the micro-conditioning time ids — original size, crop top-left and target
// size (or, for the refiner, an aesthetic score). With guidance each is batched [unconditional, conditional].

import Models
import Tensors

/// The refiner's micro-conditioning scores (diffusers' defaults).
enum AestheticScores {
    static let positive: Float = 6, negative: Float = 2.5
}

extension StableDiffusionSteps where Components == StableDiffusionXLComponents {
    /// diffusers SDXL `encode_prompt`: each encoder's `hidden_states[-2]` (with `clipSkip`,
    /// `hidden_states[-(clip_skip + 2)]`, no final norm; the positive prompt only), concatenated on the last
    /// axis, and encoder 2's pooled embedding. With guidance the negative prompt is encoded the same way
    /// (`hidden_states[-2]`) — or, when there is none at all and the model forces zeros, both are zeros — and
    /// the rows are [negative, prompt].
    func encodePrompt(_ prompt: String, negative: String?, clipSkip: Int?, guidance: Guidance,
                      hooks: RunHooks) throws -> (states: Tensor, pooled: Tensor) {
        let zeros = negative == nil && components.forceZerosForEmptyPrompt
        let encodesNegative = guidance != .none && !zeros
        let texts = [(prompt, clipSkip)] + (encodesNegative ? [(negative ?? "", nil)] : [])
        let encoded = try encodeTexts(texts, hooks: hooks)
        var result = encoded[0]
        if guidance != .none {
            let unconditional = encodesNegative ? encoded[1]
                : (states: Tensor(zeros: result.states.shape), pooled: Tensor(zeros: result.pooled.shape))
            result = (guidance.batchPrompt(result.states) { unconditional.states },
                      guidance.batchPrompt(result.pooled) { unconditional.pooled })
        }
        hooks.record("prompt_embeds", result.states)
        hooks.record("add_text_embeds", result.pooled)
        return result
    }

    /// Texts through every text encoder the model has (with the request's LoRA patches), each encoder one stage
    /// for all of them: per text the states `[1, 77, Σ widths]` and the pooled `[1, proj]`. The first text's
    /// states of each encoder are dumped as `<encoder>_states`.
    func encodeTexts(_ texts: [(text: String, clipSkip: Int?)],
                     hooks: RunHooks) throws -> [(states: Tensor, pooled: Tensor)] {
        let encoders = [(components.tokenizer, components.textEncoder, LoRAComponent.textEncoder),
                        (components.tokenizer2, components.textEncoder2, LoRAComponent.textEncoder2)]
        var states = [[Tensor]](repeating: [], count: texts.count)
        var pooled = [Tensor?](repeating: nil, count: texts.count)
        for case let (tokenizer?, encoder?, component) in encoders {
            let name = component.rawValue
            let outputs = try hooks.stage(encoder, patches: hooks.loras[component]) {
                hooks.traced(name, shape: { $0.first?.hiddenStates.last?.shape ?? [] }) {
                    texts.map { encoder([tokenizer.encode($0.text)]) }
                }
            }
            for (i, output) in outputs.enumerated() {
                let skip = texts[i].clipSkip ?? 0
                let index = output.hiddenStates.count - 2 - skip
                guard index >= 0 else {
                    throw PipelineError.invalidInput("clip_skip \(skip) exceeds \(name)'s \(output.hiddenStates.count - 1) layers")
                }
                states[i].append(output.hiddenStates[index])
                pooled[i] = pooled[i] ?? output.textEmbeds
            }
            hooks.record("\(name)_states", states[0].last!)
        }
        return try zip(states, pooled).map { states, pooled in
            guard let pooled else { throw PipelineError.unsupportedModel("text_encoder_2 has no text_projection") }
            return (Tensor.concatenate(states, along: 2), pooled)
        }
    }

    /// diffusers `_get_add_time_ids` for an image of `height` × `width`: (original size, crop (0, 0), target
    /// size), or with `requires_aesthetics_score` (original size, crop, score 6 / negative 2.5); the rows follow
    /// the guidance's order. Refuses a UNet whose `add_embedding` expects another count, in diffusers' words.
    func addTimeIDs(height: Int, width: Int, guidance: Guidance, hooks: RunHooks) throws -> Tensor {
        let (h, w) = (Float(height), Float(width))
        let refiner = components.requiresAestheticsScore
        let ids: [Float] = refiner ? [h, w, 0, 0, AestheticScores.positive] : [h, w, 0, 0, h, w]
        let negativeIDs: [Float] = refiner ? [h, w, 0, 0, AestheticScores.negative] : ids
        let config = components.unet.config
        let passed = (config.additionTimeEmbedDim ?? 0) * ids.count + components.textEncoder2.config.projectionDim
        let expected = config.projectionClassEmbeddingsInputDim ?? 0
        if expected != passed {
            let hint = expected - passed == config.additionTimeEmbedDim ? "enable `requires_aesthetics_score`"
                : passed - expected == config.additionTimeEmbedDim ? "disable `requires_aesthetics_score`"
                : "check `unet.config.time_embedding_type` and `text_encoder_2.config.projection_dim`"
            throw PipelineError.unsupportedModel("Model expects an added time embedding vector of length \(expected), "
                                                 + "but a vector of \(passed) was created: \(hint)")
        }
        let timeIDs = guidance.batchPrompt(Tensor(shape: [1, ids.count], values: ids)) {
            Tensor(shape: [1, negativeIDs.count], values: negativeIDs)
        }
        hooks.record("add_time_ids", timeIDs)
        return timeIDs
    }
}
