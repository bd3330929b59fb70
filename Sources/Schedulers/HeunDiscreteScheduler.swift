// diffusers' `HeunDiscreteScheduler` (Karras et al., arXiv 2206.00364, Algorithm 1): each interval takes two
// model calls — an Euler predictor d₁ = (x − x̂₀)/σ to σ_next, then the corrector with d = (d₁ + d₂)/2 from the
// saved sample. The schedule lists every timestep after the first twice (2n − 1 calls), σ's likewise.

import Foundation
import Random
import Tensors

/// The diffusers `HeunDiscreteScheduler` (order 2).
public final class HeunDiscreteScheduler: Scheduler {
    /// The diffusers class name.
    public static let className = "HeunDiscreteScheduler"
    public let config: SchedulerConfig
    public let order = 2
    public private(set) var timesteps: [Float] = []
    /// The doubled noise levels plus the final 0 (`scheduler.sigmas`, float32).
    public private(set) var sigmas: [Float] = []
    /// The training noise schedule.
    public let schedule: NoiseSchedule

    let numTrainTimesteps: Int
    let spacing: TimestepSpacing
    let stepsOffset: Int
    let predictionType: PredictionType
    let clipRange: Float?
    let sigmaRamp: SigmaRamp
    private var index = StepIndex()
    /// The predictor's derivative, step size and start sample, kept for the corrector (nil: first order next).
    private var pending: (derivative: Tensor, dt: Float, sample: Tensor)?

    /// Builds the scheduler from a config, with `HeunDiscreteScheduler.__init__`'s defaults for absent fields.
    public init(config: SchedulerConfig) throws {
        let name = HeunDiscreteScheduler.className
        self.config = config
        schedule = try NoiseSchedule(config: config, scheduler: name, betaStart: 0.00085, betaEnd: 0.012,
                                     supported: [.linear, .scaledLinear, .squaredcosCapV2, .exp],
                                     readsZeroSNRRescale: false)
        numTrainTimesteps = schedule.alphasCumprod.count
        spacing = try parseOption(config.timestepSpacing ?? "linspace", field: "timestep_spacing", scheduler: name)
        stepsOffset = config.stepsOffset ?? 0
        predictionType = try parseOption(config.predictionType ?? "epsilon", field: "prediction_type", scheduler: name,
                                         supported: [.epsilon, .vPrediction, .sample])
        clipRange = Schedulers.clipRange(config, clipsByDefault: false)
        sigmaRamp = try SigmaRamp(config: config, scheduler: name)
        try setTimesteps(numTrainTimesteps)
    }

    /// The standard deviation of the initial noise: σ_max, or √(σ_max² + 1) for `leading` spacing.
    public var initNoiseSigma: Float { SigmaSchedules.initNoiseSigma(sigmas: sigmas, spacing: spacing) }

    /// `state_in_first_order`: the next call is a predictor.
    public var isFirstOrderNext: Bool { pending == nil }

    public func setTimesteps(_ steps: Int) throws {
        guard steps >= 1 else {
            throw SchedulerError.invalidSteps(steps, reason: "HeunDiscreteScheduler needs at least 1 step")
        }
        let (stepSigmas, stepTimesteps) = sigmaRamp.stepSchedule(steps: steps, spacing: spacing,
                                                                 stepsOffset: stepsOffset, noiseSchedule: schedule)
        // cat([σ[:1], σ[1:-1].repeat_interleave(2), σ[-1:]]) over σ + [0]; timesteps likewise without the end.
        let allSigmas = stepSigmas.map { Float($0) } + [0]
        sigmas = [allSigmas[0]] + allSigmas.dropFirst().dropLast().flatMap { [$0, $0] } + [allSigmas[allSigmas.count - 1]]
        let floatTimesteps = stepTimesteps.map { Float($0) }
        timesteps = [floatTimesteps[0]] + floatTimesteps.dropFirst().flatMap { [$0, $0] }
        pending = nil
        index.reset()
    }

    public func setBeginIndex(_ index: Int) { self.index.begin = index }

    /// x / √(σ² + 1); a timestep outside the schedule (without a begin index) returns the sample unscaled and
    /// the following `step` throws.
    public func scaleModelInput(_ sample: Tensor, timestep: Float) -> Tensor {
        index.scaledModelInput(sample, timestep: timestep, timesteps: timesteps, sigmas: sigmas)
    }

    public func step(modelOutput: Tensor, timestep: Float, sample: Tensor, generator: RandomGenerator?) throws -> Tensor {
        let name = HeunDiscreteScheduler.className
        guard let stepIndex = index.resolve(timestep, timesteps: timesteps), stepIndex + 1 < sigmas.count,
              pending == nil || stepIndex >= 1 else {
            throw SchedulerError.invalidTimestep(scheduler: name, timestep: timestep,
                                                 reason: "is not in the inference schedule")
        }
        let firstOrder = pending == nil
        let sigma = firstOrder ? sigmas[stepIndex] : sigmas[stepIndex - 1]
        let sigmaNext = firstOrder ? sigmas[stepIndex + 1] : sigmas[stepIndex]
        let sigmaHat = sigma   // γ = 0
        let sigmaInput = firstOrder ? sigmaHat : sigmaNext
        let predictedOriginal = limitedOriginalSample(
            predictionType.originalSample(modelOutput: modelOutput, sample: sample, sigma: sigmaInput),
            thresholding: nil, clipRange: clipRange)
        index.step = stepIndex + 1
        if let predictor = pending {
            let corrector = (sample - predictedOriginal).mapped { $0 / sigmaNext }
            let derivative = (predictor.derivative + corrector).mapped { $0 / 2 }
            pending = nil
            return predictor.sample + derivative * predictor.dt
        }
        let derivative = (sample - predictedOriginal).mapped { $0 / sigmaHat }
        let dt = sigmaNext - sigmaHat
        pending = (derivative, dt, sample)
        return sample + derivative * dt
    }

    public func addNoise(original: Tensor, noise: Tensor, timestep: Float) -> Tensor {
        guard let sigma = index.noiseSigma(timestep, timesteps: timesteps, sigmas: sigmas) else { return original }
        return original + noise * sigma
    }
}
