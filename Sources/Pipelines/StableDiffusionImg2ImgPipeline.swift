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
        let conditioning = try encodePrompt(request.prompt, negative: request.negativePrompt, clipSkip: request.clipSkip,
                                            guidance: guidance, hooks: hooks)
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

    /// diffusers `get_timesteps`: the schedule from t_start = steps − min(⌊steps · strength⌋, steps) on, with the
    /// scheduler's begin index set there; throws when that leaves no step.
    func getTimesteps(_ scheduler: Scheduler, steps: Int, strength: Double, hooks: RunHooks) throws -> [Float] {
        let start = Self.firstStep(steps: steps, strength: strength) * scheduler.order
        let timesteps = Array(scheduler.timesteps.dropFirst(start))
        guard !timesteps.isEmpty else {
            throw PipelineError.invalidInput("strength \(strength) × \(steps) steps leaves no denoising step; raise strength or num_inference_steps")
        }
        scheduler.setBeginIndex(start)
        hooks.record("timesteps", values: timesteps)
        return timesteps
    }

    /// t_start = steps − min(⌊steps · strength⌋, steps), in Python's float arithmetic.
    static func firstStep(steps: Int, strength: Double) -> Int {
        let initial = min(Int(Double(steps) * strength), steps)
        return max(steps - initial, 0)
    }

    /// diffusers `prepare_latents`: a posterior sample × scaling_factor, noised to `timestep`.
    func prepareLatents(_ posterior: DiagonalGaussian, timestep: Float, scheduler: Scheduler,
                        generator: RandomGenerator, hooks: RunHooks) -> Tensor {
        let imageLatents = posterior.sample(noise: generator.randn(posterior.mean.shape)) * components.vae.config.scalingFactor
        let noise = generator.randn(imageLatents.shape)
        let latents = scheduler.addNoise(original: imageLatents, noise: noise, timestep: timestep)
        hooks.record("image_latents", imageLatents)
        hooks.record("noise", noise)
        hooks.record("latents", latents)
        return latents
    }
}
