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
    /// The inference timesteps, each after the first listed twice (`scheduler.timesteps`).
    public var timesteps: [Float] { sigmaSchedule.timesteps }
    /// The doubled noise levels plus the final 0 (`scheduler.sigmas`, float32).
    public var sigmas: [Float] { sigmaSchedule.sigmas }
    /// The training noise schedule.
    public var schedule: NoiseSchedule { sigmaSchedule.noiseSchedule }
    /// The standard deviation of the initial noise: σ_max, or √(σ_max² + 1) for `leading` spacing.
    public var initNoiseSigma: Float { sigmaSchedule.initNoiseSigma }

    /// x̂₀ of the last `step` (`pred_original_sample`).
    public private(set) var predictedOriginalSample: Tensor?

    let predictionType: PredictionType
    let clipRange: Float?
    private var sigmaSchedule: SigmaSchedule
    /// The predictor's derivative, step size and start sample, kept for the corrector (nil: first order next).
    private var pending: (derivative: Tensor, dt: Float, sample: Tensor)?

    /// Builds the scheduler from a config, with `HeunDiscreteScheduler.__init__`'s defaults for absent fields.
    public init(config: SchedulerConfig) throws {
        let name = HeunDiscreteScheduler.className
        self.config = config
        let noiseSchedule = try NoiseSchedule(config: config, scheduler: name, betaStart: 0.00085, betaEnd: 0.012,
                                              supported: [.linear, .scaledLinear, .squaredcosCapV2, .exp],
                                              readsZeroSNRRescale: false)
        predictionType = try parseOption(config.predictionType ?? "epsilon", field: "prediction_type", scheduler: name,
                                         supported: [.epsilon, .vPrediction, .sample])
        clipRange = Schedulers.clipRange(config, clipsByDefault: false)
        let ramp = try SigmaRamp(config: config, scheduler: name)
        sigmaSchedule = try SigmaSchedule(config: config, scheduler: name, form: .varianceExploding,
                                          noiseSchedule: noiseSchedule, ramp: ramp)
        try setTimesteps(sigmaSchedule.numTrainTimesteps)
    }

    /// `state_in_first_order`: the next call is a predictor.
    public var isFirstOrderNext: Bool { pending == nil }

    public func setTimesteps(_ steps: Int) throws {
        try sigmaSchedule.setTimesteps(steps, scheduler: HeunDiscreteScheduler.className)
        // cat([σ[:1], σ[1:-1].repeat_interleave(2), σ[-1:]]) over σ + [0]; timesteps likewise without the end.
        let once = sigmaSchedule.sigmas, onceTimesteps = sigmaSchedule.timesteps
        let interior = once.dropFirst().dropLast().flatMap { [$0, $0] }
        sigmaSchedule.reset(timesteps: [onceTimesteps[0]] + onceTimesteps.dropFirst().flatMap { [$0, $0] },
                            sigmas: [once[0]] + interior + [once[once.count - 1]])
        pending = nil
    }

    public func setBeginIndex(_ index: Int) { sigmaSchedule.setBeginIndex(index) }

    public func scaleModelInput(_ sample: Tensor, timestep: Float) -> Tensor {
        sigmaSchedule.scaleModelInput(sample, timestep: timestep)
    }

    public func step(modelOutput: Tensor, timestep: Float, sample: Tensor, generator: RandomGenerator?) throws -> Tensor {
        let name = HeunDiscreteScheduler.className
        // The corrector reads the σ before this step's.
        let stepIndex = try sigmaSchedule.stepIndex(for: timestep, scheduler: name, minimum: pending == nil ? 0 : 1)
        let firstOrder = pending == nil
        let sigma = firstOrder ? sigmas[stepIndex] : sigmas[stepIndex - 1]
        let sigmaNext = firstOrder ? sigmas[stepIndex + 1] : sigmas[stepIndex]
        let sigmaHat = sigma   // γ = 0
        let sigmaInput = firstOrder ? sigmaHat : sigmaNext
        let predictedOriginal = limitedOriginalSample(
            predictionType.originalSample(modelOutput: modelOutput, sample: sample, sigma: sigmaInput),
            thresholding: nil, clipRange: clipRange)
        predictedOriginalSample = predictedOriginal
        sigmaSchedule.advance()
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
        sigmaSchedule.addNoise(original, noise: noise, timestep: timestep)
    }
}
