// diffusers `StableDiffusionInstructPix2PixPipeline.__call__` for one image: image latents = posterior mode
// (unscaled), latents = noise × init_noise_sigma, UNet input = [scaled latents | image latents] on 8
// channels, three-way guidance uncond + s·(text − image) + s_img·(image − uncond).

import Schedulers
import Tensors

extension StableDiffusionPipeline {
    /// The final latents of one InstructPix2Pix image.
    func instructPix2PixLatents(_ image: Tensor, request: GenerationRequest, run: ImageRun,
                                options: GenerationOptions) throws -> Tensor {
        let scheduler = run.scheduler
        let guided = request.guidanceScale > 1 && request.imageGuidanceScale >= 1
        let embeddings: Tensor = try stage(prompts.textEncoder) {
            let positive = try run.loras.textEncoder.bind { try prompts.encode(request.prompt) }
            guard guided else { return positive }
            let negative = run.loras.textEncoder.bind { prompts.encodeNegative(request.negativePrompt) }
            return Tensor.concatenate([positive, negative, negative], along: 0)
        }
        options.dump?.record("prompt_embeds", embeddings)

        try scheduler.setTimesteps(request.numInferenceSteps)
        let timesteps = scheduler.timesteps
        options.dump?.record("timesteps", values: timesteps)

        let mode = stage(vae) { vae.encode(image).mode() }
        let imageLatents = guided ? Tensor.concatenate([mode, mode, Tensor(zeros: mode.shape)], along: 0) : mode
        let noise = run.generator.randn([1, vae.config.latentChannels, mode.shape[2], mode.shape[3]])
        let latents = noise * scheduler.initNoiseSigma
        options.dump?.record("image_latents", imageLatents)
        options.dump?.record("noise", noise)
        options.dump?.record("latents", latents)

        let loop = DenoisingLoop(scheduler: scheduler, timesteps: timesteps, latents: latents, generator: run.generator) {
            [unet, loras = run.loras, dump = options.dump] latents, t, index in
            let batch = guided ? Tensor.concatenate([latents, latents, latents], along: 0) : latents
            let scaled = scheduler.scaleModelInput(batch, timestep: t)
            let input = Tensor.concatenate([scaled, imageLatents], along: 1)
            dump?.record("step\(index).model_input", input)
            let prediction = loras.unet.bind { unet(input, timesteps: [t], encoderHiddenStates: embeddings) }
            let result = guided ? Self.threeWayGuidance(prediction, text: request.guidanceScale, image: request.imageGuidanceScale)
                : prediction
            dump?.record("step\(index).noise_pred", result)
            return result
        }
        return try stage(unet) { try finish(loop, run: run, options: options) }
    }

    /// uncond + s·(text − image) + s_img·(image − uncond) over the three thirds of the batch.
    static func threeWayGuidance(_ prediction: Tensor, text: Float, image: Float) -> Tensor {
        let parts = prediction.chunked(into: 3, along: 0)
        let (textPart, imagePart, uncond) = (parts[0], parts[1], parts[2])
        return uncond + (textPart - imagePart) * text + (imagePart - uncond) * image
    }
}
