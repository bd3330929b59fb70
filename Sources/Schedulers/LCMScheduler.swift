// diffusers' LCMScheduler (latent consistency models, arXiv:2310.04378): timesteps skip through the
// distillation schedule; each step is x₀ → c_skip·x + c_out·x₀, re-noised to the next timestep (not the last).

import Foundation
import Random
import Tensors

/// The diffusers `LCMScheduler`, built from its config.
public final class LCMScheduler: Scheduler {
    public static let className = "LCMScheduler"
    public static let supportedPredictionTypes = ["epsilon", "v_prediction", "sample"]

    public let config: SchedulerConfig
    public let order = 1
    public let initNoiseSigma: Float = 1
    /// The inference timesteps (before `setTimesteps`: all training timesteps, descending).
    public private(set) var timesteps: [Float]
    /// The index of the next `step` (nil until the first step).
    public private(set) var stepIndex: Int?
    /// The index the first `step` starts at, set by img2img (`set_begin_index`).
    public private(set) var beginIndex: Int?
    /// The denoised sample of the last `step` (`LCMSchedulerOutput.denoised`).
    public private(set) var denoised: Tensor?

    let originalInferenceSteps: Int
    let predictionType: String
    let timestepScaling: Float
    let thresholding: (ratio: Double, maxValue: Double)?
    let clipRange: Float?
    /// ᾱ_t of every training timestep (`alphas_cumprod`).
    public let alphasCumprod: [Float]
    let finalAlphaCumprod: Float
    private var inferenceSteps: Int?

    /// Builds the scheduler, applying this class's defaults to absent fields; unsupported values throw.
    public init(config: SchedulerConfig) throws {
        let name = Self.className
        self.config = config
        originalInferenceSteps = config.originalInferenceSteps ?? 50
        predictionType = try multistepChoice(config.predictionType ?? "epsilon", field: "prediction_type",
                                             supported: Self.supportedPredictionTypes, scheduler: name)
        timestepScaling = Float(config.timestepScaling ?? 10)
        thresholding = (config.thresholding ?? false)
            ? (config.dynamicThresholdingRatio ?? 0.995, config.sampleMaxValue ?? 1.0) : nil
        clipRange = (config.clipSample ?? false) ? Float(config.clipSampleRange ?? 1) : nil
        let schedule = MultistepBetaSchedule(config, betaStart: 0.00085, betaEnd: 0.012, schedule: "scaled_linear")
        alphasCumprod = multistepAlphasCumprod(try multistepBetas(schedule, scheduler: name))
        finalAlphaCumprod = (config.setAlphaToOne ?? true) ? 1 : alphasCumprod[0]
        timesteps = (0..<alphasCumprod.count).reversed().map { Float($0) }
    }

    /// `set_timesteps(num_inference_steps)`: every ⌊len/n⌋-th timestep of the distillation schedule.
    public func setTimesteps(_ steps: Int) throws {
        try setTimesteps(steps, strength: 1)
    }

    /// `set_timesteps(num_inference_steps, strength=…)` as LatentConsistencyModelImg2ImgPipeline calls it: the
    /// distillation schedule is cut to its first `⌊original_inference_steps · strength⌋` entries. (The plain
    /// StableDiffusionImg2ImgPipeline calls `setTimesteps(_:)` and slices the schedule itself.)
    public func setTimesteps(_ steps: Int, strength: Double) throws {
        let trainSteps = alphasCumprod.count
        guard originalInferenceSteps >= 1 && originalInferenceSteps <= trainSteps else {
            throw SchedulerError.unsupported(scheduler: Self.className, field: "original_inference_steps",
                                             value: String(originalInferenceSteps),
                                             supported: "1 … num_train_timesteps (\(trainSteps))")
        }
        guard steps >= 1 else { throw SchedulerError.invalidSteps(steps, reason: "at least 1 step is needed") }
        guard strength > 0 && strength <= 1 else {
            throw SchedulerError.invalidSteps(steps, reason: "strength \(strength) is outside (0, 1]")
        }
        let skip = trainSteps / originalInferenceSteps
        let originCount = Int(Double(originalInferenceSteps) * strength)
        guard steps <= trainSteps else {
            throw SchedulerError.invalidSteps(steps, reason: "more than num_train_timesteps (\(trainSteps))")
        }
        guard originCount / steps >= 1 else {
            throw SchedulerError.invalidSteps(steps, reason: "more than original_inference_steps × strength "
                                              + "(\(originalInferenceSteps) × \(strength) = \(originCount))")
        }
        guard steps <= originalInferenceSteps else {
            throw SchedulerError.invalidSteps(steps, reason: "more than original_inference_steps "
                                              + "(\(originalInferenceSteps))")
        }
        let origin = (1...originCount).reversed().map { $0 * skip - 1 }
        let positions = multistepNumpyLinspace(start: 0, stop: Double(originCount), count: steps, endpoint: false)
        timesteps = positions.map { Float(origin[Int($0.rounded(.down))]) }
        inferenceSteps = steps
        stepIndex = nil
        beginIndex = nil
    }

    /// `set_begin_index(index)`.
    public func setBeginIndex(_ index: Int) {
        beginIndex = index
    }

    /// `index_for_timestep`: the second match when the timestep repeats; nil when it is not in the schedule.
    public func indexForTimestep(_ timestep: Float) -> Int? {
        multistepIndex(of: timestep, in: timesteps)
    }

    /// The input needs no scaling (`scale_model_input` returns the sample).
    public func scaleModelInput(_ sample: Tensor, timestep: Float) -> Tensor {
        sample
    }

    /// One consistency step; every step but the last re-noises with `randn(model_output.shape)` from `generator`.
    public func step(modelOutput: Tensor, timestep: Float, sample: Tensor,
                     generator: RandomGenerator?) throws -> Tensor {
        guard let inferenceSteps else {
            throw SchedulerError.misuse(scheduler: Self.className, reason: "call setTimesteps before step")
        }
        guard modelOutput.shape == sample.shape else {
            throw SchedulerError.misuse(scheduler: Self.className,
                                        reason: "model output \(modelOutput.shape) and sample \(sample.shape) differ")
        }
        guard let index = stepIndex ?? beginIndex ?? indexForTimestep(timestep) else {
            throw SchedulerError.misuse(scheduler: Self.className, reason: "timestep \(timestep) is not in the schedule")
        }
        guard index >= 0 && index < timesteps.count, let t = trainIndex(timestep) else {
            throw SchedulerError.misuse(scheduler: Self.className,
                                        reason: "step \(index) at timestep \(timestep) is outside the schedule")
        }
        stepIndex = index
        let previousTimestep = index + 1 < timesteps.count ? timesteps[index + 1] : timestep
        let alphaProd = alphasCumprod[t]
        let alphaProdPrevious = previousTimestep >= 0 ? alphasCumprod[Int(previousTimestep)] : finalAlphaCumprod
        let betaProd = 1 - alphaProd, betaProdPrevious = 1 - alphaProdPrevious
        let (cSkip, cOut) = boundaryScalings(timestep)

        var x0: Tensor
        switch predictionType {
        case "epsilon":
            x0 = multistepSubtractScaledThenDivide(sample, modelOutput, scale: betaProd.squareRoot(),
                                                   divisor: alphaProd.squareRoot())
        case "v_prediction":
            x0 = multistepLinearCombination([(alphaProd.squareRoot(), sample), (-betaProd.squareRoot(), modelOutput)])
        default:
            x0 = modelOutput
        }
        if let thresholding {
            x0 = multistepThreshold(x0, ratio: thresholding.ratio, maxValue: thresholding.maxValue)
        } else if let clipRange {
            x0 = multistepMap(x0) { multistepTorchClamp($0, lower: -clipRange, upper: clipRange) }
        }
        let denoised = multistepLinearCombination([(cOut, x0), (cSkip, sample)])
        self.denoised = denoised
        var previous = denoised
        if index != inferenceSteps - 1 {
            guard let generator else { throw SchedulerError.missingGenerator(scheduler: Self.className) }
            let noise = generator.randn(modelOutput.shape)
            previous = multistepLinearCombination([(alphaProdPrevious.squareRoot(), denoised),
                                                   (betaProdPrevious.squareRoot(), noise)])
        }
        stepIndex = index + 1
        return previous
    }

    /// `add_noise` (DDPM form): √ᾱ_t·x₀ + √(1 − ᾱ_t)·ε at the training timestep itself.
    public func addNoise(original: Tensor, noise: Tensor, timestep: Float) -> Tensor {
        guard let t = trainIndex(timestep) else {
            preconditionFailure("LCMScheduler.addNoise: timestep \(timestep) is not a training timestep")
        }
        let alphaProd = alphasCumprod[t]
        return multistepLinearCombination([(alphaProd.squareRoot(), original), ((1 - alphaProd).squareRoot(), noise)])
    }

    /// `get_scalings_for_boundary_condition_discrete`: c_skip = σ_d²/((s·t)² + σ_d²), c_out = s·t/√((s·t)² + σ_d²).
    func boundaryScalings(_ timestep: Float) -> (cSkip: Float, cOut: Float) {
        let sigmaData: Float = 0.5
        let scaled = timestep * timestepScaling
        let cSkip = sigmaData * sigmaData / (scaled * scaled + sigmaData * sigmaData)
        let cOut = scaled / (scaled * scaled + sigmaData * sigmaData).squareRoot()
        return (cSkip, cOut)
    }

    /// The `alphas_cumprod` index of an integral timestep in range, else nil.
    private func trainIndex(_ timestep: Float) -> Int? {
        guard timestep >= 0, timestep < Float(alphasCumprod.count), timestep == timestep.rounded() else { return nil }
        return Int(timestep)
    }
}
