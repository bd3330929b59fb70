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
    /// The inference timesteps (`scheduler.timesteps`).
    public var timesteps: [Float] { sigmaSchedule.timesteps }
    /// The noise levels of the schedule plus the final one (`scheduler.sigmas`, float32).
    public var sigmas: [Float] { sigmaSchedule.sigmas }
    /// The training noise schedule (alphas_cumprod[-1] is 2⁻²⁴ under `rescale_betas_zero_snr`).
    public var schedule: NoiseSchedule { sigmaSchedule.noiseSchedule }
    /// The standard deviation of the initial noise: σ_max, or √(σ_max² + 1) for `leading` spacing.
    public var initNoiseSigma: Float { sigmaSchedule.initNoiseSigma }
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

    /// x̂₀ of the last `step` (`pred_original_sample`).
    public private(set) var predictedOriginalSample: Tensor?

    let predictionType: PredictionType
    let interpolation: Interpolation
    let timestepType: TimestepType
    let finalSigma: FinalSigmaType
    private var sigmaSchedule: SigmaSchedule

    /// Builds the scheduler from a config, with `EulerDiscreteScheduler.__init__`'s defaults for absent fields.
    public init(config: SchedulerConfig) throws {
        let name = EulerDiscreteScheduler.className
        self.config = config
        let noiseSchedule = try NoiseSchedule(config: config, scheduler: name).withFiniteTerminalSigma()
        predictionType = try parseOption(config.predictionType ?? "epsilon", field: "prediction_type", scheduler: name,
                                         supported: [.epsilon, .vPrediction, .sample])
        interpolation = try parseOption(config.interpolationType ?? "linear", field: "interpolation_type",
                                        scheduler: name)
        timestepType = try parseOption(config.timestepType ?? "discrete", field: "timestep_type", scheduler: name)
        finalSigma = try parseOption(config.finalSigmasType ?? "zero", field: "final_sigmas_type", scheduler: name)
        let ramp = try SigmaRamp(config: config, scheduler: name)
        sigmaSchedule = try SigmaSchedule(config: config, scheduler: name, form: .varianceExploding,
                                          noiseSchedule: noiseSchedule, ramp: ramp)
        useContinuousTimesteps()
    }

    public func setTimesteps(_ steps: Int) throws {
        let last = finalSigma == .sigmaMin ? sigmaSchedule.trainingSigmas[0] : 0
        try sigmaSchedule.setTimesteps(steps, scheduler: EulerDiscreteScheduler.className,
                                       logLinear: interpolation == .logLinear, finalSigma: last)
        useContinuousTimesteps()
    }

    /// `timestep_type="continuous"` with v-prediction: each timestep is 0.25·log σ instead.
    private func useContinuousTimesteps() {
        guard timestepType == .continuous && predictionType == .vPrediction else { return }
        sigmaSchedule.timesteps = sigmaSchedule.sigmas.dropLast().map { 0.25 * Float(log(Double($0))) }
    }

    public func setBeginIndex(_ index: Int) { sigmaSchedule.setBeginIndex(index) }

    public func scaleModelInput(_ sample: Tensor, timestep: Float) -> Tensor {
        sigmaSchedule.scaleModelInput(sample, timestep: timestep)
    }

    public func step(modelOutput: Tensor, timestep: Float, sample: Tensor, generator: RandomGenerator?) throws -> Tensor {
        let name = EulerDiscreteScheduler.className
        let stepIndex = try sigmaSchedule.stepIndex(for: timestep, scheduler: name)
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
        predictedOriginalSample = predictedOriginal
        let derivative = (sample - predictedOriginal).mapped { $0 / sigmaHat }
        let dt = sigmas[stepIndex + 1] - sigmaHat
        sigmaSchedule.advance()
        return sample + derivative * dt
    }

    public func addNoise(original: Tensor, noise: Tensor, timestep: Float) -> Tensor {
        sigmaSchedule.addNoise(original, noise: noise, timestep: timestep)
    }
}
