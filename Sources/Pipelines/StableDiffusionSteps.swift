// The steps the SD, SDXL and InstructPix2Pix pipelines share, named as diffusers names them (its pipelines
// share them through mixins and `# Copied from`): the image preprocessing and VAE encode, a fresh scheduler per
// image, img2img's `get_timesteps` and `prepare_latents`, and the VAE decode; plus SD1.x/2.x's `encode_prompt`.
// Each carries its own hooks (stage memory, LoRA patches, dumps) so a pipeline's `generate` reads as the
// algorithm alone.

import Images
import Models
import Random
import Schedulers
import Tensors

/// What the shared steps read of a model's components.
public protocol LatentDiffusionComponents: AnyObject {
    /// The id the runner's per-model rules key on (and LoRA errors name).
    var modelID: String { get }
    var unet: UNet2DConditionModel { get }
    var vae: AutoencoderKL { get }
    var schedulerConfig: SchedulerConfig { get }
    var imageProcessor: VaeImageProcessor { get }
    /// Where the request's LoRA ids are found, and the LoRAs kept loaded.
    var loraLibrary: LoRALibrary { get }
    /// How LoRA updates are applied (see `LoRAApplication`).
    var loraApplication: LoRAApplication { get }
    /// The layers a LoRA may adapt, per component: layer key → weight shape.
    var loraLayers: [LoRAComponent: [String: [Int]]] { get }
    /// The checkpoint-backed models, in pipeline order.
    var models: [CheckpointBacked] { get }
    /// The previews of this model's latents (its fitted projection, its tiny autoencoder when installed).
    var previews: LatentPreviews { get }
}

extension LatentDiffusionComponents {
    /// The patches for `loras` (id → strength, applied in id order), loading each LoRA through `loraLibrary`.
    public func loraBinding(for loras: [String: Float]) throws -> LoRABinding {
        try LoRASelection.validate(loras)
        guard !loras.isEmpty else { return .none }
        let loaded = try loras.sorted { $0.key < $1.key }.map { (lora: try loraLibrary.load($0.key), strength: $0.value) }
        return try LoRABinding.make(loaded, layers: loraLayers, unetLayersPerBlock: unet.config.layerCounts.first ?? 2,
                                    model: modelID, application: loraApplication)
    }
}

/// A pipeline built on a latent-diffusion model's components.
protocol StableDiffusionSteps: ImageToImagePipeline {
    associatedtype Components: LatentDiffusionComponents
    var components: Components { get }
}

extension StableDiffusionSteps where Components == StableDiffusionComponents {
    /// diffusers `encode_prompt`: the prompt's text states (with `clipSkip`, the hidden state that many layers
    /// from the end through the final layer norm), batched with the negative prompt's as `guidance` orders them.
    func encodePrompt(_ prompt: String, negative: String, clipSkip: Int?, guidance: Guidance,
                      hooks: RunHooks) throws -> UNetConditioning {
        let encoder = PromptEncoder(tokenizer: components.tokenizer, textEncoder: components.textEncoder)
        let states = try hooks.stage(components.textEncoder, patches: hooks.loras[.textEncoder]) {
            try hooks.traced("text_encoder") {
                let positive = try encoder.encode(prompt, clipSkip: clipSkip)
                return guidance.batchPrompt(positive) { encoder.encodeNegative(negative) }
            }
        }
        hooks.record("prompt_embeds", states)
        return UNetConditioning(encoderHiddenStates: states)
    }
}

extension StableDiffusionSteps {
    public var previews: LatentPreviews { components.previews }

    /// `image_processor.preprocess`: the image as `[1, 3, H, W]` in [−1, 1], sides floored to multiples of 8.
    func preprocess(_ image: RGBImage, hooks: RunHooks) throws -> Tensor {
        let pixels = try components.imageProcessor.preprocess(image)
        hooks.record("image", pixels)
        return pixels
    }

    /// `vae.encode(image).latent_dist`: the posterior over the image's latents.
    func encodeImage(_ pixels: Tensor, hooks: RunHooks) throws -> DiagonalGaussian {
        try hooks.stage(components.vae) {
            hooks.traced("vae.encode", shape: \.mean.shape) { components.vae.encode(pixels) }
        }
    }

    /// A fresh scheduler for one image: the model's config (or the caller's), with the caller's or the runner's
    /// class swap, set to `steps`.
    func makeScheduler(_ request: PipelineRequest, options: GenerationOptions) throws -> Scheduler {
        var config = options.schedulerConfig ?? components.schedulerConfig
        if let name = options.schedulerOverride ?? request.schedulerClass { config.className = name }
        let scheduler = try Schedulers.makeScheduler(config: config)
        try scheduler.setTimesteps(request.steps)
        return scheduler
    }

    /// `vae.decode(latents / scaling_factor)` → `image_processor.postprocess`: RGB8 images.
    func decodeLatents(_ latents: Tensor, hooks: RunHooks) throws -> [RGBImage] {
        let vae = components.vae
        let decoded = try hooks.stage(vae) { hooks.traced("vae.decode") { vae.decode(latents * (1 / vae.config.scalingFactor)) } }
        hooks.record("decoded", decoded)
        return try components.imageProcessor.postprocess(decoded)
    }

    /// diffusers `get_timesteps`: the schedule from t_start = steps − min(⌊steps · strength⌋, steps) on, with the
    /// scheduler's begin index set there; throws when that leaves no step.
    func getTimesteps(_ scheduler: Scheduler, steps: Int, strength: Double, hooks: RunHooks) throws -> [Float] {
        let start = firstStep(steps: steps, strength: strength) * scheduler.order
        let timesteps = Array(scheduler.timesteps.dropFirst(start))
        guard !timesteps.isEmpty else {
            throw PipelineError.invalidInput("strength \(strength) × \(steps) steps leaves no denoising step; raise strength or num_inference_steps")
        }
        scheduler.setBeginIndex(start)
        hooks.record("timesteps", values: timesteps)
        return timesteps
    }

    /// t_start = steps − min(⌊steps · strength⌋, steps), in Python's float arithmetic.
    func firstStep(steps: Int, strength: Double) -> Int {
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

    /// The img2img steps of every image, each with its own generator (seed `seed + i`) and scheduler: keep the
    /// last ⌊steps · strength⌋ timesteps, sample the posterior and noise it to the first of them, run the
    /// denoising loop (expand for guidance → scale → predict the noise residual → guidance → scheduler step),
    /// decode. The same for SD and SDXL, which differ only in `conditioning`.
    func img2imgImages(_ posterior: DiagonalGaussian, conditioning: UNetConditioning, guidance: Guidance,
                       request: PipelineRequest, options: GenerationOptions, hooks: RunHooks) throws -> [RGBImage] {
        try hooks.forEachImage(request.numImages) { i in
            let generator = imageGenerator(options.rng, seed: request.seeds[i])
            // Set timesteps
            let scheduler = try makeScheduler(request, options: options)
            let timesteps = try getTimesteps(scheduler, steps: request.steps, strength: request.strength, hooks: hooks)
            // Prepare latent variables: sample the posterior, add noise at the first timestep
            let latents = prepareLatents(posterior, timestep: timesteps[0], scheduler: scheduler, generator: generator,
                                         hooks: hooks)
            // Denoising loop
            let denoised = try denoise(latents, timesteps: timesteps, scheduler: scheduler, generator: generator,
                                       conditioning: conditioning, guidance: guidance, hooks: hooks)
            // Decode and post-process
            return try decodeLatents(denoised, hooks: hooks)
        }.flatMap { $0 }
    }

    /// The denoising loop of text-to-image and img2img alike: expand for guidance → scale → predict the noise
    /// residual → guidance → scheduler step, for each of `timesteps`.
    func denoise(_ latents: Tensor, timesteps: [Float], scheduler: Scheduler, generator: RandomGenerator,
                 conditioning: UNetConditioning, guidance: Guidance, hooks: RunHooks) throws -> Tensor {
        let loop = DenoisingLoop(unet: components.unet, scheduler: scheduler, generator: generator, hooks: hooks)
        return try loop.run(latents, timesteps: timesteps) { latents, t, unet in
            let input = scheduler.scaleModelInput(guidance.expand(latents), timestep: t)
            return guidance.combine(unet(input, t, conditioning))
        }
    }

    /// The hooks of one run: the options, the request's LoRA patches, and the preview decoder the options ask
    /// for when they take previews (the model's projection is fitted on its first use).
    func makeHooks(_ request: PipelineRequest, options: GenerationOptions) throws -> RunHooks {
        let previewDecoder = options.onPreview == nil ? nil : try options.previews.map { try components.previews.decoder($0) }
        return RunHooks(options: options, loras: try components.loraBinding(for: request.loras),
                        previewDecoder: previewDecoder)
    }
}

/// The generator of one image: torch's CPU or CUDA generator seeded as `torch.Generator(device).manual_seed(seed)`
/// (negative seeds as two's complement).
func imageGenerator(_ source: RandomSource, seed: Int128) -> RandomGenerator {
    makeGenerator(source, seed: UInt64(truncatingIfNeeded: seed))
}
