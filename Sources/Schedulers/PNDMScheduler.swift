// diffusers' `PNDMScheduler` (Liu et al., arXiv 2202.09778): pseudo Runge–Kutta warm-up steps (4 model calls per
// step over the last 3 intervals), then pseudo linear multistep (Adams–Bashforth on the last ε outputs); each
// update is the PNDM transfer x_{t−δ} = √(ᾱ_{t−δ}/ᾱ_t)·x_t − (ᾱ_{t−δ} − ᾱ_t)·ε / (ᾱ_t√β̄_{t−δ} + √(ᾱ_t β̄_t ᾱ_{t−δ})).

import Foundation
import Random
import Tensors

/// The diffusers `PNDMScheduler`, with or without `skip_prk_steps`, including its `counter` / `ets` history.
public final class PNDMScheduler: Scheduler {
    /// The diffusers class name.
    public static let className = "PNDMScheduler"
    public let config: SchedulerConfig
    public let order = 1
    public private(set) var timesteps: [Float] = []
    public var initNoiseSigma: Float { 1 }
    /// The training noise schedule.
    public let schedule: NoiseSchedule

    let numTrainTimesteps: Int
    let spacing: TimestepSpacing
    let stepsOffset: Int
    let predictionType: PredictionType
    let skipPRKSteps: Bool
    let finalAlphaCumprod: Float
    /// `pndm_order`: the Runge–Kutta warm-up covers this many timesteps.
    let pndmOrder = 4

    private var numInferenceSteps: Int?
    private var prkTimesteps: [Int] = []
    /// `ets`: the model outputs the multistep formula combines (the last four are kept).
    private var modelOutputHistory: [Tensor] = []
    /// `counter`: steps taken since `set_timesteps`.
    private var counter = 0
    /// `cur_model_output`: the Runge–Kutta weighted sum being accumulated (nil stands for diffusers' 0).
    private var runningModelOutput: Tensor?
    /// `cur_sample`: the sample a multi-call update starts from.
    private var currentSample: Tensor?
    /// What x̂₀ of the last step is computed from (the update works on ε and never forms it).
    private var lastOriginal: StepOriginalSample?

    /// x̂₀ of the last `step`'s model output at its input sample and timestep (diffusers' PNDM returns none).
    public var predictedOriginalSample: Tensor? { lastOriginal?.value }

    /// Builds the scheduler from a config, with `PNDMScheduler.__init__`'s defaults for absent fields.
    public init(config: SchedulerConfig) throws {
        let name = PNDMScheduler.className
        self.config = config
        schedule = try NoiseSchedule(config: config, scheduler: name, readsZeroSNRRescale: false)
        numTrainTimesteps = schedule.alphasCumprod.count
        spacing = try parseOption(config.timestepSpacing ?? "leading", field: "timestep_spacing", scheduler: name)
        stepsOffset = config.stepsOffset ?? 0
        predictionType = try parseOption(config.predictionType ?? "epsilon", field: "prediction_type", scheduler: name,
                                         supported: [.epsilon, .vPrediction])
        skipPRKSteps = config.skipPrkSteps ?? false
        finalAlphaCumprod = (config.setAlphaToOne ?? false) ? 1 : schedule.alphasCumprod[0]
    }

    public func setTimesteps(_ steps: Int) throws {
        guard steps >= 1 else {
            throw SchedulerError.invalidSteps(steps, reason: "PNDMScheduler needs at least 1 step")
        }
        guard skipPRKSteps || steps >= pndmOrder else {
            throw SchedulerError.invalidSteps(steps, reason: "PNDMScheduler's Runge-Kutta warm-up needs at least "
                                                  + "\(pndmOrder) steps (or skip_prk_steps)")
        }
        numInferenceSteps = steps
        // `_timesteps`, ascending.
        let base = Array(spacing.integerTimesteps(steps: steps, numTrainTimesteps: numTrainTimesteps,
                                                  stepsOffset: stepsOffset).reversed())
        var plms: [Int]
        if skipPRKSteps {
            // np.concatenate([_t[:-1], _t[-2:-1], _t[-1:]])[::-1]
            prkTimesteps = []
            plms = Array(base.dropLast()) + Array(base.dropLast().suffix(1)) + Array(base.suffix(1))
            plms.reverse()
        } else {
            // _t[-4:].repeat(2) + tile([0, T // n // 2], 4), then [:-1].repeat(2)[1:-1][::-1]
            let half = numTrainTimesteps / steps / 2
            let warmUp = base.suffix(pndmOrder).flatMap { [$0, $0 + half] }
            let repeated = warmUp.dropLast().flatMap { [$0, $0] }
            prkTimesteps = Array(repeated.dropFirst().dropLast().reversed())
            plms = Array(base.dropLast(3).reversed())
        }
        timesteps = (prkTimesteps + plms).map { Float($0) }
        modelOutputHistory = []
        counter = 0
        runningModelOutput = nil
        currentSample = nil
    }

    /// PNDM has no begin index in diffusers (img2img only slices the timesteps); the call is ignored.
    public func setBeginIndex(_ index: Int) {}

    public func scaleModelInput(_ sample: Tensor, timestep: Float) -> Tensor { sample }

    public func step(modelOutput: Tensor, timestep: Float, sample: Tensor, generator: RandomGenerator?) throws -> Tensor {
        let name = PNDMScheduler.className
        guard numInferenceSteps != nil else { throw SchedulerError.timestepsNotSet(scheduler: name) }
        let t = try integerTimestep(timestep, scheduler: name)
        let alphaProd = try schedule.alphaCumprod(at: t, scheduler: name)
        lastOriginal = .onDemand(predictionType, modelOutput: modelOutput, sample: sample,
                                 alpha: alphaProd.squareRoot(), sigma: (1 - alphaProd).squareRoot())
        if counter < prkTimesteps.count && !skipPRKSteps {
            return try stepRungeKutta(modelOutput: modelOutput, timestep: t, sample: sample)
        }
        return try stepLinearMultistep(modelOutput: modelOutput, timestep: t, sample: sample)
    }

    /// `step_prk`: one of the four calls of a pseudo Runge–Kutta step.
    private func stepRungeKutta(modelOutput: Tensor, timestep: Int, sample: Tensor) throws -> Tensor {
        let steps = numInferenceSteps ?? 1
        let differenceToPrevious = counter % 2 != 0 ? 0 : numTrainTimesteps / steps / 2
        let previousTimestep = timestep - differenceToPrevious
        let stepTimestep = prkTimesteps[counter / 4 * 4]
        var output = modelOutput
        switch counter % 4 {
        case 0:
            accumulate(modelOutput * Float(1.0 / 6.0))
            modelOutputHistory.append(modelOutput)
            currentSample = sample
        case 1, 2:
            accumulate(modelOutput * Float(1.0 / 3.0))
        default:
            let weighted = modelOutput * Float(1.0 / 6.0)
            output = runningModelOutput.map { $0 + weighted } ?? weighted
            runningModelOutput = nil
        }
        let start = currentSample ?? sample
        let previous = try previousSample(start, timestep: stepTimestep, previousTimestep: previousTimestep,
                                          modelOutput: output)
        counter += 1
        return previous
    }

    /// `cur_model_output += term` (starting from diffusers' integer 0).
    private func accumulate(_ term: Tensor) {
        runningModelOutput = runningModelOutput.map { $0 + term } ?? term
    }

    /// `step_plms`: the linear multistep update from the last (up to four) model outputs.
    private func stepLinearMultistep(modelOutput: Tensor, timestep: Int, sample: Tensor) throws -> Tensor {
        let name = PNDMScheduler.className
        if !skipPRKSteps && modelOutputHistory.count < 3 {
            throw SchedulerError.invalidTimestep(scheduler: name, timestep: Float(timestep),
                                                 reason: "needs the Runge-Kutta warm-up steps first")
        }
        let ratio = numTrainTimesteps / (numInferenceSteps ?? 1)
        var stepTimestep = timestep
        var previousTimestep = timestep - ratio
        if counter != 1 {
            modelOutputHistory = Array(modelOutputHistory.suffix(3)) + [modelOutput]
        } else {
            previousTimestep = timestep
            stepTimestep = timestep + ratio
        }
        let history = modelOutputHistory
        var start = sample
        var output: Tensor
        switch history.count {
        case 1 where counter == 0:
            output = modelOutput
            currentSample = sample
        case 1 where counter == 1:
            output = (modelOutput + history[0]).mapped { $0 / 2 }
            start = currentSample ?? sample
            currentSample = nil
        case 2:
            output = (history[1] * 3 - history[0]).mapped { $0 / 2 }
        case 3:
            output = (history[2] * 23 - history[1] * 16 + history[0] * 5).mapped { $0 / 12 }
        case 4...:
            let n = history.count
            output = (history[n - 1] * 55 - history[n - 2] * 59 + history[n - 3] * 37 - history[n - 4] * 9)
                * Float(1.0 / 24.0)
        default:
            throw SchedulerError.invalidTimestep(scheduler: name, timestep: Float(timestep),
                                                 reason: "has too few earlier model outputs for the multistep update")
        }
        let previous = try previousSample(start, timestep: stepTimestep, previousTimestep: previousTimestep,
                                          modelOutput: output)
        counter += 1
        return previous
    }

    /// `_get_prev_sample`: formula (9) of the PNDM paper.
    private func previousSample(_ sample: Tensor, timestep: Int, previousTimestep: Int,
                                modelOutput: Tensor) throws -> Tensor {
        let name = PNDMScheduler.className
        let alphaProd = try schedule.alphaCumprod(at: timestep, scheduler: name)
        let alphaProdPrevious = previousTimestep >= 0
            ? try schedule.alphaCumprod(at: previousTimestep, scheduler: name) : finalAlphaCumprod
        let betaProd = 1 - alphaProd, betaProdPrevious = 1 - alphaProdPrevious
        let epsilon = predictionType.noise(modelOutput: modelOutput, sample: sample,
                                           alpha: alphaProd.squareRoot(), sigma: betaProd.squareRoot())
        let sampleCoefficient = (alphaProdPrevious / alphaProd).squareRoot()
        let denominator = alphaProd * betaProdPrevious.squareRoot()
            + (alphaProd * betaProd * alphaProdPrevious).squareRoot()
        let difference = alphaProdPrevious - alphaProd
        return sample * sampleCoefficient - (epsilon * difference).mapped { $0 / denominator }
    }

    public func addNoise(original: Tensor, noise: Tensor, timestep: Float) -> Tensor {
        schedule.addNoise(original, noise: noise, timestep: timestep)
    }
}
