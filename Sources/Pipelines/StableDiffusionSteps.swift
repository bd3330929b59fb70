// The steps the SD img2img and InstructPix2Pix pipelines share, named as diffusers names them (its pipelines
// share them through mixins and `# Copied from`): `encode_prompt`, the VAE encode of the preprocessed image,
// a fresh scheduler per image, `get_timesteps`, and the VAE decode. Each carries its own hooks (stage memory,
// LoRA patches, dumps) so a pipeline's `generate` reads as the algorithm alone.

import Images
import Models
import Random
import Schedulers
import Tensors

/// A pipeline built on `StableDiffusionComponents`.
protocol StableDiffusionSteps: ImageToImagePipeline {
    var components: StableDiffusionComponents { get }
}

extension StableDiffusionSteps {
    /// diffusers `encode_prompt`: the prompt's text states (with `clipSkip`, the hidden state that many layers
    /// from the end through the final layer norm), batched with the negative prompt's as `guidance` orders them.
    func encodePrompt(_ prompt: String, negative: String, clipSkip: Int?, guidance: Guidance,
                      hooks: RunHooks) throws -> UNetConditioning {
        let encoder = PromptEncoder(tokenizer: components.tokenizer, textEncoder: components.textEncoder)
        let states = try hooks.stage(components.textEncoder, patches: hooks.loras.textEncoder) {
            let positive = try encoder.encode(prompt, clipSkip: clipSkip)
            return guidance.batchPrompt(positive) { encoder.encodeNegative(negative) }
        }
        hooks.record("prompt_embeds", states)
        return UNetConditioning(encoderHiddenStates: states)
    }

    /// `image_processor.preprocess`: the image as `[1, 3, H, W]` in [−1, 1], sides floored to multiples of 8.
    func preprocess(_ image: RGBImage, hooks: RunHooks) throws -> Tensor {
        let pixels = try components.imageProcessor.preprocess(image)
        hooks.record("image", pixels)
        return pixels
    }

    /// `vae.encode(image).latent_dist`: the posterior over the image's latents.
    func encodeImage(_ pixels: Tensor, hooks: RunHooks) -> DiagonalGaussian {
        hooks.stage(components.vae) { components.vae.encode(pixels) }
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
        let decoded = hooks.stage(vae) { vae.decode(latents * (1 / vae.config.scalingFactor)) }
        hooks.record("decoded", decoded)
        return try components.imageProcessor.postprocess(decoded)
    }

    /// The hooks of one run: the options plus the request's LoRA patches.
    func makeHooks(_ request: PipelineRequest, options: GenerationOptions) throws -> RunHooks {
        RunHooks(options: options, loras: try components.loraBinding(for: request.loras))
    }
}

/// The generator of one image: torch's CPU or CUDA generator seeded as `torch.Generator(device).manual_seed(seed)`
/// (negative seeds as two's complement).
func imageGenerator(_ source: RandomSource, seed: Int128) -> RandomGenerator {
    makeGenerator(source, seed: UInt64(truncatingIfNeeded: seed))
}
