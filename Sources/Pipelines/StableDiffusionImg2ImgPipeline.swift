// diffusers `StableDiffusionImg2ImgPipeline.__call__`, step by step: encode the prompt once, encode the image
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
        let posterior = encodeImage(pixels, hooks: hooks)
        return try hooks.forEachImage(request.numImages) { i in
            let generator = imageGenerator(options.rng, seed: request.seeds[i])
            // 5. Set timesteps
            let scheduler = try makeScheduler(request, options: options)
            let timesteps = try getTimesteps(scheduler, steps: request.steps, strength: request.strength, hooks: hooks)
            // 6. Prepare latent variables, part two: sample the posterior, add noise at the first timestep
            let latents = prepareLatents(posterior, timestep: timesteps[0], scheduler: scheduler, generator: generator,
                                         hooks: hooks)
            // 8. Denoising loop: expand for guidance → scale → predict the noise residual → guidance
            let loop = DenoisingLoop(unet: components.unet, scheduler: scheduler, generator: generator, hooks: hooks)
            let denoised = try loop.run(latents, timesteps: timesteps) { latents, t, unet in
                let input = scheduler.scaleModelInput(guidance.expand(latents), timestep: t)
                return guidance.combine(unet(input, t, conditioning))
            }
            // 9. Decode and post-process
            return try decodeLatents(denoised, hooks: hooks)
        }.flatMap { $0 }
    }
}
