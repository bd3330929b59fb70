// diffusers' denoising loop, `for i, t in enumerate(timesteps)`: the pipeline's body gives the guided
// prediction for the latents at t, the scheduler steps. The loop owns what happens around that math — the
// UNet's stage (LoRA patches bound, weights released when the loop ends), the dumps of each step's UNet input,
// prediction and latents, progress, previews of the predicted clean latents, and cancellation — so a
// pipeline's body is only expand → scale → UNet → guidance.

import Models
import Random
import Schedulers
import Tensors

/// What one finished denoising step reports.
public struct DenoisingStep {
    /// 0-based index of this step, and how many there are.
    public let index: Int, count: Int
    public let timestep: Float
    /// The latents after the scheduler's step.
    public let latents: Tensor
    /// x̂₀, the clean latents the scheduler predicted at this step (`pred_original_sample`, see
    /// `Scheduler.predictedOriginalSample`), scaled as the UNet sees latents. Read only when the run makes
    /// previews (`GenerationOptions.previews`); nil otherwise, so a run without them pays nothing.
    public let predictedOriginalSample: Tensor?
}

/// The UNet as a loop body calls it: `unet(latent_model_input, t, conditioning)`.
typealias Denoiser = (_ input: Tensor, _ timestep: Float, _ conditioning: UNetConditioning) -> Tensor

/// The denoising loop of one image: a UNet, a scheduler set to its timesteps, the image's generator.
struct DenoisingLoop {
    let unet: UNet2DConditionModel
    let scheduler: Scheduler
    let generator: RandomGenerator
    let hooks: RunHooks

    /// Runs every timestep: `body` gives the guided prediction for the latents at `t` (calling the UNet it is
    /// handed), the scheduler's step makes the next latents. Throws when cancelled or the scheduler fails.
    func run(_ latents: Tensor, timesteps: [Float],
             body: (_ latents: Tensor, _ t: Float, _ unet: Denoiser) throws -> Tensor) throws -> Tensor {
        try hooks.stage(unet, patches: hooks.loras[.unet]) {
            var latents = latents
            for (index, t) in timesteps.enumerated() {
                let unet: Denoiser = { [unet, hooks] input, t, conditioning in
                    hooks.record("step\(index).model_input", input)
                    return hooks.traced("unet step \(index)") { unet(input, timestep: t, conditioning: conditioning) }
                }
                let prediction = try body(latents, t, unet)
                hooks.record("step\(index).noise_pred", prediction)
                latents = try scheduler.step(modelOutput: prediction, timestep: t, sample: latents, generator: generator)
                hooks.record("step\(index).latents", latents)
                let original = hooks.makesPreviews ? scheduler.predictedOriginalSample : nil
                try hooks.finished(DenoisingStep(index: index, count: timesteps.count, timestep: t, latents: latents,
                                                 predictedOriginalSample: original))
            }
            return latents
        }
    }
}
