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
    /// The inference timesteps (`scheduler.timesteps`).
    public var timesteps: [Float] { sigmaSchedule.timesteps }
    /// The noise levels of the schedule plus the final 0 (`scheduler.sigmas`, float32).
    public var sigmas: [Float] { sigmaSchedule.sigmas }
    /// The training noise schedule (alphas_cumprod[-1] is 2⁻²⁴ under `rescale_betas_zero_snr`).
    public var schedule: NoiseSchedule { sigmaSchedule.noiseSchedule }
    /// The standard deviation of the initial noise: σ_max, or √(σ_max² + 1) for `leading` spacing.
    public var initNoiseSigma: Float { sigmaSchedule.initNoiseSigma }

    /// x̂₀ of the last `step` (`pred_original_sample`).
    public private(set) var predictedOriginalSample: Tensor?

    let predictionType: PredictionType
    private var sigmaSchedule: SigmaSchedule

    /// Builds the scheduler from a config, with `EulerAncestralDiscreteScheduler.__init__`'s defaults; it has no
    /// σ ramp options.
    public init(config: SchedulerConfig) throws {
        let name = EulerAncestralDiscreteScheduler.className
        self.config = config
        let noiseSchedule = try NoiseSchedule(config: config, scheduler: name).withFiniteTerminalSigma()
        predictionType = try parseOption(config.predictionType ?? "epsilon", field: "prediction_type", scheduler: name,
                                         supported: [.epsilon, .vPrediction])
        sigmaSchedule = try SigmaSchedule(config: config, scheduler: name, form: .varianceExploding,
                                          noiseSchedule: noiseSchedule, ramp: .none)
    }

    public func setTimesteps(_ steps: Int) throws {
        try sigmaSchedule.setTimesteps(steps, scheduler: EulerAncestralDiscreteScheduler.className)
    }

    public func setBeginIndex(_ index: Int) { sigmaSchedule.setBeginIndex(index) }

    public func scaleModelInput(_ sample: Tensor, timestep: Float) -> Tensor {
        sigmaSchedule.scaleModelInput(sample, timestep: timestep)
    }

    public func step(modelOutput: Tensor, timestep: Float, sample: Tensor, generator: RandomGenerator?) throws -> Tensor {
        let name = EulerAncestralDiscreteScheduler.className
        let stepIndex = try sigmaSchedule.stepIndex(for: timestep, scheduler: name)
        guard let generator else { throw SchedulerError.missingGenerator(scheduler: name) }
        let sigma = sigmas[stepIndex]
        let predictedOriginal = predictionType.originalSample(modelOutput: modelOutput, sample: sample, sigma: sigma)
        predictedOriginalSample = predictedOriginal
        let sigmaTo = sigmas[stepIndex + 1]
        let sigmaUp = ((sigmaTo * sigmaTo) * (sigma * sigma - sigmaTo * sigmaTo) / (sigma * sigma)).squareRoot()
        let sigmaDown = (sigmaTo * sigmaTo - sigmaUp * sigmaUp).squareRoot()
        let derivative = (sample - predictedOriginal).mapped { $0 / sigma }
        let dt = sigmaDown - sigma
        let previous = sample + derivative * dt
        let noise = generator.randn(modelOutput.shape)
        sigmaSchedule.advance()
        return previous + noise * sigmaUp
    }

    public func addNoise(original: Tensor, noise: Tensor, timestep: Float) -> Tensor {
        sigmaSchedule.addNoise(original, noise: noise, timestep: timestep)
    }
}
