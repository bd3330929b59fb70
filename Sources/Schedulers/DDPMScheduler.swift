// diffusers' `DDPMScheduler` (Ho et al., arXiv 2006.11239): the posterior mean
// μ = (√ᾱ_{t'}·β_t / β̄_t)·x̂₀ + (√α_t·β̄_{t'} / β̄_t)·x_t toward the previous scheduled timestep t', plus
// σ_t·z drawn from the generator while t > 0; float32 in torch's operation order.

import Foundation
import Random
import Tensors

/// The diffusers `DDPMScheduler` with the `fixed_small`, `fixed_small_log` and `fixed_large` variances.
public final class DDPMScheduler: Scheduler {
    /// The diffusers class name.
    public static let className = "DDPMScheduler"
    public let config: SchedulerConfig
    public let order = 1
    public private(set) var timesteps: [Float]
    public var initNoiseSigma: Float { 1 }
    /// The training noise schedule.
    public let schedule: NoiseSchedule

    /// The `variance_type` values implemented (the learned ones need a model that outputs a variance).
    public enum VarianceType: String, CaseIterable, Sendable {
        case fixedSmall = "fixed_small", fixedSmallLog = "fixed_small_log", fixedLarge = "fixed_large"
    }

    /// x̂₀ of the last `step` (`pred_original_sample`).
    public private(set) var predictedOriginalSample: Tensor?

    let numTrainTimesteps: Int
    let spacing: TimestepSpacing
    let stepsOffset: Int
    let predictionType: PredictionType
    let varianceType: VarianceType
    let clipRange: Float?
    let thresholding: DynamicThresholding?
    private var numInferenceSteps: Int?

    /// Builds the scheduler from a config, with `DDPMScheduler.__init__`'s defaults for absent fields.
    public init(config: SchedulerConfig) throws {
        let name = DDPMScheduler.className
        self.config = config
        schedule = try NoiseSchedule(config: config, scheduler: name,
                                     supported: [.linear, .scaledLinear, .squaredcosCapV2, .laplace, .sigmoid])
        numTrainTimesteps = schedule.alphasCumprod.count
        spacing = try parseOption(config.timestepSpacing ?? "leading", field: "timestep_spacing", scheduler: name)
        stepsOffset = config.stepsOffset ?? 0
        predictionType = try parseOption(config.predictionType ?? "epsilon", field: "prediction_type", scheduler: name,
                                         supported: [.epsilon, .sample, .vPrediction])
        varianceType = try parseOption(config.varianceType ?? "fixed_small", field: "variance_type", scheduler: name)
        clipRange = Schedulers.clipRange(config, clipsByDefault: true)
        thresholding = try DynamicThresholding.configured(by: config, scheduler: name)
        timesteps = (0..<numTrainTimesteps).reversed().map { Float($0) }
    }

    public func setTimesteps(_ steps: Int) throws {
        guard steps >= 1, steps <= numTrainTimesteps else {
            throw SchedulerError.invalidSteps(steps, reason: "DDPMScheduler needs 1...\(numTrainTimesteps) steps")
        }
        numInferenceSteps = steps
        timesteps = spacing.integerTimesteps(steps: steps, numTrainTimesteps: numTrainTimesteps,
                                             stepsOffset: stepsOffset).map { Float($0) }
    }

    /// DDPM has no begin index in diffusers (img2img only slices the timesteps); the call is ignored.
    public func setBeginIndex(_ index: Int) {}

    public func scaleModelInput(_ sample: Tensor, timestep: Float) -> Tensor { sample }

    /// `previous_timestep(t)`: the next entry of the schedule, −1 after the last one (t − 1 before set_timesteps).
    func previousTimestep(_ timestep: Int) throws -> Int {
        guard numInferenceSteps != nil else { return timestep - 1 }
        guard let index = timesteps.firstIndex(of: Float(timestep)) else {
            throw SchedulerError.invalidTimestep(scheduler: DDPMScheduler.className, timestep: Float(timestep),
                                                 reason: "is not in the inference schedule")
        }
        return index == timesteps.count - 1 ? -1 : Int(timesteps[index + 1])
    }

    public func step(modelOutput: Tensor, timestep: Float, sample: Tensor, generator: RandomGenerator?) throws -> Tensor {
        let name = DDPMScheduler.className
        let t = try integerTimestep(timestep, scheduler: name)
        let previousT = try previousTimestep(t)
        let alphaProd = try schedule.alphaCumprod(at: t, scheduler: name)
        let alphaProdPrevious = previousT >= 0 ? try schedule.alphaCumprod(at: previousT, scheduler: name) : 1
        let betaProd = 1 - alphaProd, betaProdPrevious = 1 - alphaProdPrevious
        let currentAlpha = alphaProd / alphaProdPrevious
        let currentBeta = 1 - currentAlpha

        let predictedOriginal = limitedOriginalSample(
            predictionType.originalSample(modelOutput: modelOutput, sample: sample, alpha: alphaProd.squareRoot(),
                                          sigma: betaProd.squareRoot()),
            thresholding: thresholding, clipRange: clipRange)
        predictedOriginalSample = predictedOriginal
        let originalCoefficient = alphaProdPrevious.squareRoot() * currentBeta / betaProd
        let sampleCoefficient = currentAlpha.squareRoot() * betaProdPrevious / betaProd
        var previous = predictedOriginal * originalCoefficient + sample * sampleCoefficient
        if t > 0 {
            guard let generator else { throw SchedulerError.missingGenerator(scheduler: name) }
            let noise = generator.randn(modelOutput.shape)
            previous = previous + noise * (try standardDeviation(t))
        }
        return previous
    }

    /// The noise scale of step t: √variance, or exp(½·log variance) for `fixed_small_log`, from `_get_variance`.
    private func standardDeviation(_ t: Int) throws -> Float {
        let name = DDPMScheduler.className
        let previousT = try previousTimestep(t)
        let alphaProd = try schedule.alphaCumprod(at: t, scheduler: name)
        let alphaProdPrevious = previousT >= 0 ? try schedule.alphaCumprod(at: previousT, scheduler: name) : 1
        let currentBeta = 1 - alphaProd / alphaProdPrevious
        // Formulas (6) and (7) of the DDPM paper, clamped away from 0 for the log.
        let variance = max((1 - alphaProdPrevious) / (1 - alphaProd) * currentBeta, Float(1e-20))
        switch varianceType {
        case .fixedSmall:
            return variance.squareRoot()
        case .fixedSmallLog:
            let logVariance = Float(log(Double(variance)))
            return Float(exp(Double(0.5 * logVariance)))
        case .fixedLarge:
            return currentBeta.squareRoot()
        }
    }

    public func addNoise(original: Tensor, noise: Tensor, timestep: Float) -> Tensor {
        schedule.addNoise(original, noise: noise, timestep: timestep)
    }
}
