// diffusers' `LMSDiscreteScheduler` (k-diffusion's sample_lms): x ← x + Σ_j c_j·d_{i−j} over the last (up to 4)
// derivatives d = (x − x̂₀)/σ, where c_j = ∫_{σ_i}^{σ_{i+1}} ℓ_j(τ) dτ integrates the Lagrange basis polynomial
// over the recent σ's (see `LMSCoefficients`).

import Foundation
import Random
import Tensors

/// The diffusers `LMSDiscreteScheduler`.
public final class LMSDiscreteScheduler: Scheduler {
    /// The diffusers class name.
    public static let className = "LMSDiscreteScheduler"
    public let config: SchedulerConfig
    public let order = 1
    public private(set) var timesteps: [Float] = []
    /// The noise levels of the schedule plus the final 0 (`scheduler.sigmas`, float32).
    public private(set) var sigmas: [Float] = []
    /// The training noise schedule.
    public let schedule: NoiseSchedule
    /// `order` of `step`: how many past derivatives the multistep update combines (diffusers' default 4).
    public var multistepOrder = 4

    let numTrainTimesteps: Int
    let spacing: TimestepSpacing
    let stepsOffset: Int
    let predictionType: PredictionType
    let sigmaRamp: SigmaRamp
    private var index = StepIndex()
    /// `derivatives`: the most recent first-order derivatives, oldest first.
    private var derivatives: [Tensor] = []

    /// Builds the scheduler from a config, with `LMSDiscreteScheduler.__init__`'s defaults for absent fields;
    /// like diffusers, it starts with the full `num_train_timesteps` schedule set.
    public init(config: SchedulerConfig) throws {
        let name = LMSDiscreteScheduler.className
        self.config = config
        schedule = try NoiseSchedule(config: config, scheduler: name, readsZeroSNRRescale: false)
        numTrainTimesteps = schedule.alphasCumprod.count
        spacing = try parseOption(config.timestepSpacing ?? "linspace", field: "timestep_spacing", scheduler: name)
        stepsOffset = config.stepsOffset ?? 0
        predictionType = try parseOption(config.predictionType ?? "epsilon", field: "prediction_type", scheduler: name,
                                         supported: [.epsilon, .vPrediction, .sample])
        sigmaRamp = try SigmaRamp(config: config, scheduler: name, karrasReadsBounds: false)
        try setTimesteps(numTrainTimesteps)
    }

    /// The standard deviation of the initial noise: σ_max, or √(σ_max² + 1) for `leading` spacing.
    public var initNoiseSigma: Float { SigmaSchedules.initNoiseSigma(sigmas: sigmas, spacing: spacing) }

    public func setTimesteps(_ steps: Int) throws {
        guard steps >= 1 else {
            throw SchedulerError.invalidSteps(steps, reason: "LMSDiscreteScheduler needs at least 1 step")
        }
        let (stepSigmas, stepTimesteps) = sigmaRamp.stepSchedule(steps: steps, spacing: spacing,
                                                                 stepsOffset: stepsOffset, noiseSchedule: schedule)
        sigmas = stepSigmas.map { Float($0) } + [0]
        timesteps = stepTimesteps.map { Float($0) }
        index.reset()
        derivatives = []
    }

    public func setBeginIndex(_ index: Int) { self.index.begin = index }

    /// x / √(σ² + 1); a timestep outside the schedule (without a begin index) returns the sample unscaled and
    /// the following `step` throws.
    public func scaleModelInput(_ sample: Tensor, timestep: Float) -> Tensor {
        index.scaledModelInput(sample, timestep: timestep, timesteps: timesteps, sigmas: sigmas)
    }

    public func step(modelOutput: Tensor, timestep: Float, sample: Tensor, generator: RandomGenerator?) throws -> Tensor {
        let name = LMSDiscreteScheduler.className
        guard let stepIndex = index.resolve(timestep, timesteps: timesteps), stepIndex + 1 < sigmas.count else {
            throw SchedulerError.invalidTimestep(scheduler: name, timestep: timestep,
                                                 reason: "is not in the inference schedule")
        }
        let sigma = sigmas[stepIndex]
        let predictedOriginal = predictionType.originalSample(modelOutput: modelOutput, sample: sample, sigma: sigma)
        derivatives.append((sample - predictedOriginal).mapped { $0 / sigma })
        if derivatives.count > multistepOrder { derivatives.removeFirst() }
        // Like diffusers, the coefficients use min(step + 1, order) σ's even when fewer derivatives are stored
        // (img2img starts part-way); zip then uses only the stored ones.
        let order = min(stepIndex + 1, multistepOrder)
        let coefficients = (0..<order).map {
            LMSCoefficients.coefficient(order: order, stepIndex: stepIndex, currentOrder: $0, sigmas: sigmas)
        }
        var sum: Tensor?
        for (coefficient, derivative) in zip(coefficients, derivatives.reversed()) {
            let term = derivative * Float(coefficient)
            sum = sum.map { $0 + term } ?? term
        }
        index.step = stepIndex + 1
        return sum.map { sample + $0 } ?? sample
    }

    public func addNoise(original: Tensor, noise: Tensor, timestep: Float) -> Tensor {
        guard let sigma = index.noiseSigma(timestep, timesteps: timesteps, sigmas: sigmas) else { return original }
        return original + noise * sigma
    }
}
