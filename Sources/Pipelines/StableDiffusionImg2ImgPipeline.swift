// diffusers `StableDiffusionImg2ImgPipeline.__call__`, step by step (the per-image steps 5–9 are
// `StableDiffusionSteps.img2imgImages`, shared with SDXL): encode the prompt once, encode the image
// once, then per image (seed `seed + i`, its own generator and scheduler) keep the last ⌊steps · strength⌋
// timesteps, sample the posterior × scaling_factor and add noise at the first kept timestep (random draws in
// diffusers' order: posterior, then noise), denoise with classifier-free guidance when guidance_scale > 1,
// and decode.

import Images
import Models
import Random
import Schedulers
import Tensors

/// The diffusers `StableDiffusionImg2ImgPipeline` (SD1.x, SD2.x, SD-Turbo).
public final class StableDiffusionImg2ImgPipeline: StableDiffusionSteps {
    public let components: StableDiffusionComponents

    public init(components: StableDiffusionComponents) { self.components = components }

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
        // 3. Encode input prompt
        let conditioning = try encodePrompt(request.prompt, negative: request.negativePrompt ?? "",
                                            clipSkip: request.clipSkip, guidance: guidance, hooks: hooks)
        // 4. Preprocess image
        let pixels = try preprocess(image, hooks: hooks)
        // 6. Prepare latent variables, part one: the VAE encode draws nothing, so it runs once for all images
        let posterior = try encodeImage(pixels, hooks: hooks)
        // 5.–9. Per image (seed `seed + i`): set timesteps, prepare latent variables, denoise, decode
        return try img2imgImages(posterior, conditioning: conditioning, guidance: guidance, request: request,
                                 options: options, hooks: hooks)
    }
}
