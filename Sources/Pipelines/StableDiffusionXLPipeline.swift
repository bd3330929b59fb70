// diffusers `StableDiffusionXLPipeline.__call__` (text-to-image), step by step, as the runner calls it for
// SDXL-Lightning behind the image-to-image route: the image and strength it is handed are not read; the picture
// has the UNet's native size (`sample_size` × the VAE's scale factor, 1024² for SDXL) and starts from pure noise
// scaled by the scheduler's `init_noise_sigma`, through every timestep of the schedule.

import Images
import Models
import Random
import Schedulers
import Tensors

/// The diffusers `StableDiffusionXLPipeline`: text-to-image, the way the runner serves SDXL-Lightning.
public final class StableDiffusionXLPipeline: StableDiffusionSteps {
    public let components: StableDiffusionXLComponents

    public init(components: StableDiffusionXLComponents) { self.components = components }

    /// diffusers' default `num_inference_steps` is 50; neither the image nor `strength` is read.
    public var profile: PipelineProfile {
        PipelineProfile(modelID: components.modelID, defaultSteps: 50, usesStrength: false, usesImage: false)
    }

    /// The output's height and width: `default_sample_size × vae_scale_factor`.
    public var outputSize: (height: Int, width: Int) {
        let side = (components.unet.config.sampleSize ?? 128) * components.imageProcessor.scaleFactor
        return (side, side)
    }

    public func plan(_ request: PipelineRequest, imageWidth _: Int, imageHeight _: Int) throws -> DenoisingPlan {
        try fullSchedulePlan(request, height: outputSize.height, width: outputSize.width,
                             guidance: .classifierFree(request.guidanceScale), encodesImage: false)
    }

    public func generate(image _: RGBImage, request: PipelineRequest,
                         options: GenerationOptions = GenerationOptions()) throws -> [RGBImage] {
        let hooks = try makeHooks(request, options: options)
        // 0. Default height and width to unet
        let (height, width) = outputSize
        // 1. Check inputs: done by `RunnerContract` (steps ≥ 1)
        // 2. Define call parameters
        let guidance = Guidance.classifierFree(request.guidanceScale)
        // 3. Encode input prompt
        let (states, pooled) = try encodePrompt(request.prompt, negative: request.negativePrompt,
                                                clipSkip: request.clipSkip, guidance: guidance, hooks: hooks)
        // 7. Prepare added time ids & embeddings (original size = target size = the output's)
        let conditioning = UNetConditioning(encoderHiddenStates: states, textEmbeds: pooled,
                                            timeIDs: try addTimeIDs(height: height, width: width, guidance: guidance,
                                                                    hooks: hooks))
        // 4.–8. Per image (seed `seed + i`)
        return try hooks.forEachImage(request.numImages) { i in
            let generator = imageGenerator(options.rng, seed: request.seeds[i])
            // 4. Prepare timesteps: the whole schedule
            let scheduler = try makeScheduler(request, options: options)
            let timesteps = scheduler.timesteps
            hooks.record("timesteps", values: timesteps)
            // 5. Prepare latent variables: noise at the first timestep's scale
            let factor = components.imageProcessor.scaleFactor
            let shape = [1, components.unet.config.inChannels, height / factor, width / factor]
            let latents = generator.randn(shape) * scheduler.initNoiseSigma
            hooks.record("latents", latents)
            // 8. Denoising loop
            let denoised = try denoise(latents, timesteps: timesteps, scheduler: scheduler, generator: generator,
                                       conditioning: conditioning, guidance: guidance, hooks: hooks)
            // 9. Decode and post-process
            return try decodeLatents(denoised, hooks: hooks)
        }.flatMap { $0 }
    }
}
