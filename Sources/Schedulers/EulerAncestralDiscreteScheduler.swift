// diffusers' `EulerAncestralDiscreteScheduler` (k-diffusion's sample_euler_ancestral): an Euler step to
// σ_down = √(σ_next² − σ_up²), then fresh noise of scale σ_up = √(σ_next²(σ² − σ_next²)/σ²) — drawn at every step.

import Foundation
import Random
import Tensors

/// The diffusers `EulerAncestralDiscreteScheduler`.
public final class EulerAncestralDiscreteScheduler: Scheduler {
    /// The diffusers class name.
    public static let className = "EulerAncestralDiscreteScheduler"
    public let config: SchedulerConfig
    public let order = 1
    public private(set) var timesteps: [Float]
    /// The noise levels of the schedule plus the final 0 (`scheduler.sigmas`, float32).
    public private(set) var sigmas: [Float]
    /// The training noise schedule (alphas_cumprod[-1] is 2⁻²⁴ under `rescale_betas_zero_snr`).
    public let schedule: NoiseSchedule

    let numTrainTimesteps: Int
    let spacing: TimestepSpacing
    let stepsOffset: Int
    let predictionType: PredictionType
    private var index = StepIndex()

    /// Builds the scheduler from a config, with `EulerAncestralDiscreteScheduler.__init__`'s defaults.
    public init(config: SchedulerConfig) throws {
        let name = EulerAncestralDiscreteScheduler.className
        self.config = config
        schedule = try NoiseSchedule(config: config, scheduler: name).withFiniteTerminalSigma()
        numTrainTimesteps = schedule.alphasCumprod.count
        spacing = try parseOption(config.timestepSpacing ?? "linspace", field: "timestep_spacing", scheduler: name)
        stepsOffset = config.stepsOffset ?? 0
        predictionType = try parseOption(config.predictionType ?? "epsilon", field: "prediction_type", scheduler: name,
                                         supported: [.epsilon, .vPrediction])
        sigmas = SigmaSchedules.trainingSigmas(alphasCumprod: schedule.alphasCumprod).reversed() + [0]
        timesteps = NumPyRanges.linspace(0, Double(numTrainTimesteps - 1), count: numTrainTimesteps)
            .reversed().map { Float($0) }
    }

    /// The standard deviation of the initial noise: σ_max, or √(σ_max² + 1) for `leading` spacing.
    public var initNoiseSigma: Float { SigmaSchedules.initNoiseSigma(sigmas: sigmas, spacing: spacing) }

    public func setTimesteps(_ steps: Int) throws {
        guard steps >= 1 else {
            throw SchedulerError.invalidSteps(steps, reason: "EulerAncestralDiscreteScheduler needs at least 1 step")
        }
        let (stepSigmas, stepTimesteps) = SigmaRamp.none.stepSchedule(steps: steps, spacing: spacing,
                                                                      stepsOffset: stepsOffset, noiseSchedule: schedule)
        sigmas = stepSigmas.map { Float($0) } + [0]
        timesteps = stepTimesteps.map { Float($0) }
        index.reset()
    }

    public func setBeginIndex(_ index: Int) { self.index.begin = index }

    /// x / √(σ² + 1); a timestep outside the schedule (without a begin index) returns the sample unscaled and
    /// the following `step` throws.
    public func scaleModelInput(_ sample: Tensor, timestep: Float) -> Tensor {
        index.scaledModelInput(sample, timestep: timestep, timesteps: timesteps, sigmas: sigmas)
    }

    public func step(modelOutput: Tensor, timestep: Float, sample: Tensor, generator: RandomGenerator?) throws -> Tensor {
        let name = EulerAncestralDiscreteScheduler.className
        guard let stepIndex = index.resolve(timestep, timesteps: timesteps), stepIndex + 1 < sigmas.count else {
            throw SchedulerError.invalidTimestep(scheduler: name, timestep: timestep,
                                                 reason: "is not in the inference schedule")
        }
        guard let generator else { throw SchedulerError.missingGenerator(scheduler: name) }
        let sigma = sigmas[stepIndex]
        let predictedOriginal = predictionType.originalSample(modelOutput: modelOutput, sample: sample, sigma: sigma)
        let sigmaTo = sigmas[stepIndex + 1]
        let sigmaUp = ((sigmaTo * sigmaTo) * (sigma * sigma - sigmaTo * sigmaTo) / (sigma * sigma)).squareRoot()
        let sigmaDown = (sigmaTo * sigmaTo - sigmaUp * sigmaUp).squareRoot()
        let derivative = (sample - predictedOriginal).mapped { $0 / sigma }
        let dt = sigmaDown - sigma
        let previous = sample + derivative * dt
        let noise = generator.randn(modelOutput.shape)
        index.step = stepIndex + 1
        return previous + noise * sigmaUp
    }

    public func addNoise(original: Tensor, noise: Tensor, timestep: Float) -> Tensor {
        guard let sigma = index.noiseSigma(timestep, timesteps: timesteps, sigmas: sigmas) else { return original }
        return original + noise * sigma
    }
}
