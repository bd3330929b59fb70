// diffusers `StableDiffusionXLImg2ImgPipeline.__call__`, step by step. What differs from SD img2img: the prompt
// goes through both text encoders (`hidden_states[-2]` of each, concatenated ViT-L first; the pooled embedding is
// encoder 2's projected EOS state), and the UNet is also conditioned on that pooled embedding and on the
// micro-conditioning time ids — original size, crop top-left and target size (or, for the refiner, an aesthetic
// score) of the 8-floored input. With guidance every one of them is batched [unconditional, conditional].

import Images
import Models
import Random
import Schedulers
import Tensors

/// The diffusers `StableDiffusionXLImg2ImgPipeline` (SDXL base, sdxl-turbo, the refiner, RealVisXL).
public final class StableDiffusionXLImg2ImgPipeline: StableDiffusionSteps {
    public let components: StableDiffusionXLComponents
    /// The refiner's micro-conditioning scores (diffusers' defaults).
    static let aestheticScore: Float = 6, negativeAestheticScore: Float = 2.5

    public init(components: StableDiffusionXLComponents) { self.components = components }

    /// diffusers' default `num_inference_steps` is 50; `strength` is read.
    public var profile: PipelineProfile {
        PipelineProfile(modelID: components.modelID, defaultSteps: 50, usesStrength: true)
    }

    public func generate(image: RGBImage, request: PipelineRequest,
                         options: GenerationOptions = GenerationOptions()) throws -> [RGBImage] {
        // 1. Check inputs: done by `RunnerContract` (strength in [0, 1], steps ≥ 1)
        let hooks = try makeHooks(request, options: options)
        // 2. Define call parameters
        let guidance = Guidance.classifierFree(request.guidanceScale)
        // 3. Encode input prompt: both encoders' states, and the pooled embedding
        let (states, pooled) = try encodePrompt(request.prompt, negative: request.negativePrompt,
                                                clipSkip: request.clipSkip, guidance: guidance, hooks: hooks)
        // 4. Preprocess image
        let pixels = try preprocess(image, hooks: hooks)
        // 8. Prepare added time ids & embeddings (they depend on the image's size only, so once)
        let conditioning = UNetConditioning(encoderHiddenStates: states, textEmbeds: pooled,
                                            timeIDs: try addTimeIDs(height: pixels.shape[2], width: pixels.shape[3],
                                                                    guidance: guidance, hooks: hooks))
        // 6. Prepare latent variables, part one: the VAE encode draws nothing, so it runs once for all images
        let posterior = encodeImage(pixels, hooks: hooks)
        // 5.–9. Per image (seed `seed + i`): prepare timesteps, prepare latent variables, denoise, decode
        return try img2imgImages(posterior, conditioning: conditioning, guidance: guidance, request: request,
                                 options: options, hooks: hooks)
    }

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

    /// Texts through every text encoder the model has, each encoder one stage for all of them: per text the
    /// states `[1, 77, Σ widths]` and the pooled `[1, proj]`. The first text's states of each encoder are dumped
    /// as `<encoder>_states`.
    func encodeTexts(_ texts: [(text: String, clipSkip: Int?)],
                     hooks: RunHooks) throws -> [(states: Tensor, pooled: Tensor)] {
        let encoders = [(components.tokenizer, components.textEncoder, "text_encoder"),
                        (components.tokenizer2, components.textEncoder2, "text_encoder_2")]
        var states = [[Tensor]](repeating: [], count: texts.count)
        var pooled = [Tensor?](repeating: nil, count: texts.count)
        for case let (tokenizer?, encoder?, name) in encoders {
            let outputs = hooks.stage(encoder) { texts.map { encoder([tokenizer.encode($0.text)]) } }
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
        let ids: [Float] = refiner ? [h, w, 0, 0, Self.aestheticScore] : [h, w, 0, 0, h, w]
        let negativeIDs: [Float] = refiner ? [h, w, 0, 0, Self.negativeAestheticScore] : ids
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
