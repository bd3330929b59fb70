// diffusers' `EulerDiscreteScheduler` (Karras et al., arXiv 2206.00364, Algorithm 2): x̂₀ from the model output at
// σ̂ = σ·(1 + γ), d = (x − x̂₀)/σ̂, x ← x + d·(σ_next − σ̂); γ > 0 (s_churn) adds fresh noise first.
// σ schedules: interpolated (linear / log-linear), Karras or exponential; timesteps discrete or continuous.

import Foundation
import Random
import Tensors

/// The diffusers `EulerDiscreteScheduler`.
public final class EulerDiscreteScheduler: Scheduler {
    /// The diffusers class name.
    public static let className = "EulerDiscreteScheduler"
    public let config: SchedulerConfig
    public let order = 1
    public private(set) var timesteps: [Float]
    /// The noise levels of the schedule plus the final one (`scheduler.sigmas`, float32).
    public private(set) var sigmas: [Float]
    /// The training noise schedule (alphas_cumprod[-1] is 2⁻²⁴ under `rescale_betas_zero_snr`).
    public let schedule: NoiseSchedule
    /// `s_churn` of `step`: stochasticity; above 0 (with σ in [sTMin, sTMax]) a step draws noise.
    public var sChurn: Float = 0
    /// `s_tmin` of `step`.
    public var sTMin: Float = 0
    /// `s_tmax` of `step`.
    public var sTMax: Float = .infinity
    /// `s_noise` of `step`: scale of the churn noise.
    public var sNoise: Float = 1

    /// `interpolation_type`: how σ is read at fractional timesteps.
    public enum Interpolation: String, CaseIterable, Sendable { case linear, logLinear = "log_linear" }
    /// `timestep_type`: training-timestep values, or 0.25·log σ (continuous, v-prediction only).
    public enum TimestepType: String, CaseIterable, Sendable { case discrete, continuous }

    let numTrainTimesteps: Int
    let spacing: TimestepSpacing
    let stepsOffset: Int
    let predictionType: PredictionType
    let interpolation: Interpolation
    let timestepType: TimestepType
    let finalSigma: FinalSigmaType
    let sigmaRamp: SigmaRamp
    private var index = StepIndex()

    /// Builds the scheduler from a config, with `EulerDiscreteScheduler.__init__`'s defaults for absent fields.
    public init(config: SchedulerConfig) throws {
        let name = EulerDiscreteScheduler.className
        self.config = config
        schedule = try NoiseSchedule(config: config, scheduler: name).withFiniteTerminalSigma()
        numTrainTimesteps = schedule.alphasCumprod.count
        spacing = try parseOption(config.timestepSpacing ?? "linspace", field: "timestep_spacing", scheduler: name)
        stepsOffset = config.stepsOffset ?? 0
        predictionType = try parseOption(config.predictionType ?? "epsilon", field: "prediction_type", scheduler: name,
                                         supported: [.epsilon, .vPrediction, .sample])
        interpolation = try parseOption(config.interpolationType ?? "linear", field: "interpolation_type",
                                        scheduler: name)
        timestepType = try parseOption(config.timestepType ?? "discrete", field: "timestep_type", scheduler: name)
        finalSigma = try parseOption(config.finalSigmasType ?? "zero", field: "final_sigmas_type", scheduler: name)
        sigmaRamp = try SigmaRamp(config: config, scheduler: name)

        let trainingSigmas = SigmaSchedules.trainingSigmas(alphasCumprod: schedule.alphasCumprod)
        sigmas = trainingSigmas.reversed() + [0]
        if timestepType == .continuous && predictionType == .vPrediction {
            timesteps = trainingSigmas.reversed().map { 0.25 * Float(log(Double($0))) }
        } else {
            timesteps = NumPyRanges.linspace(0, Double(numTrainTimesteps - 1), count: numTrainTimesteps)
                .reversed().map { Float($0) }
        }
    }

    /// The standard deviation of the initial noise: σ_max, or √(σ_max² + 1) for `leading` spacing.
    public var initNoiseSigma: Float { SigmaSchedules.initNoiseSigma(sigmas: sigmas, spacing: spacing) }

    public func setTimesteps(_ steps: Int) throws {
        guard steps >= 1 else {
            throw SchedulerError.invalidSteps(steps, reason: "EulerDiscreteScheduler needs at least 1 step")
        }
        let (stepSigmas, rampTimesteps) = sigmaRamp.stepSchedule(steps: steps, spacing: spacing,
                                                                 stepsOffset: stepsOffset, noiseSchedule: schedule,
                                                                 logLinear: interpolation == .logLinear)
        let last: Float
        switch finalSigma {
        case .zero: last = 0
        case .sigmaMin: last = ((1 - schedule.alphasCumprod[0]) / schedule.alphasCumprod[0]).squareRoot()
        }
        sigmas = stepSigmas.map { Float($0) } + [last]
        if timestepType == .continuous && predictionType == .vPrediction {
            timesteps = sigmas.dropLast().map { 0.25 * Float(log(Double($0))) }
        } else {
            timesteps = rampTimesteps.map { Float($0) }
        }
        index.reset()
    }

    public func setBeginIndex(_ index: Int) { self.index.begin = index }

    /// x / √(σ² + 1); a timestep outside the schedule (without a begin index) returns the sample unscaled and
    /// the following `step` throws.
    public func scaleModelInput(_ sample: Tensor, timestep: Float) -> Tensor {
        index.scaledModelInput(sample, timestep: timestep, timesteps: timesteps, sigmas: sigmas)
    }

    public func step(modelOutput: Tensor, timestep: Float, sample: Tensor, generator: RandomGenerator?) throws -> Tensor {
        let name = EulerDiscreteScheduler.className
        guard let stepIndex = index.resolve(timestep, timesteps: timesteps), stepIndex + 1 < sigmas.count else {
            throw SchedulerError.invalidTimestep(scheduler: name, timestep: timestep,
                                                 reason: "is not in the inference schedule")
        }
        let sigma = sigmas[stepIndex]
        let churn = Double(sChurn) / Double(sigmas.count - 1)
        let gamma = sTMin <= sigma && sigma <= sTMax ? min(churn, 2.0.squareRoot() - 1) : 0
        let sigmaHat = sigma * Float(gamma + 1)
        var sample = sample
        if gamma > 0 {
            guard let generator else { throw SchedulerError.missingGenerator(scheduler: name) }
            let noise = generator.randn(modelOutput.shape) * sNoise
            sample = sample + noise * (sigmaHat * sigmaHat - sigma * sigma).squareRoot()
        }
        // diffusers takes ε at σ̂ but v at σ.
        let predictedOriginal = predictionType.originalSample(modelOutput: modelOutput, sample: sample,
                                                              sigma: predictionType == .epsilon ? sigmaHat : sigma)
        let derivative = (sample - predictedOriginal).mapped { $0 / sigmaHat }
        let dt = sigmas[stepIndex + 1] - sigmaHat
        index.step = stepIndex + 1
        return sample + derivative * dt
    }

    public func addNoise(original: Tensor, noise: Tensor, timestep: Float) -> Tensor {
        guard let sigma = index.noiseSigma(timestep, timesteps: timesteps, sigmas: sigmas) else { return original }
        return original + noise * sigma
    }
}
