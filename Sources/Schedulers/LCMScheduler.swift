// diffusers' LCMScheduler (latent consistency models, arXiv:2310.04378): timesteps skip through the
// distillation schedule; each step is x₀ → c_skip·x + c_out·x₀, re-noised to the next timestep (not the last).

import Foundation
import Random
import Tensors

/// The diffusers `LCMScheduler`, built from its config.
public final class LCMScheduler: Scheduler {
    public static let className = "LCMScheduler"

    public let config: SchedulerConfig
    public let order = 1
    public let initNoiseSigma: Float = 1
    /// The inference timesteps (before `setTimesteps`: all training timesteps, descending).
    public private(set) var timesteps: [Float]
    /// The index of the next `step` (nil until the first step).
    public var stepIndex: Int? { index.step }
    /// The index the first `step` starts at, set by img2img (`set_begin_index`).
    public var beginIndex: Int? { index.begin }
    /// The denoised sample of the last `step` (`LCMSchedulerOutput.denoised`).
    public private(set) var denoised: Tensor?
    /// x̂₀ of the last `step`: LCM's `denoised` (the consistency model's boundary-conditioned prediction).
    public var predictedOriginalSample: Tensor? { denoised }

    let originalInferenceSteps: Int
    let predictionType: PredictionType
    let timestepScaling: Float
    let thresholding: DynamicThresholding?
    let clipRange: Float?
    /// The training noise schedule.
    public let schedule: NoiseSchedule
    let finalAlphaCumprod: Float
    private var inferenceSteps: Int?
    private var index = StepIndex()

    /// Builds the scheduler, applying this class's defaults to absent fields; unsupported values throw.
    public init(config: SchedulerConfig) throws {
        let name = Self.className
        self.config = config
        originalInferenceSteps = config.originalInferenceSteps ?? 50
        predictionType = try parseOption(config.predictionType ?? "epsilon", field: "prediction_type", scheduler: name)
        timestepScaling = Float(config.timestepScaling ?? 10)
        thresholding = try DynamicThresholding.configured(by: config, scheduler: name)
        clipRange = Schedulers.clipRange(config, clipsByDefault: false)
        schedule = try NoiseSchedule(config: config, scheduler: name, betaStart: 0.00085, betaEnd: 0.012,
                                     betaSchedule: .scaledLinear)
        finalAlphaCumprod = (config.setAlphaToOne ?? true) ? 1 : schedule.alphasCumprod[0]
        timesteps = (0..<schedule.alphasCumprod.count).reversed().map { Float($0) }
    }

    /// `set_timesteps(num_inference_steps)`: every ⌊len/n⌋-th timestep of the distillation schedule.
    public func setTimesteps(_ steps: Int) throws {
        try setTimesteps(steps, strength: 1)
    }

    /// `set_timesteps(num_inference_steps, strength=…)` as LatentConsistencyModelImg2ImgPipeline calls it: the
    /// distillation schedule is cut to its first `⌊original_inference_steps · strength⌋` entries. (The plain
    /// StableDiffusionImg2ImgPipeline calls `setTimesteps(_:)` and slices the schedule itself.)
    public func setTimesteps(_ steps: Int, strength: Double) throws {
        let trainSteps = schedule.alphasCumprod.count
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
        let positions = NumPyRanges.linspace(0, Double(originCount), count: steps, endpoint: false)
        timesteps = positions.map { Float(origin[Int($0.rounded(.down))]) }
        inferenceSteps = steps
        index.reset()
    }

    /// `set_begin_index(index)`.
    public func setBeginIndex(_ index: Int) {
        self.index.begin = index
    }

    /// `index_for_timestep`: the second match when the timestep repeats; nil when it is not in the schedule.
    public func indexForTimestep(_ timestep: Float) -> Int? {
        index.position(of: timestep, in: timesteps)
    }

    /// The input needs no scaling (`scale_model_input` returns the sample).
    public func scaleModelInput(_ sample: Tensor, timestep: Float) -> Tensor {
        sample
    }

    /// One consistency step; every step but the last re-noises with `randn(model_output.shape)` from `generator`.
    public func step(modelOutput: Tensor, timestep: Float, sample: Tensor,
                     generator: RandomGenerator?) throws -> Tensor {
        let name = Self.className
        try checkStepArguments(modelOutput: modelOutput, sample: sample, timestepsSet: inferenceSteps != nil,
                               scheduler: name)
        let stepIndex = try index.resolveForStep(timestep, timesteps: timesteps, stepCount: timesteps.count,
                                                 scheduler: name)
        let previousTimestep = stepIndex + 1 < timesteps.count ? timesteps[stepIndex + 1] : timestep
        let alphaProd = try schedule.alphaCumprod(at: integerTimestep(timestep, scheduler: name), scheduler: name)
        let alphaProdPrevious = previousTimestep >= 0
            ? try schedule.alphaCumprod(at: integerTimestep(previousTimestep, scheduler: name), scheduler: name)
            : finalAlphaCumprod
        let betaProd = 1 - alphaProd, betaProdPrevious = 1 - alphaProdPrevious
        let (cSkip, cOut) = boundaryScalings(timestep)

        let x0 = limitedOriginalSample(
            predictionType.originalSample(modelOutput: modelOutput, sample: sample, alpha: alphaProd.squareRoot(),
                                          sigma: betaProd.squareRoot()),
            thresholding: thresholding, clipRange: clipRange)
        let denoised = x0 * cOut + sample * cSkip
        self.denoised = denoised
        var previous = denoised
        if stepIndex != timesteps.count - 1 {
            guard let generator else { throw SchedulerError.missingGenerator(scheduler: name) }
            let noise = generator.randn(modelOutput.shape)
            previous = denoised * alphaProdPrevious.squareRoot() + noise * betaProdPrevious.squareRoot()
        }
        index.step = stepIndex + 1
        return previous
    }

    /// `add_noise` (DDPM form): √ᾱ_t·x₀ + √(1 − ᾱ_t)·ε at the training timestep itself.
    public func addNoise(original: Tensor, noise: Tensor, timestep: Float) -> Tensor {
        schedule.addNoise(original, noise: noise, timestep: timestep)
    }

    /// `get_scalings_for_boundary_condition_discrete`: c_skip = σ_d²/((s·t)² + σ_d²), c_out = s·t/√((s·t)² + σ_d²).
    func boundaryScalings(_ timestep: Float) -> (cSkip: Float, cOut: Float) {
        let sigmaData: Float = 0.5
        let scaled = timestep * timestepScaling
        let cSkip = sigmaData * sigmaData / (scaled * scaled + sigmaData * sigmaData)
        let cOut = scaled / (scaled * scaled + sigmaData * sigmaData).squareRoot()
        return (cSkip, cOut)
    }
}
