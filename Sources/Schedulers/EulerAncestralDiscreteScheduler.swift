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
    private var index = SigmaStepIndex()

    /// Builds the scheduler from a config, with `EulerAncestralDiscreteScheduler.__init__`'s defaults.
    public init(config: SchedulerConfig) throws {
        let name = EulerAncestralDiscreteScheduler.className
        self.config = config
        numTrainTimesteps = config.numTrainTimesteps ?? 1000
        let rescale = config.rescaleBetasZeroSnr ?? false
        var schedule = try NoiseSchedule(
            scheduler: name, numTrainTimesteps: numTrainTimesteps, betaStart: config.betaStart ?? 0.0001,
            betaEnd: config.betaEnd ?? 0.02, betaSchedule: config.betaSchedule ?? "linear",
            trainedBetas: config.trainedBetas, rescaleZeroTerminalSNR: rescale,
            supported: [.linear, .scaledLinear, .squaredcosCapV2])
        if rescale, !schedule.alphasCumprod.isEmpty {
            schedule.alphasCumprod[schedule.alphasCumprod.count - 1] = 0x1p-24
        }
        self.schedule = schedule
        spacing = try TimestepSpacing(configValue: config.timestepSpacing ?? "linspace", scheduler: name)
        stepsOffset = config.stepsOffset ?? 0
        predictionType = try PredictionType(configValue: config.predictionType ?? "epsilon", scheduler: name,
                                            supported: [.epsilon, .vPrediction])
        sigmas = SigmaSchedules.trainingSigmas(alphasCumprod: schedule.alphasCumprod).reversed() + [0]
        timesteps = NumPyRanges.linspace(0, Double(numTrainTimesteps - 1), count: numTrainTimesteps)
            .reversed().map { Float($0) }
    }

    /// The standard deviation of the initial noise: σ_max, or √(σ_max² + 1) for `leading` spacing.
    public var initNoiseSigma: Float {
        let maxSigma = sigmas.max() ?? 0
        return spacing == .leading ? (maxSigma * maxSigma + 1).squareRoot() : maxSigma
    }

    public func setTimesteps(_ steps: Int) throws {
        guard steps >= 1 else {
            throw SchedulerError.invalidSteps(steps, reason: "EulerAncestralDiscreteScheduler needs at least 1 step")
        }
        timesteps = spacing.fractionalTimesteps(steps: steps, numTrainTimesteps: numTrainTimesteps,
                                                stepsOffset: stepsOffset)
        let trainingSigmas = SigmaSchedules.trainingSigmas(alphasCumprod: schedule.alphasCumprod)
        sigmas = SigmaSchedules.sigmas(at: timesteps, trainingSigmas: trainingSigmas).map { Float($0) } + [0]
        index.reset()
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
        let name = EulerAncestralDiscreteScheduler.className
        guard let stepIndex = index.resolve(timestep, timesteps: timesteps), stepIndex + 1 < sigmas.count else {
            throw SchedulerError.invalidTimestep(scheduler: name, timestep: timestep,
                                                 reason: "is not in the inference schedule")
        }
        guard let generator else { throw SchedulerError.missingGenerator(scheduler: name) }
        let sigma = sigmas[stepIndex]
        let predictedOriginal = predictionType == .vPrediction
            ? vPredictionOriginal(modelOutput: modelOutput, sample: sample, sigma: sigma)
            : sample - modelOutput * sigma
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
        guard let noiseIndex = index.noiseIndex(timestep, timesteps: timesteps),
              sigmas.indices.contains(noiseIndex) else { return original }
        return original + noise * sigmas[noiseIndex]
    }
}
