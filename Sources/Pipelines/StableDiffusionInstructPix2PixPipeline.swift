// diffusers `StableDiffusionInstructPix2PixPipeline.__call__`, step by step: the whole schedule runs (no
// strength); the image enters as the VAE posterior's mode, unscaled, concatenated to the scaled latents on the
// channel axis (8 UNet input channels); latents start as noise × init_noise_sigma; three-way guidance
// uncond + s·(text − image) + s_img·(image − uncond) when guidance_scale > 1 and image_guidance_scale ≥ 1.

import Images
import Random
import Schedulers
import Tensors

/// The diffusers `StableDiffusionInstructPix2PixPipeline`.
public final class StableDiffusionInstructPix2PixPipeline: StableDiffusionSteps {
    public let components: StableDiffusionComponents

    public init(components: StableDiffusionComponents) { self.components = components }

    /// diffusers' default `num_inference_steps` is 100; there is no `strength`.
    public var profile: PipelineProfile {
        PipelineProfile(modelID: components.modelID, defaultSteps: 100, usesStrength: false)
    }

    public func plan(_ request: PipelineRequest, imageWidth: Int, imageHeight: Int) throws -> DenoisingPlan {
        let factor = components.imageProcessor.scaleFactor
        return try fullSchedulePlan(request, height: imageHeight - imageHeight % factor, width: imageWidth - imageWidth % factor,
                                    guidance: .instructPix2Pix(text: request.guidanceScale, image: request.imageGuidanceScale),
                                    encodesImage: true)
    }

    public func generate(image: RGBImage, request: PipelineRequest,
                         options: GenerationOptions = GenerationOptions()) throws -> [RGBImage] {
        // 0. Check inputs: done by `RunnerContract` (steps ≥ 1)
        let hooks = try makeHooks(request, options: options)
        // 1. Define call parameters
        let guidance = Guidance.instructPix2Pix(text: request.guidanceScale, image: request.imageGuidanceScale)
        // 2. Encode input prompt (this pipeline has no clip_skip)
        let conditioning = try encodePrompt(request.prompt, negative: request.negativePrompt ?? "", clipSkip: nil,
                                            guidance: guidance, hooks: hooks)
        // 3. Preprocess image
        let pixels = try preprocess(image, hooks: hooks)
        // 5. Prepare Image latents (the same for every image: the posterior's mode draws nothing)
        let imageLatents = try prepareImageLatents(pixels, guidance: guidance, hooks: hooks)
        return try hooks.forEachImage(request.numImages) { i in
            let generator = imageGenerator(options.rng, seed: request.seeds[i])
            // 4. set timesteps
            let scheduler = try makeScheduler(request, options: options)
            hooks.record("timesteps", values: scheduler.timesteps)
            // 6. Prepare latent variables
            let latents = prepareLatents(like: imageLatents, scheduler: scheduler, generator: generator, hooks: hooks)
            // 9. Denoising loop: expand ×3 for guidance → scale → concat image latents on channels → UNet → guidance
            let loop = DenoisingLoop(unet: components.unet, scheduler: scheduler, generator: generator, hooks: hooks)
            let denoised = try loop.run(latents, timesteps: scheduler.timesteps) { latents, t, unet in
                let scaled = scheduler.scaleModelInput(guidance.expand(latents), timestep: t)
                let input = Tensor.concatenate([scaled, imageLatents], along: 1)
                return guidance.combine(unet(input, t, conditioning))
            }
            // Decode and post-process
            return try decodeLatents(denoised, hooks: hooks)
        }.flatMap { $0 }
    }

    /// diffusers `prepare_image_latents`: the posterior's mode (not scaled), one per guidance row.
    func prepareImageLatents(_ pixels: Tensor, guidance: Guidance, hooks: RunHooks) throws -> Tensor {
        let latents = guidance.batchImageLatents(try encodeImage(pixels, hooks: hooks).mode())
        hooks.record("image_latents", latents)
        return latents
    }

    /// diffusers `prepare_latents`: noise of the image latents' size × init_noise_sigma.
    func prepareLatents(like imageLatents: Tensor, scheduler: Scheduler, generator: RandomGenerator,
                        hooks: RunHooks) -> Tensor {
        let shape = [1, components.vae.config.latentChannels, imageLatents.shape[2], imageLatents.shape[3]]
        let noise = generator.randn(shape)
        let latents = noise * scheduler.initNoiseSigma
        hooks.record("noise", noise)
        hooks.record("latents", latents)
        return latents
    }
}
