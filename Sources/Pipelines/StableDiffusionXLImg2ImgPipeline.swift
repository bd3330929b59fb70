// diffusers `StableDiffusionXLImg2ImgPipeline.__call__`, step by step. What differs from SD img2img: the prompt
// goes through both text encoders, and the UNet is also conditioned on the pooled embedding and on the
// micro-conditioning time ids of the 8-floored input (`SDXLPromptEncoding.swift`).

import Images
import Models
import Random
import Schedulers
import Tensors

/// The diffusers `StableDiffusionXLImg2ImgPipeline` (SDXL base, sdxl-turbo, the refiner, RealVisXL).
public final class StableDiffusionXLImg2ImgPipeline: StableDiffusionSteps {
    public let components: StableDiffusionXLComponents
    public init(components: StableDiffusionXLComponents) { self.components = components }

    /// diffusers' default `num_inference_steps` is 50; `strength` is read.
    public var profile: PipelineProfile {
        PipelineProfile(modelID: components.modelID, defaultSteps: 50, usesStrength: true)
    }

    public func plan(_ request: PipelineRequest, imageWidth: Int, imageHeight: Int) throws -> DenoisingPlan {
        try img2imgPlan(request, imageWidth: imageWidth, imageHeight: imageHeight,
                        guidance: .classifierFree(request.guidanceScale))
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
        let posterior = try encodeImage(pixels, hooks: hooks)
        // 5.–9. Per image (seed `seed + i`): prepare timesteps, prepare latent variables, denoise, decode
        return try img2imgImages(posterior, conditioning: conditioning, guidance: guidance, request: request,
                                 options: options, hooks: hooks)
    }

    /// The prompt's text states as the UNet reads them — both encoders' `hidden_states[-2]`, side by side — for
    /// one text, without guidance or LoRAs (the benchmark's text stage).
    public func promptStates(_ prompt: String) throws -> Tensor {
        try encodeTexts([(prompt, nil)], hooks: RunHooks(options: GenerationOptions(), loras: .none))[0].states
    }
}
