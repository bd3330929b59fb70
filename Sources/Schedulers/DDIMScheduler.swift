// diffusers' `DDIMScheduler` (Song et al., arXiv 2010.02502): x_{t−1} = √ᾱ_{t−1}·x̂₀ + √(1 − ᾱ_{t−1} − σ_t²)·ε̂
// (+ σ_t·z when η > 0), with x̂₀ and ε̂ from the model output; float32 in torch's operation order.

import Foundation
import Random
import Tensors

/// The diffusers `DDIMScheduler` (integer timesteps, optional clipping / dynamic thresholding, η noise).
public final class DDIMScheduler: Scheduler {
    /// The diffusers class name.
    public static let className = "DDIMScheduler"
    public let config: SchedulerConfig
    public let order = 1
    public private(set) var timesteps: [Float]
    public var initNoiseSigma: Float { 1 }
    /// `eta` of `step`: 0 is deterministic DDIM; above 0 each step draws noise from the generator.
    public var eta: Float = 0
    /// `use_clipped_model_output` of `step`: recompute ε̂ from the clipped x̂₀.
    public var useClippedModelOutput = false
    /// The training noise schedule.
    public let schedule: NoiseSchedule
    /// x̂₀ of the last `step` (`pred_original_sample`).
    public private(set) var predictedOriginalSample: Tensor?

    let numTrainTimesteps: Int
    let spacing: TimestepSpacing
    let stepsOffset: Int
    let predictionType: PredictionType
    let clipRange: Float?
    let thresholding: DynamicThresholding?
    let finalAlphaCumprod: Float
    private(set) var numInferenceSteps: Int?

    /// Builds the scheduler from a config, with `DDIMScheduler.__init__`'s defaults for absent fields.
    public init(config: SchedulerConfig) throws {
        let name = DDIMScheduler.className
        self.config = config
        schedule = try NoiseSchedule(config: config, scheduler: name)
        numTrainTimesteps = schedule.alphasCumprod.count
        spacing = try parseOption(config.timestepSpacing ?? "leading", field: "timestep_spacing", scheduler: name)
        stepsOffset = config.stepsOffset ?? 0
        predictionType = try parseOption(config.predictionType ?? "epsilon", field: "prediction_type", scheduler: name,
                                         supported: [.epsilon, .sample, .vPrediction])
        clipRange = Schedulers.clipRange(config, clipsByDefault: true)
        thresholding = try DynamicThresholding.configured(by: config, scheduler: name)
        finalAlphaCumprod = (config.setAlphaToOne ?? true) ? 1 : schedule.alphasCumprod[0]
        timesteps = (0..<numTrainTimesteps).reversed().map { Float($0) }
    }

    public func setTimesteps(_ steps: Int) throws {
        guard steps >= 1, steps <= numTrainTimesteps else {
            throw SchedulerError.invalidSteps(steps, reason: "DDIMScheduler needs 1...\(numTrainTimesteps) steps")
        }
        numInferenceSteps = steps
        timesteps = spacing.integerTimesteps(steps: steps, numTrainTimesteps: numTrainTimesteps,
                                             stepsOffset: stepsOffset).map { Float($0) }
    }

    /// DDIM has no begin index in diffusers (img2img only slices the timesteps); the call is ignored.
    public func setBeginIndex(_ index: Int) {}

    public func scaleModelInput(_ sample: Tensor, timestep: Float) -> Tensor { sample }

    public func step(modelOutput: Tensor, timestep: Float, sample: Tensor, generator: RandomGenerator?) throws -> Tensor {
        let name = DDIMScheduler.className
        guard let steps = numInferenceSteps else { throw SchedulerError.timestepsNotSet(scheduler: name) }
        let t = try integerTimestep(timestep, scheduler: name)
        let previousT = t - numTrainTimesteps / steps
        let alphaProd = try schedule.alphaCumprod(at: t, scheduler: name)
        let alphaProdPrevious = previousT >= 0 ? try schedule.alphaCumprod(at: previousT, scheduler: name)
                                               : finalAlphaCumprod
        let betaProd = 1 - alphaProd
        let sqrtAlpha = alphaProd.squareRoot(), sqrtBeta = betaProd.squareRoot()

        var predictedOriginal = predictionType.originalSample(modelOutput: modelOutput, sample: sample,
                                                              alpha: sqrtAlpha, sigma: sqrtBeta)
        var predictedEpsilon = predictionType.noise(modelOutput: modelOutput, sample: sample,
                                                    alpha: sqrtAlpha, sigma: sqrtBeta)
        predictedOriginal = limitedOriginalSample(predictedOriginal, thresholding: thresholding, clipRange: clipRange)
        predictedOriginalSample = predictedOriginal

        // _get_variance: (β̄_{t−1} / β̄_t) · (1 − ᾱ_t / ᾱ_{t−1})
        let variance = ((1 - alphaProdPrevious) / betaProd) * (1 - alphaProd / alphaProdPrevious)
        let standardDeviation = eta * variance.squareRoot()
        if useClippedModelOutput {
            predictedEpsilon = PredictionType.sample.noise(modelOutput: predictedOriginal, sample: sample,
                                                           alpha: sqrtAlpha, sigma: sqrtBeta)
        }
        let directionScale = (1 - alphaProdPrevious - standardDeviation * standardDeviation).squareRoot()
        var previous = predictedOriginal * alphaProdPrevious.squareRoot() + predictedEpsilon * directionScale
        if eta > 0 {
            guard let generator else { throw SchedulerError.missingGenerator(scheduler: name) }
            previous = previous + generator.randn(modelOutput.shape) * standardDeviation
        }
        return previous
    }

    public func addNoise(original: Tensor, noise: Tensor, timestep: Float) -> Tensor {
        schedule.addNoise(original, noise: noise, timestep: timestep)
    }
}
