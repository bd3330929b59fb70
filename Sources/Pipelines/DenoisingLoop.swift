// The denoising loop as a sequence of steps (as mlx-swift-examples does): each `next()` runs the model on
// the current latents at one timestep and lets the scheduler step, so progress, cancellation and dumps
// hook in between steps without touching the math.

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
}

/// The steps of one denoising run; iterate it to run them.
public struct DenoisingLoop: Sequence, IteratorProtocol {
    let scheduler: Scheduler
    let timesteps: [Float]
    let generator: RandomGenerator
    /// The guided noise (or v) prediction for the latents at a timestep; the index is the step's.
    let predict: (_ latents: Tensor, _ timestep: Float, _ index: Int) -> Tensor
    public private(set) var latents: Tensor
    private var index = 0
    /// A scheduler error ends the sequence; the caller reads it here.
    public private(set) var failure: Error?

    init(scheduler: Scheduler, timesteps: [Float], latents: Tensor, generator: RandomGenerator,
         predict: @escaping (Tensor, Float, Int) -> Tensor) {
        self.scheduler = scheduler
        self.timesteps = timesteps
        self.latents = latents
        self.generator = generator
        self.predict = predict
    }

    public mutating func next() -> DenoisingStep? {
        guard index < timesteps.count, failure == nil else { return nil }
        let t = timesteps[index]
        let prediction = predict(latents, t, index)
        do {
            latents = try scheduler.step(modelOutput: prediction, timestep: t, sample: latents, generator: generator)
        } catch {
            failure = error
            return nil
        }
        defer { index += 1 }
        return DenoisingStep(index: index, count: timesteps.count, timestep: t, latents: latents)
    }
}
