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
    private var index = SigmaStepIndex()
    /// `derivatives`: the most recent first-order derivatives, oldest first.
    private var derivatives: [Tensor] = []

    /// Builds the scheduler from a config, with `LMSDiscreteScheduler.__init__`'s defaults for absent fields;
    /// like diffusers, it starts with the full `num_train_timesteps` schedule set.
    public init(config: SchedulerConfig) throws {
        let name = LMSDiscreteScheduler.className
        self.config = config
        numTrainTimesteps = config.numTrainTimesteps ?? 1000
        schedule = try NoiseSchedule(
            scheduler: name, numTrainTimesteps: numTrainTimesteps, betaStart: config.betaStart ?? 0.0001,
            betaEnd: config.betaEnd ?? 0.02, betaSchedule: config.betaSchedule ?? "linear",
            trainedBetas: config.trainedBetas, rescaleZeroTerminalSNR: false,
            supported: [.linear, .scaledLinear, .squaredcosCapV2])
        spacing = try TimestepSpacing(configValue: config.timestepSpacing ?? "linspace", scheduler: name)
        stepsOffset = config.stepsOffset ?? 0
        predictionType = try PredictionType(configValue: config.predictionType ?? "epsilon", scheduler: name,
                                            supported: [.epsilon, .vPrediction, .sample])
        sigmaRamp = try SigmaRamp(config: config, scheduler: name, karrasReadsBounds: false)
        try setTimesteps(numTrainTimesteps)
    }

    /// The standard deviation of the initial noise: σ_max, or √(σ_max² + 1) for `leading` spacing.
    public var initNoiseSigma: Float {
        let maxSigma = sigmas.max() ?? 0
        return spacing == .leading ? (maxSigma * maxSigma + 1).squareRoot() : maxSigma
    }

    public func setTimesteps(_ steps: Int) throws {
        guard steps >= 1 else {
            throw SchedulerError.invalidSteps(steps, reason: "LMSDiscreteScheduler needs at least 1 step")
        }
        var stepTimesteps = spacing.fractionalTimesteps(steps: steps, numTrainTimesteps: numTrainTimesteps,
                                                        stepsOffset: stepsOffset).map(Double.init)
        let trainingSigmas = SigmaSchedules.trainingSigmas(alphasCumprod: schedule.alphasCumprod)
        let logSigmas = SigmaSchedules.logSigmas(trainingSigmas)
        var stepSigmas = SigmaSchedules.sigmas(at: stepTimesteps.map { Float($0) }, trainingSigmas: trainingSigmas)
        if let ramp = sigmaRamp.sigmas(from: stepSigmas, count: steps) {
            stepSigmas = ramp
            stepTimesteps = ramp.map { SigmaSchedules.timestep(forSigma: $0, logSigmas: logSigmas) }
        }
        sigmas = stepSigmas.map { Float($0) } + [0]
        timesteps = stepTimesteps.map { Float($0) }
        index.reset()
        derivatives = []
    }

    public func setBeginIndex(_ index: Int) { self.index.begin = index }

    /// x / √(σ² + 1); a timestep outside the schedule (without a begin index) returns the sample unscaled and
    /// the following `step` throws.
    public func scaleModelInput(_ sample: Tensor, timestep: Float) -> Tensor {
        guard let stepIndex = index.resolve(timestep, timesteps: timesteps), sigmas.indices.contains(stepIndex) else {
            return sample
        }
        let sigma = sigmas[stepIndex]
        let scale = (sigma * sigma + 1).squareRoot()
        return sample.mapped { $0 / scale }
    }

    public func step(modelOutput: Tensor, timestep: Float, sample: Tensor, generator: RandomGenerator?) throws -> Tensor {
        let name = LMSDiscreteScheduler.className
        guard let stepIndex = index.resolve(timestep, timesteps: timesteps), stepIndex + 1 < sigmas.count else {
            throw SchedulerError.invalidTimestep(scheduler: name, timestep: timestep,
                                                 reason: "is not in the inference schedule")
        }
        let sigma = sigmas[stepIndex]
        let predictedOriginal: Tensor
        switch predictionType {
        case .epsilon: predictedOriginal = sample - modelOutput * sigma
        case .vPrediction: predictedOriginal = vPredictionOriginal(modelOutput: modelOutput, sample: sample, sigma: sigma)
        case .sample: predictedOriginal = modelOutput
        }
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
        guard let noiseIndex = index.noiseIndex(timestep, timesteps: timesteps),
              sigmas.indices.contains(noiseIndex) else { return original }
        return original + noise * sigmas[noiseIndex]
    }
}
