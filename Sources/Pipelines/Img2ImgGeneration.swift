// diffusers `StableDiffusionImg2ImgPipeline.__call__` for one image: strength → `get_timesteps`, VAE
// posterior sample × scaling_factor, `add_noise` at the first kept timestep, then the loop with
// classifier-free guidance when guidance_scale > 1. Random draws in diffusers' order: posterior, then noise.

import Schedulers
import Tensors

extension StableDiffusionPipeline {
    /// The final latents of one img2img image.
    func img2imgLatents(_ image: Tensor, request: GenerationRequest, run: ImageRun,
                        options: GenerationOptions) throws -> Tensor {
        let scheduler = run.scheduler
        let guided = request.guidanceScale > 1
        let embeddings = try stage(prompts.textEncoder) {
            try run.loras.textEncoder.bind { try textStates(request, guided: guided) }
        }
        options.dump?.record("prompt_embeds", embeddings)

        try scheduler.setTimesteps(request.numInferenceSteps)
        let start = Self.firstStep(steps: request.numInferenceSteps, strength: request.strength)
        let timesteps = Array(scheduler.timesteps.dropFirst(start * scheduler.order))
        guard let first = timesteps.first else {
            throw PipelineError.invalidInput("strength \(request.strength) × \(request.numInferenceSteps) steps leaves no denoising step; raise strength or num_inference_steps")
        }
        scheduler.setBeginIndex(start * scheduler.order)
        options.dump?.record("timesteps", values: timesteps)

        let posterior = stage(vae) { vae.encode(image) }
        let imageLatents = posterior.sample(noise: run.generator.randn(posterior.mean.shape)) * vae.config.scalingFactor
        let noise = run.generator.randn(imageLatents.shape)
        let latents = scheduler.addNoise(original: imageLatents, noise: noise, timestep: first)
        options.dump?.record("image_latents", imageLatents)
        options.dump?.record("noise", noise)
        options.dump?.record("latents", latents)

        let loop = DenoisingLoop(scheduler: scheduler, timesteps: timesteps, latents: latents, generator: run.generator) {
            [unet, loras = run.loras, dump = options.dump] latents, t, index in
            let batch = guided ? Tensor.concatenate([latents, latents], along: 0) : latents
            let input = scheduler.scaleModelInput(batch, timestep: t)
            dump?.record("step\(index).model_input", input)
            let prediction = loras.unet.bind { unet(input, timesteps: [t], encoderHiddenStates: embeddings) }
            let guidedPrediction = guided ? Self.classifierFreeGuidance(prediction, scale: request.guidanceScale) : prediction
            dump?.record("step\(index).noise_pred", guidedPrediction)
            return guidedPrediction
        }
        return try stage(unet) { try finish(loop, run: run, options: options) }
    }

    /// diffusers `get_timesteps`: t_start = steps − min(⌊steps · strength⌋, steps).
    static func firstStep(steps: Int, strength: Float) -> Int {
        let initial = min(Int(Float(steps) * strength), steps)
        return max(steps - initial, 0)
    }

    /// `[negative; prompt]` states when guided, else the prompt's alone.
    func textStates(_ request: GenerationRequest, guided: Bool) throws -> Tensor {
        let positive = try prompts.encode(request.prompt, clipSkip: request.clipSkip)
        guard guided else { return positive }
        return Tensor.concatenate([prompts.encodeNegative(request.negativePrompt), positive], along: 0)
    }

    /// uncond + s · (text − uncond) over the two halves of the batch.
    static func classifierFreeGuidance(_ prediction: Tensor, scale: Float) -> Tensor {
        let halves = prediction.chunked(into: 2, along: 0)
        return halves[0] + (halves[1] - halves[0]) * scale
    }
}
